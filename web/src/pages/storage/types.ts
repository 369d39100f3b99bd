// The shapes the storage API answers, as the OpenAPI document names them,
// and the class definitions plugins declare (docs/plugins.md), which the
// document leaves as any JSON.

import type { Narrow, Schemas } from '../../api';

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

/**
 * `GET /api/storage_plugin`: `state` is `starting`, `running`,
 * `restarting` or `failed`. The document types `classes` as any JSON; it
 * is the plugin's class definitions.
 */
export type Plugin = Narrow<Schemas['PluginView'], { classes: ClassDef[] | null }>;

/**
 * `GET /api/storage_resource`, with its active alerts. The document types
 * `attributes` and `statistics` as any JSON; they are objects, the latter
 * holding the latest value of each statistic (a list of counts for a
 * histogram).
 */
export type Resource = Narrow<
  Schemas['ResourceView'],
  { attributes: Record<string, unknown>; statistics: Record<string, unknown> }
>;

/**
 * `kind` is `built_on`, `same_as`…; `direction` `to`: this resource stands
 * on `resource`; `from`: `resource` stands on this one.
 */
export type Related = Narrow<Schemas['Related'], { resource: Resource }>;

/**
 * `GET /api/storage_resource/{id}`, with the names of the Lustre targets
 * and file systems that depend on it.
 */
export type ResourceDetail = Narrow<
  Schemas['ResourceDetail'],
  Pick<Resource, 'attributes' | 'statistics'> & { children: Resource[]; related: Related[] }
>;

/** `GET /api/target/{id}/storage`: `[from, to, kind]`, `from` stands on `to`. */
export type StoragePath = Narrow<Schemas['StoragePath'], { resources: Resource[] }>;
