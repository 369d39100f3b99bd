// The live stream (`GET /api/stream`, Server-Sent Events): one connection
// for the whole console; pages subscribe to the kinds of change they show.
import { get } from './api';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';

export interface Change {
  kind: string;
  id?: string;
  op?: string;
  state?: string;
  [key: string]: unknown;
}

type Listener = (change: Change) => void;

interface Stream {
  subscribe: (listener: Listener) => () => void;
  connected: boolean;
}

const StreamContext = createContext<Stream>({ subscribe: () => () => {}, connected: false });

export function StreamProvider({ children }: { children: ReactNode }) {
  const listeners = useRef(new Set<Listener>());
  const [connected, setConnected] = useState(false);

  useEffect(() => {
    const deliver = (change: Change) => listeners.current.forEach((l) => l(change));
    let source: EventSource | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let lost = false;
    let delay = 1000;
    const open = () => {
      source = new EventSource('/api/stream');
      source.onopen = () => {
        setConnected(true);
        delay = 1000;
        // Changes made while the stream was down were never sent: every
        // page re-reads what it shows.
        if (lost) deliver({ kind: '*' });
        lost = false;
      };
      source.onerror = () => {
        setConnected(false);
        lost = true;
        // The browser retries by itself unless the server refused the
        // stream (a 401 after the session ended, a proxy's 502): then
        // open a new one, backing off, and let a 401 show the login.
        if (source?.readyState === EventSource.CLOSED) {
          source.close();
          retry = setTimeout(() => {
            get('/session').catch(() => {});
            open();
          }, delay);
          delay = Math.min(delay * 2, 30_000);
        }
      };
      source.addEventListener('change', (e) => {
        try {
          deliver(JSON.parse((e as MessageEvent).data));
        } catch {
          // A line that is not JSON is not a change.
        }
      });
      // Too slow to keep up: every page re-reads what it shows.
      source.addEventListener('lagged', () => deliver({ kind: '*' }));
    };
    open();
    return () => {
      if (retry) clearTimeout(retry);
      source?.close();
    };
  }, []);

  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  const value = useMemo(() => ({ subscribe, connected }), [subscribe, connected]);

  return <StreamContext.Provider value={value}>{children}</StreamContext.Provider>;
}

export const useStreamStatus = () => useContext(StreamContext).connected;

/**
 * Calls `onChange` for each change of one of `kinds` that `relevant` (if
 * given) accepts, and when the stream lagged or came back. Calls are coalesced to at most one per `everyMs`, so a burst of
 * changes costs one re-read.
 */
export function useChanges(
  kinds: string[],
  onChange: (change: Change) => void,
  everyMs = 300,
  relevant?: (change: Change) => boolean,
) {
  const { subscribe } = useContext(StreamContext);
  const callback = useRef(onChange);
  callback.current = onChange;
  const filter = useRef(relevant);
  filter.current = relevant;
  const key = kinds.join(',');
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last: Change | undefined;
    const wanted = new Set(key.split(','));
    const unsubscribe = subscribe((change) => {
      if (change.kind !== '*' && (!wanted.has(change.kind) || filter.current?.(change) === false)) return;
      last = change;
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        if (last) callback.current(last);
      }, everyMs);
    });
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
  }, [key, subscribe, everyMs]);
}

/** Every change, one by one (for the notification area). */
export function useEveryChange(onChange: (change: Change) => void) {
  const { subscribe } = useContext(StreamContext);
  const callback = useRef(onChange);
  callback.current = onChange;
  useEffect(() => subscribe((c) => callback.current(c)), [subscribe]);
}
