// The user's Dashboard layout, kept on the server as the `dashboard`
// preference and saved a second after the last change.
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, get, put, type Schemas } from '../../api';
import { DEFAULT_LAYOUT, parseLayout, toSaved, type Placement } from './layout';

const PATH = '/preference/dashboard';
const SAVE_AFTER_MS = 1000;

type Preference = Schemas['PreferenceView'];

/** A 404 means the server has no preferences yet: the page works without. */
const missing = (e: unknown) => e instanceof ApiError && e.status === 404;

export function useSavedLayout() {
  const [widgets, setWidgets] = useState<Placement[]>();
  const [error, setError] = useState<Error>();
  const pending = useRef<Placement[] | undefined>(undefined);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);

  useEffect(() => {
    let current = true;
    get<Preference>(PATH)
      .then((p) => current && setWidgets(parseLayout(p.value) ?? DEFAULT_LAYOUT))
      .catch((e: Error) => {
        if (!current) return;
        if (!missing(e)) setError(e);
        setWidgets(DEFAULT_LAYOUT);
      });
    return () => {
      current = false;
    };
  }, []);

  const save = useCallback(() => {
    timer.current = undefined;
    const next = pending.current;
    pending.current = undefined;
    if (!next) return;
    put<Preference>(PATH, { value: toSaved(next) } satisfies Schemas['NewPreference'])
      .then(() => setError(undefined))
      .catch((e: Error) => {
        if (!missing(e)) setError(e);
      });
  }, []);

  // Leaving the page saves what is still waiting.
  useEffect(
    () => () => {
      if (timer.current) {
        clearTimeout(timer.current);
        save();
      }
    },
    [save],
  );

  /** Shows `next` now and saves it after a second without changes. */
  const change = useCallback(
    (next: Placement[]) => {
      setWidgets(next);
      pending.current = next;
      clearTimeout(timer.current);
      timer.current = setTimeout(save, SAVE_AFTER_MS);
    },
    [save],
  );

  const reset = useCallback(() => change(DEFAULT_LAYOUT), [change]);

  return { widgets, change, reset, error };
}
