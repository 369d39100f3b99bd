//! A small estate for the tests of the API's reads: two managed servers of
//! HA cluster `c1` that share a volume, an unconfigured server without
//! ZFS, a removed one, file system `fs1` (its MGT mounted on `oss1`, its
//! MDT), a running job locking the MGT, storage resources, log lines,
//! events and observed parameters.
// Each test binary uses a part of it.
#![allow(dead_code)]

use sea_orm::ConnectionTrait;
use uuid::Uuid;

pub const OSS1: Uuid = Uuid::from_u128(0xa000_0000_0000_0000_0000_0000_0000_0001);
pub const OSS2: Uuid = Uuid::from_u128(0xa000_0000_0000_0000_0000_0000_0000_0002);
pub const MDS1: Uuid = Uuid::from_u128(0xa000_0000_0000_0000_0000_0000_0000_0003);
pub const GONE: Uuid = Uuid::from_u128(0xa000_0000_0000_0000_0000_0000_0000_0004);
pub const CLUSTER: Uuid = Uuid::from_u128(0xa000_0000_0000_0000_0000_0000_0000_000c);
/// Seen by oss1 and oss2; holds the MGT.
pub const SHARED: Uuid = Uuid::from_u128(0xa000_0000_0000_0000_0000_0000_0000_0011);
/// Seen by oss1; holds the MDT.
pub const LOCAL: Uuid = Uuid::from_u128(0xa000_0000_0000_0000_0000_0000_0000_0012);
/// Seen by mds1; free.
pub const FREE: Uuid = Uuid::from_u128(0xa000_0000_0000_0000_0000_0000_0000_0013);
/// Seen by the removed host only.
pub const HIDDEN: Uuid = Uuid::from_u128(0xa000_0000_0000_0000_0000_0000_0000_0014);
pub const MGT: Uuid = Uuid::from_u128(0xa000_0000_0000_0000_0000_0000_0000_0021);
pub const MDT: Uuid = Uuid::from_u128(0xa000_0000_0000_0000_0000_0000_0000_0022);
pub const FS1: Uuid = Uuid::from_u128(0xa000_0000_0000_0000_0000_0000_0000_0031);
pub const COMMAND: Uuid = Uuid::from_u128(0xa000_0000_0000_0000_0000_0000_0000_0041);
/// Succeeded; `LOCKER` waits for it.
pub const FIRST_JOB: Uuid = Uuid::from_u128(0xa000_0000_0000_0000_0000_0000_0000_0042);
/// Running, holding `target/MGT` for writing and `filesystem/FS1` for reading.
pub const LOCKER: Uuid = Uuid::from_u128(0xa000_0000_0000_0000_0000_0000_0000_0043);
/// Storage resources of plugin `raid`: an array on `SHARED`, its disk, a
/// removed disk, and an enclosure the disk is built on.
pub const ARRAY: Uuid = Uuid::from_u128(0xa000_0000_0000_0000_0000_0000_0000_0051);
pub const DISK: Uuid = Uuid::from_u128(0xa000_0000_0000_0000_0000_0000_0000_0052);
pub const GONE_DISK: Uuid = Uuid::from_u128(0xa000_0000_0000_0000_0000_0000_0000_0053);
pub const ENCLOSURE: Uuid = Uuid::from_u128(0xa000_0000_0000_0000_0000_0000_0000_0054);

const SQL: &str = r#"
INSERT INTO ha_cluster (id, name, authkey, state, fencing, stonith_enabled, fence_devices) VALUES
    ('a0000000-0000-0000-0000-00000000000c', 'c1', decode(repeat('ab', 128), 'hex'), 'configured',
     '{"devices": [{"host_id": "a0000000-0000-0000-0000-000000000001", "agent": "fence_ipmilan",
                    "params": {"password": "secret"}}]}', true, 1);
INSERT INTO host (id, address, port, state, nodename, nids, lnet_state, pacemaker_version, corosync_version,
                  ha_cluster_id, ha_ring0_addr, preflight) VALUES
    ('a0000000-0000-0000-0000-000000000001', '10.0.0.1', 22, 'managed', 'oss1', '{10.0.0.1@tcp}', 'lnet_up',
     '2.1', '3.1', 'a0000000-0000-0000-0000-00000000000c', '192.168.0.1', NULL),
    ('a0000000-0000-0000-0000-000000000002', '10.0.0.2', 22, 'managed', 'oss2', '{10.0.0.2@tcp}', 'lnet_up',
     '2.1', '3.1', 'a0000000-0000-0000-0000-00000000000c', NULL, NULL),
    ('a0000000-0000-0000-0000-000000000003', '10.0.0.3', 2222, 'unconfigured', NULL, '{}', 'lnet_unknown',
     NULL, NULL, NULL, NULL,
     '{"checks": [{"name": "zfs", "status": "fail", "message": "no zfs module", "fix": null}]}'),
    ('a0000000-0000-0000-0000-000000000004', '10.0.0.4', 22, 'removed', 'gone', '{}', 'lnet_unknown',
     NULL, NULL, NULL, NULL, NULL);
INSERT INTO volume (id, serial, size_bytes) VALUES
    ('a0000000-0000-0000-0000-000000000011', 'SER1', 100),
    ('a0000000-0000-0000-0000-000000000012', 'SER2', 200),
    ('a0000000-0000-0000-0000-000000000013', 'SER3', 300),
    ('a0000000-0000-0000-0000-000000000014', 'SER4', 400);
