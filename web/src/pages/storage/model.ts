// What the page derives from plugins and resources: class definitions,
// the name and health shown for a resource, and the resolution of
// `reference` attributes.
import { bytes } from '../../format';
import type { ClassDef, Plugin, Resource } from './types';

/** The attributes that name a resource, in order of preference. */
const NAME_ATTRIBUTES = ['name', 'serial', 'path', 'slot'];

export type Health = 'ok' | 'bad' | 'removed';

export const HEALTH_COLOURS: Record<Health, string> = {
  ok: '#52c41a',
  bad: '#f5222d',
  removed: '#bfbfbf',
};

/** A resource's own name: `name`, `serial`, `path` or `slot`, else the plugin's id. */
export function nameOf(resource: Resource): string {
  for (const key of NAME_ATTRIBUTES) {
    const value = resource.attributes?.[key];
    if (value !== undefined && value !== null && value !== '') {
      return key === 'slot' ? `slot ${String(value)}` : String(value);
    }
  }
  return resource.local_id;
}

/** Red when it has active alerts or a `status` other than `ok`; grey once removed. */
export function healthOf(resource: Resource): Health {
  if (resource.removed_at) return 'removed';
  const status = resource.attributes?.status;
  if (resource.alerts > 0 || (status !== undefined && status !== null && status !== 'ok')) return 'bad';
  return 'ok';
}

/** Every plugin's classes and every resource, indexed for look-ups. */
export class Catalogue {
  readonly plugins: Plugin[];
  readonly resources: Resource[];
  private readonly classes = new Map<string, ClassDef>();
  private readonly byId = new Map<string, Resource>();
  private readonly byLocalId = new Map<string, Resource>();

  constructor(plugins: Plugin[], resources: Resource[]) {
    this.plugins = plugins;
    this.resources = resources;
    for (const plugin of plugins) {
      for (const c of Array.isArray(plugin.classes) ? plugin.classes : []) this.classes.set(`${plugin.name}/${c.name}`, c);
    }
    for (const r of resources) {
      this.byId.set(r.id, r);
      this.byLocalId.set(`${r.plugin}/${r.local_id}`, r);
    }
  }

  classOf(resource: Pick<Resource, 'plugin' | 'class'>): ClassDef | undefined {
    return this.classes.get(`${resource.plugin}/${resource.class}`);
  }

  /** The class's label as its plugin declared it, else its name. */
  labelOf(resource: Pick<Resource, 'plugin' | 'class'>): string {
    return this.classOf(resource)?.label || resource.class;
  }

  get(id: string | null | undefined): Resource | undefined {
    return id ? this.byId.get(id) : undefined;
  }

  /**
   * The resource a `reference` attribute of `from` names: plugins give
   * their own ids, which Chroma may have turned into its own.
   */
  resolve(from: Resource, value: unknown): Resource | undefined {
    if (typeof value !== 'string') return undefined;
    return this.byId.get(value) ?? this.byLocalId.get(`${from.plugin}/${value}`);
  }

  /** The resources from the root down to `id`'s parent. */
  ancestors(id: string): Resource[] {
    const chain: Resource[] = [];
    const seen = new Set<string>([id]);
    let parent = this.get(this.get(id)?.parent_id);
    while (parent && !seen.has(parent.id)) {
      chain.unshift(parent);
      seen.add(parent.id);
      parent = this.get(parent.parent_id);
    }
    return chain;
  }
}

/** A statistic's value in its unit (`bytes`, `celsius`, `rpm`, `ms`…). */
export function withUnit(value: number, unit: string | undefined): string {
  switch (unit) {
    case undefined:
    case '':
      return formatNumber(value);
    case 'bytes':
      return bytes(value);
    case 'bytes/s':
      return `${bytes(value)}/s`;
    case 'celsius':
      return `${formatNumber(value)} °C`;
    case 'percent':
      return `${formatNumber(value)} %`;
    default:
      return `${formatNumber(value)} ${unit}`;
  }
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(Math.abs(value) >= 100 ? 0 : 1);
}
