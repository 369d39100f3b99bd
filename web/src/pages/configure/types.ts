// The shapes the API answers for the objects Configure shows (see
// api/src/routes/{filesystems,targets,hosts,volumes,ha}/mod.rs).

export interface HeldLock {
  item: string;
  write: boolean;
  job_id: string;
  command_id: string;
  description: string;
}

export interface Target {
  id: string;
  name: string;
  kind: 'mgt' | 'mdt' | 'ost' | string;
  filesystem_id: string | null;
  filesystem: string | null;
  index: number | null;
  volume_id: string;
  volume_serial: string;
  primary_host_id: string;
  primary_host: string | null;
  failover_host_ids: string[];
  active_host_id: string | null;
  active_host: string | null;
  failed_over: boolean;
  state: string;
  managed: boolean;
  /** `pacemaker`: started, stopped and moved by Pacemaker as `ha_resource`; `none`: mounted by Chroma directly. */
  ha_mode: 'pacemaker' | 'none' | string;
  /** Its Pacemaker primitive's id. */
  ha_resource: string | null;
  /** `ldiskfs` or `zfs`. */
  backfstype: 'ldiskfs' | 'zfs' | string;
  /** A ZFS target's pool (its dataset is `zpool/ost0003`). */
  zpool: string | null;
  available_transitions: string[];
  locks: HeldLock[];
  created_at: string;
}

export interface Filesystem {
  id: string;
  name: string;
  state: string;
  managed: boolean;
  mgs_id: string;
  client_mount_source: string | null;
  conf_params: Record<string, string>;
  available_transitions: string[];
  locks: HeldLock[];
  /** Its MGT, then its MDTs and OSTs. */
  targets: Target[];
  created_at: string;
}

/** One LNet network of a server and the interfaces that carry it. */
export interface LnetNetwork {
  net: string;
  interfaces: string[];
}

export interface Host {
  id: string;
  address: string;
  port: number;
  fingerprint: string | null;
  state: string;
  nodename: string | null;
  kernel: string | null;
  lustre_version: string | null;
  lnet_state: string;
  nids: string[];
  /** The LNet networks Chroma configured; null: the module options' networks. */
  lnet_networks: LnetNetwork[] | null;
  /** Null: Pacemaker is not installed. */
  pacemaker_version: string | null;
  /** Null: corosync is not installed. */
  corosync_version: string | null;
  /** Its Pacemaker node name, once its cluster runs (may differ from `nodename`). */
  ha_node: string | null;
  ha_cluster_id: string | null;
  /** The checks of its last probe; null before the first. */
  preflight: Preflight | null;
  preflight_at: string | null;
  /** False while a pre-flight check fails: no LNet or target action is offered. */
  serves_lustre: boolean;
  available_transitions: string[];
  lnet_transitions: string[];
  locks: HeldLock[];
  created_at: string;
}

/** One pre-flight check: what it found and, unless it passed, how to fix it. */
export interface PreflightCheck {
  name: string;
  status: 'pass' | 'warn' | 'fail';
  message: string;
  fix: string | null;
}

export interface Preflight {
  checks: PreflightCheck[];
}

export interface VolumeNode {
  host_id: string;
  host: string | null;
  path: string;
}

export interface Volume {
  id: string;
  serial: string;
  size_bytes: number;
  target_id: string | null;
  target: string | null;
  nodes: VolumeNode[];
}

export interface HaClusterMember {
  host_id: string;
  nodename: string | null;
  ha_node: string | null;
  ring0_addr: string;
}

/** A fence agent and its parameters (values shown as `********`). */
export interface FenceDevice {
  host_id: string;
  agent: string;
  params: Record<string, string>;
}

/** The fencing asked for: disabled on purpose, or one device per member. */
export interface Fencing {
  disabled?: boolean;
  devices?: FenceDevice[];
}

export interface HaCluster {
  id: string;
  name: string;
  /** `pending` until its setup job has run, then `configured`. */
  state: 'pending' | 'configured' | string;
  members: HaClusterMember[];
  fencing: Fencing;
  /** As Pacemaker last showed it; null before the first look. */
  stonith_enabled: boolean | null;
  fence_devices: number;
  quorate: boolean | null;
  seen_at: string | null;
  created_at: string;
}

/** `POST /api/ha_cluster` and `/configure`'s answer. */
export interface HaSetupSubmitted {
  cluster: HaCluster;
  command: string;
}

// One shape per API object: the command's and the plan's are the Jobs
// page's and the API client's.
export type { CommandView as CommandDetail, JobView as Job } from '../jobs/types';
export type { Plan as Planned } from '../../api';

/** `POST /api/host/scan`. */
export interface ScannedKey {
  address: string;
  port: number;
  fingerprint: string;
  key_type: string;
}

/** A host's name as people know it: its node name, else its address. */
export const hostLabel = (h: Pick<Host, 'nodename' | 'address'> | undefined, fallback = '–') =>
  h ? (h.nodename ?? h.address) : fallback;
