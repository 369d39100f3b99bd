// The alert kinds the monitor, the sweeps and failed jobs raise, and how
// each reads in the console.

/** Labels for kinds that do not read well as their words (`ha_no_quorum`). */
const LABELS: Record<string, string> = {
  ha_daemon_stopped: 'HA daemon stopped',
  ha_peer_missing: 'HA peer missing',
  ha_no_quorum: 'HA cluster without quorum',
  ha_fencing_missing: 'HA fencing device missing',
  ha_fencing_disabled: 'HA fencing disabled',
  ha_resource_failed: 'HA resource failed',
  ha_node_fenced: 'HA node fenced',
  host_preflight_failed: 'Server failed pre-flight checks',
};

/** How an alert kind reads: its label, else its words. */
export const kindLabel = (kind: string) => LABELS[kind] ?? kind.replace(/_/g, ' ');

/** Whether an alert is about high availability (Pacemaker, corosync, fencing). */
export const isHaKind = (kind: string) => kind.startsWith('ha_');

/** Every kind, for the Alerts page's filter. */
export const KINDS = [
  'host_unreachable',
  'host_key_changed',
  'lnet_down',
  'lustre_unhealthy',
  'target_offline',
  'target_failed_over',
  'space_high',
  'inodes_high',
  'quota_soft_limit_exceeded',
  'client_mount_lost',
  'job_failed',
  'step_dead_lettered',
  'storage_disk_failed',
  ...Object.keys(LABELS),
].map((k) => ({ value: k, label: kindLabel(k) }));
