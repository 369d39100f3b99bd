//! The actions a worker runs. Each checks the server's real state before
//! it acts, so a redelivered step resumes rather than repeats; none runs
//! arbitrary commands, and every value sent to a server is its own quoted
//! argument.

mod blkid;
mod client_mount;
mod conf_params;
mod configure_target;
mod contents;
mod data;
mod detect;
mod detect_pacemaker;
mod detect_record;
mod drain;
mod failover;
mod format_target;
mod format_zfs;
mod ha;
mod hsm;
mod in_use;
mod lfs_running;
pub use lustre::llog;
mod lnet;
mod lnet_config;
mod lsblk;
mod mkfs;
mod mount_target;
mod mounts;
mod pools;
mod preflight;
mod probe_host;
mod quotas;
mod register_target;
mod remove;
mod servers;
mod step;
mod storage;
mod targets;
mod transcript;
mod writeconf;
mod zfs;

use lustre::Action;
use serde_json::{json, Value};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::shared::Shared;

pub use crate::error::ActionError;
pub use step::StepAttempt;
pub use transcript::Failed;

/// Runs `action` outside any step (its state writes are not fenced); `Ok`
/// carries the step's output with the commands it ran on servers
/// (`commands`: host, command, exit status, stdout, stderr), `Err` its
/// error with the commands it ran before failing.
pub async fn run(shared: &Shared, action: &Action) -> Result<Value, Failed> {
    transcript::capture(act(shared, action)).await
}

/// Runs `action` for attempt `step`: what it records lands only while the
/// step is still running this attempt.
pub async fn run_step(shared: &Shared, step: StepAttempt, action: &Action) -> Result<Value, Failed> {
    step::scope(step, run(shared, action)).await
}

/// An action's future, on the heap.
type Acting<'a> = Pin<Box<dyn Future<Output = Result<Value, ActionError>> + Send + 'a>>;

