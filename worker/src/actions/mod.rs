//! The actions a worker runs. Each checks the server's real state before
//! it acts, so a redelivered step resumes rather than repeats; none runs
//! arbitrary commands, and every value sent to a server is its own quoted
//! argument.

mod blkid;
mod conf_params;
mod configure_target;
mod contents;
mod detect;
mod detect_pacemaker;
mod detect_record;
mod failover;
mod format_target;
mod format_zfs;
mod ha;
mod in_use;
pub use common::llog;
mod lnet;
mod lnet_config;
mod lsblk;
mod mkfs;
mod mount_target;
mod mounts;
mod preflight;
mod probe_host;
mod register_target;
mod remove;
mod servers;
mod step;
mod storage;
mod targets;
mod transcript;
mod writeconf;
mod zfs;

use common::Action;
use serde_json::{json, Value};
use std::time::Duration;

use crate::shared::Shared;

pub use step::StepAttempt;
pub use transcript::ActionError;

/// Runs `action` outside any step (its state writes are not fenced); `Ok`
/// carries the step's output with the commands it ran on servers
/// (`commands`: host, command, exit status, stdout, stderr), `Err` its
/// error with the commands it ran before failing.
pub async fn run(shared: &Shared, action: &Action) -> Result<Value, ActionError> {
    // Boxed: the actions' futures are large, and polling them inline
    // overflowed a 2 MiB stack in debug builds.
    transcript::capture(Box::pin(act(shared, action))).await
}

/// Runs `action` for attempt `step`: what it records lands only while the
/// step is still running this attempt.
pub async fn run_step(shared: &Shared, step: StepAttempt, action: &Action) -> Result<Value, ActionError> {
    step::scope(step, run(shared, action)).await
}

async fn act(shared: &Shared, action: &Action) -> Result<Value, String> {
    match action {
        Action::Noop => Ok(json!({})),
        Action::Sleep { ms } => {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
            Ok(json!({ "slept_ms": ms }))
        }
        Action::Fail { message } => Err(message.clone()),
        Action::ProbeHost { host_id } => probe_host::run(shared, *host_id).await,
        Action::StartLnet { host_id } => lnet::start(shared, *host_id).await,
        Action::StopLnet { host_id } => lnet::stop(shared, *host_id).await,
        Action::ConfigureLnet { host_id, networks } => lnet_config::run(shared, *host_id, networks).await,
        Action::WriteconfTarget { target_id } => writeconf::run(shared, *target_id).await,
        Action::FormatTarget { target_id } => format_target::run(shared, *target_id).await,
        Action::RegisterTarget { target_id } => register_target::run(shared, *target_id).await,
        Action::ConfigureTarget { target_id } => configure_target::run(shared, *target_id).await,
        Action::MountTarget { target_id } => mount_target::mount(shared, *target_id).await,
        Action::UnmountTarget { target_id } => mount_target::unmount(shared, *target_id).await,
        Action::FailoverTarget { target_id, host_id } => failover::failover(shared, *target_id, *host_id).await,
        Action::FailbackTarget { target_id } => failover::failback(shared, *target_id).await,
        Action::RemoveTarget { target_id } => remove::target(shared, *target_id).await,
        Action::ApplyConfParams { filesystem_id } => conf_params::run(shared, *filesystem_id).await,
        Action::EraseConfiguration { filesystem_id } => remove::erase_configuration(shared, *filesystem_id).await,
        Action::RemoveFilesystem { filesystem_id } => remove::filesystem(shared, *filesystem_id).await,
        Action::RemoveHost { host_id } => remove::host(shared, *host_id).await,
        Action::DetectFilesystems => detect::run(shared).await,
        Action::ConfigureCorosync { cluster_id } => ha::cluster::configure_corosync(shared, *cluster_id).await,
        Action::StartPacemaker { cluster_id } => ha::cluster::start_pacemaker(shared, *cluster_id).await,
        Action::ConfigurePacemaker { cluster_id } => ha::cluster::configure_pacemaker(shared, *cluster_id).await,
        Action::StorageAction {
            resource_id,
            action,
            args,
        } => storage::run(shared, *resource_id, action, args).await,
    }
}
