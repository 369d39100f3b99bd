// The shapes the API answers for the objects Configure shows, as its
// OpenAPI document names them; their fields are documented there
// (../../api/schema.ts).

import type { Narrow, Schemas } from '../../api';

export type HeldLock = Schemas['HeldLock'];

export type Target = Schemas['TargetView'];

/**
 * A file system, with its MGT, then its MDTs and OSTs. The document types
 * `conf_params` as any JSON; it is always a map of parameter to value.
 */
export type Filesystem = Narrow<Schemas['FilesystemView'], { conf_params: Record<string, string> }>;

/** One LNet network of a server and the interfaces that carry it. */
export type LnetNetwork = Schemas['LnetNetwork'];

export type Host = Schemas['HostView'];

/** One pre-flight check: what it found and, unless it passed, how to fix it. */
export type PreflightCheck = Schemas['Check'];

export type Preflight = Schemas['Preflight'];

export type VolumeNode = Schemas['NodeView'];

export type Volume = Schemas['VolumeView'];

export type HaClusterMember = Schemas['ClusterMember'];

/** A fence agent and its parameters (values shown as `********`). */
export type FenceDevice = Schemas['FenceDeviceRequest'];

/** The fencing asked for: disabled on purpose, or one device per member. */
export type Fencing = Schemas['FencingRequest'];

/** An HA cluster. The document types `fencing` as any object; it is the fencing asked for. */
export type HaCluster = Narrow<Schemas['ClusterView'], { fencing: Fencing }>;

/** `POST /api/ha_cluster` and `/configure`'s answer. */
export type HaSetupSubmitted = Narrow<Schemas['SetupSubmitted'], { cluster: HaCluster }>;

// One shape per API object: the command's and the plan's are the Jobs
// page's and the API client's.
export type { CommandView as CommandDetail, JobView as Job } from '../jobs/types';
export type { Plan as Planned } from '../../api';

/** `POST /api/host/scan`. */
export type ScannedKey = Schemas['ScannedKey'];

/** A host's name as people know it: its node name, else its address. */
export const hostLabel = (h: Pick<Host, 'nodename' | 'address'> | undefined, fallback = '–') =>
  h ? (h.nodename ?? h.address) : fallback;
