// The shapes the storage API answers (see api/src/routes/storage.rs) and
// the class definitions plugins declare (docs/plugins.md).

export interface AttributeDef {
  name: string;
  /** `string`, `integer`, `bytes`, `enum`, `boolean`, `hostname`, `path`, `uuid` or `reference`. */
  type: string;
  values?: string[];
  /** For a `reference`: the class of the resource it names. */
  class?: string;
  optional?: boolean;
  link?: string;
}

export interface StatisticDef {
  name: string;
  /** `gauge`, `counter` or `histogram`. */
  kind: string;
  unit?: string;
  /** Statistics with the same `chart` are drawn together. */
  chart?: string;
  /** A histogram's upper bounds. */
  bins?: number[];
}

export interface ClassDef {
  name: string;
  label?: string;
  attributes?: AttributeDef[];
  statistics?: StatisticDef[];
  alerts?: { name: string; severity?: string; message?: string }[];
  actions?: { name: string; label?: string }[];
}

/** `GET /api/storage_plugin`. */
export interface Plugin {
  name: string;
  version: string | null;
  levels: string[];
  state: 'starting' | 'running' | 'restarting' | 'failed' | string;
  error: string | null;
  restarts: number;
  started_at: string | null;
  detected_at: string | null;
  monitored_at: string | null;
  classes: ClassDef[] | null;
  resources: number;
}

/** `GET /api/storage_resource`. */
export interface Resource {
  id: string;
  plugin: string;
  class: string;
  local_id: string;
  parent_id: string | null;
  attributes: Record<string, unknown>;
  /** The latest value of each statistic (a list of counts for a histogram). */
  statistics: Record<string, unknown>;
  volume_id: string | null;
  removed_at: string | null;
  /** Its active alerts. */
  alerts: number;
}

export interface Related {
  /** `built_on`, `same_as`… */
  kind: string;
  /** `to`: this resource stands on `resource`; `from`: `resource` stands on this one. */
  direction: 'to' | 'from' | string;
  resource: Resource;
}

/** `GET /api/storage_resource/{id}`. */
export interface ResourceDetail extends Resource {
  children: Resource[];
  related: Related[];
  /** Names of the Lustre targets and file systems that depend on it. */
  targets: string[];
  filesystems: string[];
}

/** `GET /api/target/{id}/storage`: `[from, to, kind]`, `from` stands on `to`. */
export interface StoragePath {
  resources: Resource[];
  edges: [string, string, string][];
}
