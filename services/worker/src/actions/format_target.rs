//! `format_target`: format a target's volume with `mkfs.lustre` on its
//! primary host, exactly once, and never over data it was not asked to
//! overwrite.
//!
//! Before `mkfs.lustre` runs, the volume's file-system UUID as found (`''`
//! for none) is recorded as the target's `format_marker`. A retry that
//! finds the marker and, on the volume, another UUID with this target's
//! label knows the format happened and does not format again. Every read
//! of the device and mkfs itself run under `flock` on the device, so a
//! retry waits while an earlier attempt's mkfs (which may outlive its
//! worker) still runs. A first attempt refuses a volume holding anything
//! unless the target asks for `reformat`, even a leftover of an earlier
//! file system with the same name, and no attempt formats a volume that
//! is mounted on any server that sees it ([`in_use`]).

use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

use super::contents::{self, Contents, LOCK_WAIT_SECS};
use super::in_use;
use super::mkfs::{self, mkfs_argv};
use super::servers::Server;
use super::step;
use super::targets::TargetRow;
use crate::error::ActionError;
use crate::shared::Shared;

/// Formatting a large device takes a while, after waiting for its lock.
pub(super) const MKFS_TIMEOUT: Duration = Duration::from_secs(3600 + LOCK_WAIT_SECS);

/// What to do with the volume as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// An earlier attempt formatted it: record that only.
    Formatted,
    /// It holds data the target did not ask to overwrite.
    Refuse,
    /// Run mkfs.lustre, with `--reformat` when `reformat`.
    Format { reformat: bool },
}

/// Decides from the recorded `marker`, the target's `reformat` flag and
/// what volume holds `now`.
pub fn decide(marker: Option<&str>, reformat: bool, name: &str, now: &Contents) -> Decision {
    match marker {
        Some(marker) if now.uuid.as_deref().is_some_and(|uuid| uuid != marker) && now.labels(name) => {
            Decision::Formatted
        }
        // Data here now was allowed by the first attempt, or is what its
        // interrupted format left.
        Some(_) => Decision::Format {
            reformat: reformat || now.holds_data(),
        },
        None if now.holds_data() && !reformat => Decision::Refuse,
        None => Decision::Format { reformat },
    }
}

pub async fn run(shared: &Shared, target_id: Uuid) -> Result<Value, ActionError> {
    let target = TargetRow::load(shared, target_id).await?;
    let hosts = target.hosts(shared).await?;
    if target.zpool.is_some() {
        return super::format_zfs::run(shared, &target, &hosts).await;
    }
    let primary = hosts
        .first()
        .ok_or_else(|| ActionError::Bug(format!("{} has no primary host", target.name)))?;
    let device = target.device_on(shared, primary).await?;
    let before = contents::read_locked(shared, primary, &device).await?;
    let marker = target.format_marker.as_deref();
    let reformat = match decide(marker, target.reformat, &target.name, &before) {
        Decision::Formatted => {
            record(shared, &target, &before).await?;
            return Ok(json!({
                "target": target.name, "device": device, "formatted": false,
                "label": before.label, "fs_uuid": before.uuid,
            }));
        }
        Decision::Refuse => {
            return Err(ActionError::Refused(format!(
                "volume {} ({device} on {}) holds {}; refusing to overwrite it \
                 (create the target with reformat to format over it)",
                target.serial,
                primary.name,
                before.describe()
            )))
        }
        Decision::Format { reformat } => reformat,
    };
    in_use::refuse_if_in_use(shared, &target).await?;
    if let Some((pool, _)) = super::zfs::member(shared, primary, &device).await? {
        super::format_zfs::refuse_if_pool_live(shared, &target, &pool).await?;
    }
    let marker = match marker {
        Some(marker) => marker.to_owned(),
        None => mark(shared, &target, before.uuid_or_empty()).await?,
    };
    let spec = mkfs::spec(shared, &target, &hosts, reformat).await?;
    format(shared, &target, primary, &device, &spec, &marker).await
}

