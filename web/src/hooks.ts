import { useCallback, useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { ApiError, get, isFinal, type Command } from './api';
import { useChanges, type Change } from './stream';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads `load()` now, whenever `deps` change, and again on each live change
 * of one of `liveKinds` that `relevant` accepts (coalesced), keeping the
 * last data while it reloads.
 */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[],
  liveKinds: string[] = [],
  relevant?: (change: Change) => boolean,
): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError | Error>();
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const loader = useRef(load);
  loader.current = load;

  const reload = useCallback(() => {
    const mine = ++generation.current;
    setLoading(true);
    loader
      .current()
      .then((value) => {
        if (mine !== generation.current) return;
        setData(value);
        setError(undefined);
      })
      .catch((e: Error) => {
        if (mine === generation.current) setError(e);
      })
      .finally(() => {
        if (mine === generation.current) setLoading(false);
      });
  }, []);

  // Other deps are another object: never show the last one's data under it.
  useEffect(() => {
    setData(undefined);
    setError(undefined);
    reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useChanges(liveKinds, reload, 500, relevant);
  return { data, error, loading, reload };
}

/**
 * State kept in the URL's query string, so a page's filters, sorting,
 * paging and tabs can be bookmarked and shared.
 */
export function useUrlState(): [URLSearchParams, (changes: Record<string, string | number | undefined | null>) => void] {
  const [params, setParams] = useSearchParams();
  const update = useCallback(
    (changes: Record<string, string | number | undefined | null>) => {
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          for (const [key, value] of Object.entries(changes)) {
            if (value === undefined || value === null || value === '') next.delete(key);
            else next.set(key, String(value));
          }
          return next;
        },
        { replace: true },
      );
    },
    [setParams],
  );
  return [params, update];
}

/** Re-renders every `ms` (for "3 minutes ago" and live time windows). */
export function useTick(ms: number) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

type CommandShape = Pick<Command, 'state' | 'jobs'>;

/**
 * Whether a step of `command` is still `cancelling`: its command may be
 * final (cancelled) while the step's remote command is being killed.
 */
function stillCancelling(command: CommandShape): boolean {
  return command.jobs.some((j) => (j.steps ?? []).some((s) => s.state === 'cancelling'));
}

/**
 * `GET /api/command/{id}` (the command with its jobs and steps), re-read
 * only on changes of that command, its jobs and their steps, and no more
 * once it has finished and none of its steps is still `cancelling`.
 */
export function useCommand<T extends CommandShape>(id: string | undefined): Loaded<T> {
  const current = useRef<T>(undefined);
  const loaded = useLoad(
    () => (id ? get<T>(`/command/${id}`) : Promise.reject(new Error('no command'))),
    [id],
    ['command', 'job', 'step'],
    (change) => {
      const command = current.current;
      if (command && isFinal(command.state) && !stillCancelling(command)) return false;
      if (change.kind === 'command') return change.id === id;
      if (change.kind === 'job') return change.command_id === id;
      return !!command?.jobs.some((j) => j.id === change.job_id);
    },
  );
  current.current = loaded.data;
  return loaded;
}
