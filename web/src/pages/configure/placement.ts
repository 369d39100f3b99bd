// Where each target of a new file system runs: its volume, primary host and
// failover hosts (by default the volume's nodes: the first primary, the
// rest failover), and the mapping of the API's field errors
// (`osts[1].primary_host_id`, `conf_params.sys.timeout`…) back to the form.
import type { ApiError, Schemas } from '../../api';
import type { Volume } from './types';

export interface Placement {
  primary?: string;
  failover: string[];
  reformat: boolean;
  /** On ZFS: a dataset in a pool built on the volume (else ldiskfs). */
  zfs?: boolean;
}

export type Role = 'mgt' | 'mdt' | 'ost';

export interface Chosen {
  role: Role;
  /** Position among the MDTs or OSTs (0 for the MGT). */
  index: number;
  volume: Volume;
}

export function defaultPlacement(volume: Volume): Placement {
  const [first, ...rest] = volume.nodes.map((n) => n.host_id);
  return { primary: first, failover: rest, reformat: false };
}

export function placementOf(placements: Record<string, Placement>, volume: Volume): Placement {
  return placements[volume.id] ?? defaultPlacement(volume);
}

export interface FormValues {
  name?: string;
  mgt_mode?: 'new' | 'existing';
  mgt_volume?: string;
  mgs_id?: string;
  mdt_volumes?: string[];
  ost_volumes?: string[];
  conf_params?: { key?: string; value?: string }[];
}

/** The volumes chosen, in request order: the MGT, the MDTs, the OSTs. */
export function chosenVolumes(values: FormValues, volumes: Map<string, Volume>): Chosen[] {
  const out: Chosen[] = [];
  const add = (role: Role, ids: (string | undefined)[]) =>
    ids.forEach((id, index) => {
      const volume = id ? volumes.get(id) : undefined;
      if (volume) out.push({ role, index, volume });
    });
  if ((values.mgt_mode ?? 'new') === 'new') add('mgt', [values.mgt_volume]);
  add('mdt', values.mdt_volumes ?? []);
  add('ost', values.ost_volumes ?? []);
  return out;
}

/** The body of `POST /api/filesystem`. */
export function requestBody(
  values: FormValues,
  volumes: Map<string, Volume>,
  placements: Record<string, Placement>,
): Schemas['FilesystemRequest'] {
  const target = (id: string): Schemas['TargetRequest'] => {
    const volume = volumes.get(id);
    const p = volume ? placementOf(placements, volume) : { failover: [], reformat: false };
    return {
      volume_id: id,
      primary_host_id: p.primary,
      failover_host_ids: p.failover,
      reformat: p.reformat,
      ...(p.zfs ? { backfstype: 'zfs' as const } : {}),
    };
  };
  const conf_params: Record<string, string> = {};
  for (const row of values.conf_params ?? []) {
    if (row?.key?.trim()) conf_params[row.key.trim()] = row.value ?? '';
  }
  return {
    name: values.name?.trim() ?? '',
    // The form requires an MGS when an existing one is chosen.
    mgt: values.mgt_mode === 'existing' ? { mgs_id: values.mgs_id as string } : target(values.mgt_volume ?? ''),
    mdts: (values.mdt_volumes ?? []).map(target),
    osts: (values.ost_volumes ?? []).map(target),
    conf_params,
  };
}

export interface MappedErrors {
  /** Messages for antd form fields, by name path. */
  fields: { name: (string | number)[]; errors: string[] }[];
  /** Messages about one volume's hosts, by volume id. */
  rows: Record<string, string[]>;
  /** Messages that belong to no field shown. */
  rest: string[];
}

/** Places each of the API's field errors where the user can see it. */
export function mapErrors(error: ApiError, values: FormValues, volumes: Map<string, Volume>): MappedErrors {
  const fields = new Map<string, { name: (string | number)[]; errors: string[] }>();
  const rows: Record<string, string[]> = {};
  const rest: string[] = [];
  const toField = (name: (string | number)[], message: string) => {
    const key = JSON.stringify(name);
    const entry = fields.get(key) ?? { name, errors: [] };
    entry.errors.push(message);
    fields.set(key, entry);
  };
  const serial = (id: string | undefined) => (id ? (volumes.get(id)?.serial ?? id) : '');
  for (const e of error.errors) {
    const f = e.field ?? '';
    let m: RegExpMatchArray | null;
    if (f === 'name') toField(['name'], e.message);
    else if (f === 'mgt.mgs_id' || (f === 'mgt' && values.mgt_mode === 'existing')) toField(['mgs_id'], e.message);
    else if ((m = f.match(/^(mgt|mdts|osts)(?:\[(\d+)\])?(?:\.(\w+))?/))) {
      const list = m[1] === 'mgt' ? 'mgt_volume' : m[1] === 'mdts' ? 'mdt_volumes' : 'ost_volumes';
      const ids = m[1] === 'mgt' ? [values.mgt_volume] : m[1] === 'mdts' ? values.mdt_volumes : values.ost_volumes;
      const id = m[2] !== undefined ? ids?.[Number(m[2])] : m[1] === 'mgt' ? values.mgt_volume : undefined;
      const sub = m[3];
      if (id && sub && sub !== 'volume_id') (rows[id] ??= []).push(e.message);
      else toField([list], id && m[1] !== 'mgt' ? `${serial(id)}: ${e.message}` : e.message);
    } else if ((m = f.match(/^conf_params\.(.+)$/))) {
      const i = (values.conf_params ?? []).findIndex((r) => r?.key?.trim() === m![1]);
      if (i >= 0) toField(['conf_params', i, 'key'], e.message);
      else rest.push(e.message);
    } else rest.push(e.message);
  }
  return { fields: [...fields.values()], rows, rest };
}