INSERT INTO volume_node (volume_id, host_id, path) VALUES
    ('a0000000-0000-0000-0000-000000000011', 'a0000000-0000-0000-0000-000000000002', '/dev/sdb'),
    ('a0000000-0000-0000-0000-000000000011', 'a0000000-0000-0000-0000-000000000001', '/dev/sda'),
    ('a0000000-0000-0000-0000-000000000012', 'a0000000-0000-0000-0000-000000000001', '/dev/sdc'),
    ('a0000000-0000-0000-0000-000000000013', 'a0000000-0000-0000-0000-000000000003', '/dev/sdd'),
    ('a0000000-0000-0000-0000-000000000014', 'a0000000-0000-0000-0000-000000000004', '/dev/sde');
INSERT INTO target (id, kind, name, volume_id, primary_host_id, failover_host_ids, active_host_id, state) VALUES
    ('a0000000-0000-0000-0000-000000000021', 'mgt', 'MGS', 'a0000000-0000-0000-0000-000000000011',
     'a0000000-0000-0000-0000-000000000001', '{a0000000-0000-0000-0000-000000000002}',
     'a0000000-0000-0000-0000-000000000002', 'mounted');
INSERT INTO filesystem (id, name, mgs_id, conf_params) VALUES
    ('a0000000-0000-0000-0000-000000000031', 'fs1', 'a0000000-0000-0000-0000-000000000021',
     '{"fs1.sys.timeout": "100"}');
INSERT INTO target (id, kind, name, filesystem_id, target_index, volume_id, primary_host_id, state) VALUES
    ('a0000000-0000-0000-0000-000000000022', 'mdt', 'fs1-MDT0000', 'a0000000-0000-0000-0000-000000000031', 0,
     'a0000000-0000-0000-0000-000000000012', 'a0000000-0000-0000-0000-000000000001', 'unmounted');
INSERT INTO command (id, message, state) VALUES ('a0000000-0000-0000-0000-000000000041', 'Start fs1', 'running');
INSERT INTO job (id, command_id, key, description, step_count, state) VALUES
    ('a0000000-0000-0000-0000-000000000042', 'a0000000-0000-0000-0000-000000000041', 'first', 'Load LNet', 1,
     'succeeded'),
    ('a0000000-0000-0000-0000-000000000043', 'a0000000-0000-0000-0000-000000000041', 'mount', 'Mount MGS', 1,
     'running');
INSERT INTO job_lock (job_id, item, write) VALUES
    ('a0000000-0000-0000-0000-000000000043', 'target/a0000000-0000-0000-0000-000000000021', true),
    ('a0000000-0000-0000-0000-000000000043', 'filesystem/a0000000-0000-0000-0000-000000000031', false);
INSERT INTO job_dependency (job_id, depends_on) VALUES
    ('a0000000-0000-0000-0000-000000000043', 'a0000000-0000-0000-0000-000000000042');
INSERT INTO storage_plugin (name, state, levels, classes, restarts) VALUES
    ('raid', 'running', '{detect,configure}',
     '[{"name": "array", "actions": [{"name": "rebuild", "label": "Rebuild", "args": []}]}]', 2);
INSERT INTO storage_resource (id, plugin, local_id, class, parent_id, attributes, volume_id, removed_at) VALUES
    ('a0000000-0000-0000-0000-000000000054', 'raid', 'e1', 'enclosure', NULL, '{}', NULL, NULL),
    ('a0000000-0000-0000-0000-000000000051', 'raid', 'a1', 'array', NULL, '{}',
     'a0000000-0000-0000-0000-000000000011', NULL),
    ('a0000000-0000-0000-0000-000000000052', 'raid', 'd1', 'disk', 'a0000000-0000-0000-0000-000000000051', '{}',
     NULL, NULL),
    ('a0000000-0000-0000-0000-000000000053', 'raid', 'd2', 'disk', 'a0000000-0000-0000-0000-000000000051', '{}',
     NULL, now());
INSERT INTO storage_relationship (from_id, to_id, kind) VALUES
    ('a0000000-0000-0000-0000-000000000052', 'a0000000-0000-0000-0000-000000000054', 'built_on');
INSERT INTO log_line (host_id, at, severity, source, message, cursor) VALUES
    ('a0000000-0000-0000-0000-000000000001', '2026-12-01T10:00:00Z', 'error', 'kernel', 'LustreError: 100%', 'c1'),
    ('a0000000-0000-0000-0000-000000000001', '2026-12-01T11:00:00Z', 'info', 'lnet', 'LNet up', 'c2'),
    ('a0000000-0000-0000-0000-000000000002', '2026-12-01T09:00:00Z', 'warning', 'kernel', 'slow disk', 'c3');
INSERT INTO event (id, at, kind, username, item, message) VALUES
    ('a0000000-0000-0000-0000-000000000061', '2026-12-01T10:00:00Z', 'api_change', 'admin', NULL, 'Added host'),
    ('a0000000-0000-0000-0000-000000000062', '2026-12-01T11:00:00Z', 'login_failed', NULL, NULL, 'Bad password'),
    ('a0000000-0000-0000-0000-000000000063', '2026-12-01T12:00:00Z', 'api_change', 'admin',
     'filesystem/a0000000-0000-0000-0000-000000000031', 'Started fs1');
INSERT INTO param_observation (filesystem_id, key, llog_value, live_value, observed_at) VALUES
    ('a0000000-0000-0000-0000-000000000031', 'fs1.sys.timeout', '200', '200', '2026-12-01T10:00:00Z');
"#;

/// A fresh database holding the estate.
pub async fn estate() -> anyhow::Result<crate::support::TestDb> {
    let t = crate::support::TestDb::new().await?;
    t.db.execute_unprepared(SQL).await?;
    Ok(t)
}