/// The future of `action`. Each is boxed on its own, never polled inside
/// one `async fn` matching on the action: the actions' futures are large,
/// and such a function's frame in debug builds holds room for all of them,
/// which overflowed a 2 MiB stack.
fn act<'a>(shared: &'a Shared, action: &'a Action) -> Acting<'a> {
    match action {
        Action::Noop => Box::pin(std::future::ready(Ok(json!({})))),
        Action::Sleep { ms } => Box::pin(async move {
            let sleep = tokio::time::sleep(Duration::from_millis(*ms));
            match chroma_ssh::interrupt::current() {
                // Interrupted, it ends at once: it left nothing running.
                Some(interrupt) => tokio::select! {
                    () = sleep => {}
                    () = interrupt.interrupted() => return Err(ActionError::Refused("interrupted".into())),
                },
                None => sleep.await,
            }
            Ok(json!({ "slept_ms": ms }))
        }),
        Action::Fail { message } => Box::pin(std::future::ready(Err(ActionError::Refused(message.clone())))),
        Action::ProbeHost { host_id } => Box::pin(probe_host::run(shared, *host_id)),
        Action::StartLnet { host_id } => Box::pin(lnet::start(shared, *host_id)),
        Action::StopLnet { host_id } => Box::pin(lnet::stop(shared, *host_id)),
        Action::ConfigureLnet { host_id, networks } => Box::pin(lnet_config::run(shared, *host_id, networks)),
        Action::WriteconfTarget { target_id } => Box::pin(writeconf::run(shared, *target_id)),
        Action::FormatTarget { target_id } => Box::pin(format_target::run(shared, *target_id)),
        Action::RegisterTarget { target_id } => Box::pin(register_target::run(shared, *target_id)),
        Action::ConfigureTarget { target_id } => Box::pin(configure_target::run(shared, *target_id)),
        Action::MountTarget { target_id } => Box::pin(mount_target::mount(shared, *target_id)),
        Action::UnmountTarget { target_id } => Box::pin(mount_target::unmount(shared, *target_id)),
        Action::UnmountRemovedOst { target_id } => Box::pin(mount_target::unmount_removed(shared, *target_id)),
        Action::FailoverTarget { target_id, host_id } => Box::pin(failover::failover(shared, *target_id, *host_id)),
        Action::FailbackTarget { target_id } => Box::pin(failover::failback(shared, *target_id)),
        Action::RemoveTarget { target_id } => Box::pin(remove::target(shared, *target_id)),
        Action::DrainOst { target_id } => Box::pin(drain::set_drained(shared, *target_id, true)),
        Action::UndrainOst { target_id } => Box::pin(drain::set_drained(shared, *target_id, false)),
        Action::DeactivateOst { target_id } => Box::pin(drain::deactivate(shared, *target_id)),
        Action::ApplyConfParams { filesystem_id } => Box::pin(conf_params::run(shared, *filesystem_id)),
        Action::EraseConfiguration { filesystem_id } => Box::pin(remove::erase_configuration(shared, *filesystem_id)),
        Action::RemoveFilesystem { filesystem_id } => Box::pin(remove::filesystem(shared, *filesystem_id)),
        Action::CreatePool { pool_id, ost_ids } => Box::pin(pools::ensure(shared, *pool_id, ost_ids, true)),
        Action::ChangePool { pool_id, ost_ids } => Box::pin(pools::ensure(shared, *pool_id, ost_ids, false)),
        Action::DestroyPool { pool_id } => Box::pin(pools::destroy(shared, *pool_id)),
        Action::MountClient { client_mount_id } => Box::pin(client_mount::mount(shared, *client_mount_id)),
        Action::UnmountClient { client_mount_id } => Box::pin(client_mount::unmount(shared, *client_mount_id, false)),
        Action::RemoveClientMount { client_mount_id } => {
            Box::pin(client_mount::unmount(shared, *client_mount_id, true))
        }
        Action::MirrorFile(args) => Box::pin(data::mirror(shared, args)),
        Action::MigrateFiles(args) => Box::pin(data::migrate(shared, args)),
        Action::SetStriping(args) => Box::pin(data::stripe(shared, args)),
        Action::SetQuotaEnforcement {
            filesystem_id,
            ost,
            mdt,
        } => Box::pin(quotas::enforce(shared, *filesystem_id, ost, mdt)),
        Action::SetQuota {
            quota_id,
            client_mount_id,
        } => Box::pin(quotas::apply(shared, *quota_id, *client_mount_id, false)),
        Action::ClearQuota {
            quota_id,
            client_mount_id,
        } => Box::pin(quotas::apply(shared, *quota_id, *client_mount_id, true)),
        Action::SetQuotaGrace {
            filesystem_id,
            client_mount_id,
            kind,
            block_secs,
            inode_secs,
        } => Box::pin(quotas::grace(
            shared,
            *filesystem_id,
            *client_mount_id,
            kind,
            *block_secs,
            *inode_secs,
        )),
        Action::SetHsmControl { filesystem_id, control } => {
            Box::pin(hsm::set_control(shared, *filesystem_id, *control))
        }
        Action::HsmRequest {
            filesystem_id,
            client_mount_id,
            action,
            path,
            archive_id,
        } => Box::pin(hsm::request(
            shared,
            *filesystem_id,
            *client_mount_id,
            *action,
            path,
            *archive_id,
        )),
        Action::StartCopytool { copytool_id } => Box::pin(hsm::start(shared, *copytool_id)),
        Action::StopCopytool { copytool_id } => Box::pin(hsm::stop(shared, *copytool_id, false)),
        Action::RemoveCopytool { copytool_id } => Box::pin(hsm::stop(shared, *copytool_id, true)),
        Action::RemoveHost { host_id } => Box::pin(remove::host(shared, *host_id)),
        Action::DetectFilesystems => Box::pin(detect::run(shared)),
        Action::ConfigureCorosync { cluster_id } => Box::pin(ha::cluster::configure_corosync(shared, *cluster_id)),
        Action::StartPacemaker { cluster_id } => Box::pin(ha::cluster::start_pacemaker(shared, *cluster_id)),
        Action::ConfigurePacemaker { cluster_id } => Box::pin(ha::cluster::configure_pacemaker(shared, *cluster_id)),
        Action::StorageAction {
            resource_id,
            action,
            args,
        } => Box::pin(storage::run(shared, *resource_id, action, args)),
    }
}
