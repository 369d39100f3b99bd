// The live tail of the server log: the latest lines matching the filters,
// then, on each `log_line` change of the stream (and a slow poll in case
// the stream missed one), the lines stored after the last one seen
// (`after_id`), oldest first, appended. Paused, it fetches nothing; on
// resuming it catches up, or starts again from the latest lines when too
// far behind.
import { useCallback, useEffect, useRef, useState } from 'react';
import { get, type Page } from '../../api';
import { useChanges } from '../../stream';
import type { LogFilters, LogLine } from './logTypes';

/** Lines shown when the tail starts. */
const FIRST = 200;
/** Lines per catch-up request, and requests before giving up on catching up. */
const BATCH = 500;
const ROUNDS = 10;
/** Lines kept; the oldest go first. */
const KEEP = 3000;
/** In case a change was missed (the stream reconnecting). */
const POLL_MS = 15_000;

export interface Tail {
  lines: LogLine[];
  error: Error | undefined;
  loading: boolean;
  /** Whether lines arrived while paused. */
  waiting: boolean;
  /** Lines dropped because the tail fell too far behind. */
  skipped: boolean;
}

export function useTail(filters: LogFilters, enabled: boolean, paused: boolean): Tail {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(false);
  const [waiting, setWaiting] = useState(false);
  const [skipped, setSkipped] = useState(false);
  const lastId = useRef<number | undefined>(undefined);
  const generation = useRef(0);
  const busy = useRef(false);
  const again = useRef(false);
  const key = JSON.stringify(filters);
  const query = useRef(filters);
  query.current = filters;

  /** The latest lines, and where to follow on from. */
  const start = useCallback(async () => {
    const mine = ++generation.current;
    lastId.current = undefined;
    setLoading(true);
    setSkipped(false);
    try {
      const page = await get<Page<LogLine>>('/log', { ...query.current, order_by: '-id', limit: FIRST });
      let last = page.objects[0]?.id;
      if (last === undefined) {
        // Nothing matches yet: follow on from the newest line of all.
        const newest = await get<Page<LogLine>>('/log', { order_by: '-id', limit: 1 });
        last = newest.objects[0]?.id ?? 0;
      }
      if (mine !== generation.current) return;
      lastId.current = last;
      setLines(page.objects.slice().reverse());
      setError(undefined);
    } catch (e) {
      if (mine === generation.current) setError(e as Error);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  /** The lines after the last one seen. */
  const more = useCallback(async () => {
    if (lastId.current === undefined) return;
    if (busy.current) {
      again.current = true;
      return;
    }
    busy.current = true;
    const mine = generation.current;
    try {
      for (let round = 0; ; round++) {
        if (round === ROUNDS) {
          // Too far behind to read it all: start again from the latest.
          busy.current = false;
          await start();
          setSkipped(true);
          return;
        }
        const page: Page<LogLine> = await get<Page<LogLine>>('/log', { ...query.current, after_id: lastId.current, limit: BATCH });
        if (mine !== generation.current) return;
        const fresh: LogLine[] = page.objects;
        if (fresh.length > 0) {
          lastId.current = fresh[fresh.length - 1].id;
          setLines((current) => {
            const next = current.concat(fresh);
            return next.length > KEEP ? next.slice(next.length - KEEP) : next;
          });
        }
        setError(undefined);
        if (fresh.length < BATCH) break;
      }
    } catch (e) {
      if (mine === generation.current) setError(e as Error);
    } finally {
      busy.current = false;
    }
    if (again.current) {
      again.current = false;
      void more();
    }
  }, [start]);

  // (Re)start when turned on or the filters change; forget when turned off.
  useEffect(() => {
    if (enabled) void start();
    else {
      generation.current++;
      setLines([]);
    }
  }, [enabled, key, start]);

  // Catch up on resuming.
  useEffect(() => {
    if (enabled && !paused) {
      setWaiting(false);
      void more();
    }
  }, [enabled, paused, more]);

  useChanges(
    ['log_line'],
    () => {
      if (!enabled) return;
      if (paused) setWaiting(true);
      else void more();
    },
    500,
  );

  useEffect(() => {
    if (!enabled || paused) return;
    const timer = setInterval(() => void more(), POLL_MS);
    return () => clearInterval(timer);
  }, [enabled, paused, more]);

  return { lines, error, loading, waiting, skipped };
}
