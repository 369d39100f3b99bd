// What the parameter routes show, as the OpenAPI document names them. The
// catalogue (`GET /api/param`) is not described there
// beyond "an object", so its shape is written here.

import type { Narrow, Schemas } from '../../api';

export type ValueKind =
  | { type: 'integer'; min: number; max: number }
  | { type: 'bool' }
  | { type: 'size'; unit: 'bytes' | 'mib'; min: number; max: number; multiple_of: number }
  | { type: 'enum'; values: string[] }
  | { type: 'text'; max_len: number; format: 'upcall_path' | 'jobid_var' };

export type Scope = 'filesystem' | 'mdt' | 'ost' | 'mdt_or_all_mdts';

/** A parameter Chroma knows (`GET /api/param`). */
export interface ParamSpec {
  /** `sys.timeout`: class and name, without a target. */
  name: string;
  kind: ValueKind;
  unit: string | null;
  /** Lustre's own value when unset, when it is fixed. */
  default: string | null;
  applies_to: Scope;
  /** `server`: servers show the live value; `client`: only clients hold it. */
  side: 'server' | 'client';
  description: string;
}

export type Drift = 'stored_vs_llog' | 'llog_vs_live';

/**
 * One parameter as Chroma, the MGS and the servers see it. The document
 * types `drift` as strings and `spec` as any object; they are the drift
 * kinds above and the parameter's catalogue entry.
 */
export type ParamView = Narrow<Schemas['ParamView'], { drift: Drift[]; spec?: ParamSpec | null }>;

/** The file systems and targets parameters are set on. */
export type { Filesystem as FilesystemInfo, Target as TargetInfo } from '../configure/types';

/** What a `PUT …/params` answers. */
export type { Plan as Planned } from '../../api';

export const DRIFT_TEXT: Record<Drift, string> = {
  stored_vs_llog: "Chroma's value differs from the MGS configuration log (set outside Chroma, or not applied yet)",
  llog_vs_live: 'A server runs another value than the log holds (a temporary lctl set_param)',
};

/** `demo-OST0000.ost.sync_journal` → `demo-OST0000`; undefined for a file-system-wide key. */
export function keyTarget(key: string): string | undefined {
  const first = key.split('.')[0];
  return first.includes('-') ? first : undefined;
}

/** The catalogue entry a key sets (its target left out), if Chroma knows it. */
export function specFor(catalogue: ParamSpec[] | undefined, key: string): ParamSpec | undefined {
  const name = keyTarget(key) ? key.slice(key.indexOf('.') + 1) : key;
  return catalogue?.find((s) => s.name === name);
}

const SCOPE_TEXT: Record<Scope, string> = {
  filesystem: 'the whole file system',
  mdt: 'one MDT',
  ost: 'one OST',
  mdt_or_all_mdts: 'one MDT, or every MDT',
};

export const scopeText = (scope: Scope) => SCOPE_TEXT[scope];

/** What values a parameter takes, in words. */
export function kindText(spec: ParamSpec): string {
  const k = spec.kind;
  const unit = spec.unit ? ` ${spec.unit}` : '';
  switch (k.type) {
    case 'integer':
      return `an integer from ${k.min} to ${k.max}${unit}`;
    case 'bool':
      return '0 or 1';
    case 'size': {
      const u = k.unit === 'mib' ? 'MiB' : 'bytes';
      const multiple = k.multiple_of > 1 ? `, a multiple of ${k.multiple_of}` : '';
      return `a size from ${k.min} to ${k.max} ${u}${multiple} (or with a K, M, G or T suffix)`;
    }
    case 'enum':
      return `one of ${k.values.join(', ')}`;
    case 'text':
      return k.format === 'upcall_path'
        ? `NONE or an absolute path (at most ${k.max_len} characters)`
        : `disable, procname_uid, nodelocal, session or an environment variable name (at most ${k.max_len} characters)`;
  }
}
