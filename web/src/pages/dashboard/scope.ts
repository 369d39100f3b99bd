// What every widget shows: the file system(s) and the time range chosen in
// the toolbar, shared through context.
import { createContext, useContext } from 'react';
import type { TimeRange } from './range';
import type { Filesystem } from './types';

export interface Scope {
  /** The file system chosen, or undefined for all of them. */
  fsId: string | undefined;
  /** Every file system (not removed). */
  filesystems: Filesystem[];
  range: TimeRange;
}

export const ScopeContext = createContext<Scope>({
  fsId: undefined,
  filesystems: [],
  range: { kind: 'live', key: '1h' },
});

export const useScope = () => useContext(ScopeContext);

/** The file systems in scope: the one chosen, or all. */
export function scopedFilesystems(scope: Scope): Filesystem[] {
  return scope.fsId ? scope.filesystems.filter((f) => f.id === scope.fsId) : scope.filesystems;
}

/** The OSTs in scope, by file system then index. */
export function scopedOsts(scope: Scope) {
  return scopedFilesystems(scope).flatMap((f) =>
    f.targets.filter((t) => t.kind === 'ost').sort((a, b) => (a.index ?? 0) - (b.index ?? 0)),
  );
}