/// Runs mkfs.lustre under the device's lock and checks what it left: this
/// target's label on a file system other than the one `marker` names.
async fn format(
    shared: &Shared,
    target: &TargetRow,
    host: &Server,
    device: &str,
    spec: &mkfs::MkfsSpec,
    marker: &str,
) -> Result<Value, ActionError> {
    let mkfs = mkfs_argv(spec, device);
    let mkfs: Vec<&str> = mkfs.iter().map(String::as_str).collect();
    let argv = contents::locked(device, &mkfs);
    let output = host.exec_for(shared, &argv, MKFS_TIMEOUT).await?;
    let after = contents::read_locked(shared, host, device).await?;
    let new_uuid = after.uuid.as_deref().is_some_and(|uuid| uuid != marker);
    if !(new_uuid && after.labels(&target.name)) {
        if !output.success() {
            return Err(host.failed(&argv, &output));
        }
        return Err(ActionError::Command(format!(
            "{}: mkfs.lustre succeeded but {device} holds {}, not a new file system labelled {}",
            host.name,
            after.describe(),
            super::blkid::first_time_label(&target.name)
        )));
    }
    record(shared, target, &after).await?;
    Ok(json!({
        "target": target.name, "device": device, "formatted": true,
        "fs_uuid": after.uuid, "command": argv,
    }))
}

/// Records the marker of the first attempt; fails if another attempt
/// recorded one since the target was read. Returns the marker.
pub(super) async fn mark(shared: &Shared, target: &TargetRow, uuid: &str) -> Result<String, ActionError> {
    let changed = step::update(&shared.db, "record the format marker", |fence| {
        store::targets::set_format_marker(&shared.db, fence, target.id, uuid)
    })
    .await?;
    if changed == 0 {
        return Err(ActionError::Refused(format!(
            "another attempt began formatting {} meanwhile; not formatting it twice",
            target.name
        )));
    }
    Ok(uuid.to_owned())
}

/// Records the target as `formatted` with the file system found on it.
pub(super) async fn record(shared: &Shared, target: &TargetRow, found: &Contents) -> Result<(), ActionError> {
    step::update(&shared.db, "record the target's state", |fence| {
        store::targets::record_formatted(&shared.db, fence, target.id, found.uuid.as_deref())
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holding(label: &str, uuid: &str) -> Contents {
        Contents {
            fs_type: Some("ext4".into()),
            label: Some(label.into()),
            uuid: Some(uuid.into()),
            ..Contents::default()
        }
    }

    const OST: &str = "fs1-OST0003";

    #[test]
    fn a_first_attempt_formats_an_empty_volume_and_refuses_data() {
        let empty = Contents::default();
        assert_eq!(decide(None, false, OST, &empty), Decision::Format { reformat: false });
        assert_eq!(decide(None, true, OST, &empty), Decision::Format { reformat: true });
        // A leftover of an earlier fs1 is data like any other.
        let leftover = holding("fs1-OST0003", "old");
        assert_eq!(decide(None, false, OST, &leftover), Decision::Refuse);
        assert_eq!(decide(None, true, OST, &leftover), Decision::Format { reformat: true });
        let table = Contents {
            pt_type: Some("gpt".into()),
            ..Contents::default()
        };
        assert_eq!(decide(None, false, OST, &table), Decision::Refuse);
    }

    #[test]
    fn a_retry_knows_the_format_by_a_new_uuid_with_the_label() {
        let formatted = holding("fs1:OST0003", "new");
        assert_eq!(decide(Some(""), false, OST, &formatted), Decision::Formatted);
        assert_eq!(decide(Some("old"), true, OST, &formatted), Decision::Formatted);
        let registered = holding("fs1-OST0003", "new");
        assert_eq!(decide(Some(""), false, OST, &registered), Decision::Formatted);
        assert_eq!(
            decide(Some(""), false, "MGS", &holding("MGS", "new")),
            Decision::Formatted
        );
    }

    #[test]
    fn a_retry_formats_again_when_the_format_did_not_happen() {
        // mkfs never ran: the volume is as the first attempt found it.
        assert_eq!(
            decide(Some(""), false, OST, &Contents::default()),
            Decision::Format { reformat: false }
        );
        let old = holding("fs1-OST0003", "old");
        assert_eq!(
            decide(Some("old"), true, OST, &old),
            Decision::Format { reformat: true }
        );
        // An interrupted format left something else: overwrite it.
        let partial = holding("junk", "half");
        assert_eq!(
            decide(Some(""), false, OST, &partial),
            Decision::Format { reformat: true }
        );
    }
}
