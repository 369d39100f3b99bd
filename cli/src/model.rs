//! The API's objects, as far as the tables need them. Every field has a
//! default so that a server adding or dropping a field does not break the
//! CLI; `--json` prints what the server sent, untouched.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{CliError, Result};

/// Reads a `response` into `T`.
pub fn parse<T: DeserializeOwned>(value: Value) -> Result<T> {
    serde_json::from_value(value).map_err(|e| CliError::Local(format!("unexpected answer from the server: {e}")))
}

/// One page of a list.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Page<T> {
    pub objects: Vec<T>,
    pub meta: Meta,
}

/// Where a page sits in the whole list.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Meta {
    pub total_count: u64,
    pub limit: u64,
    pub offset: u64,
}

/// A lock a running job holds.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct HeldLock {
    pub item: String,
    pub write: bool,
    pub job_id: String,
    pub command_id: String,
    pub description: String,
}

/// A server.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Host {
    pub id: String,
    pub address: String,
    pub port: u16,
    pub fingerprint: Option<String>,
    pub state: String,
    pub nodename: Option<String>,
    pub kernel: Option<String>,
    pub lustre_version: Option<String>,
    pub lnet_state: String,
    pub nids: Vec<String>,
    /// The LNet networks Chroma configured; none: the module options'.
    #[serde(default)]
    pub lnet_networks: Option<Vec<LnetNetwork>>,
    pub available_transitions: Vec<String>,
    pub lnet_transitions: Vec<String>,
    pub locks: Vec<HeldLock>,
    /// False while a pre-flight check fails: nothing needing Lustre runs.
    pub serves_lustre: bool,
    /// The checks of its last probe; none before the first.
    pub preflight: Option<Preflight>,
    pub preflight_at: Option<String>,
}

/// One LNet network of a host and its interfaces.
#[derive(Debug, Clone, Deserialize)]
pub struct LnetNetwork {
    pub net: String,
    pub interfaces: Vec<String>,
}

/// A host's pre-flight checks.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Preflight {
    pub checks: Vec<PreflightCheck>,
}

/// One pre-flight check: `status` is `pass`, `warn` or `fail`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct PreflightCheck {
    pub name: String,
    pub status: String,
    pub message: String,
    pub fix: Option<String>,
}

/// A block device, visible from one or more hosts.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Volume {
    pub id: String,
    pub serial: String,
    pub size_bytes: u64,
    pub target_id: Option<String>,
    pub target: Option<String>,
    pub nodes: Vec<VolumeNode>,
}

/// Where a volume is seen.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct VolumeNode {
    pub host_id: String,
    pub host: Option<String>,
    pub path: String,
}

/// An MGT, MDT or OST.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Target {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub filesystem_id: Option<String>,
    pub filesystem: Option<String>,
    pub index: Option<i64>,
    pub volume_id: String,
    pub volume_serial: String,
    pub primary_host_id: String,
    pub primary_host: Option<String>,
    pub failover_host_ids: Vec<String>,
    pub active_host_id: Option<String>,
    pub active_host: Option<String>,
    pub failed_over: bool,
    pub state: String,
    pub managed: bool,
    /// `pacemaker` or `none`.
    pub ha_mode: String,
    /// Its Pacemaker primitive.
    pub ha_resource: Option<String>,
    /// `ldiskfs` or `zfs`.
    #[serde(default)]
    pub backfstype: String,
    /// A ZFS target's pool.
    #[serde(default)]
    pub zpool: Option<String>,
    pub available_transitions: Vec<String>,
    pub locks: Vec<HeldLock>,
}

/// A Lustre file system.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Filesystem {
    pub id: String,
    pub name: String,
    pub state: String,
    pub managed: bool,
    pub mgs_id: String,
    pub client_mount_source: Option<String>,
    pub conf_params: Value,
    pub available_transitions: Vec<String>,
    pub locks: Vec<HeldLock>,
    pub targets: Vec<Target>,
}

/// A command and its jobs.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Command {
    pub id: String,
    pub message: String,
    pub state: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub jobs: Vec<Job>,
}

impl Command {
    /// Whether it has finished, one way or another.
    pub fn finished(&self) -> bool {
        matches!(self.state.as_str(), "succeeded" | "failed" | "cancelled")
    }
}

/// A job, with its steps when shown in detail.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Job {
    pub id: String,
    pub command: String,
    pub key: String,
    pub description: String,
    pub state: String,
    pub error: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub steps: Vec<Step>,
    pub locks: Vec<JobLock>,
    pub wait_for: Vec<String>,
}

/// A step of a job.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Step {
    pub index: i64,
    pub action: String,
    pub state: String,
    pub attempts: i64,
    pub worker: Option<String>,
    pub error: Option<String>,
}

/// A lock a job holds or waits for.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct JobLock {
    pub item: String,
    pub write: bool,
}

/// What a state change answers.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Planned {
    pub command: Option<String>,
    pub dry_run: bool,
    pub requires_confirmation: bool,
    pub jobs: Vec<PlannedJob>,
}

/// A job a plan would create.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct PlannedJob {
    pub description: String,
    pub object: String,
    pub from: String,
    pub to: String,
    pub wait_for: Vec<usize>,
    pub confirmation: Option<String>,
}

/// An alert.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Alert {
    pub id: String,
    pub kind: String,
    pub severity: String,
    pub item: String,
    pub message: String,
    pub raised_at: String,
    pub cleared_at: Option<String>,
}

/// An entry of the audit trail.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Event {
    pub id: String,
    pub at: String,
    pub kind: String,
    pub username: Option<String>,
    pub item: Option<String>,
    pub message: String,
}
