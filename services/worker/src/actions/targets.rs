//! Targets and file systems as the actions read them from the database, and
//! the one statement that records what a target was seen doing.

use serde_json::Value;
use uuid::Uuid;

use super::servers::Server;
use super::{lsblk, step};
use crate::error::{db_error, ActionError};
use crate::shared::Shared;

/// A target row.
#[derive(Debug, Clone)]
pub struct TargetRow {
    pub id: Uuid,
    /// `mgt`, `mdt` or `ost`.
    pub kind: String,
    /// Lustre's service name: `MGS`, `fs1-MDT0000`.
    pub name: String,
    pub filesystem_id: Option<Uuid>,
    pub index: Option<i32>,
    pub volume_id: Uuid,
    pub serial: String,
    pub primary: Uuid,
    pub failovers: Vec<Uuid>,
    pub reformat: bool,
    /// The volume's file-system UUID (`''`: none) as the first format
    /// attempt found it, recorded before `mkfs.lustre` ran.
    pub format_marker: Option<String>,
    /// The target's Pacemaker primitive, when its HA mode is `pacemaker`;
    /// `None`: Chroma mounts it directly.
    pub ha_resource: Option<String>,
    /// The ldiskfs options it is formatted with (checked by the API).
    pub format: Option<lustre::format::FormatOptions>,
    /// A ZFS target's pool (built on the volume); `None`: ldiskfs on the
    /// volume itself.
    pub zpool: Option<String>,
}

/// A file-system row.
#[derive(Debug, Clone)]
pub struct FilesystemRow {
    pub name: String,
    pub mgs_id: Uuid,
    /// `{"sys.timeout": "40", …}`.
    pub conf_params: Value,
}

impl TargetRow {
    /// Loads target `id` with its volume's serial.
    pub async fn load(shared: &Shared, id: Uuid) -> Result<TargetRow, ActionError> {
        let row = store::targets::for_action(&shared.db, id)
            .await
            .map_err(db_error("read the target"))?
            .ok_or_else(|| ActionError::Bug(format!("target {id} does not exist")))?;
        let format = row
            .format_options
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| ActionError::Bug(format!("bad row for target {id}: bad format options: {e}")))?;
        Ok(TargetRow {
            id,
            kind: row.kind,
            name: row.name,
            filesystem_id: row.filesystem_id,
            index: row.target_index,
            volume_id: row.volume_id,
            serial: row.serial,
            primary: row.primary_host_id,
            failovers: row.failover_host_ids,
            reformat: row.reformat,
            format_marker: row.format_marker,
            ha_resource: row.ha_resource,
            format,
            zpool: row.zpool,
        })
    }

    /// A ZFS target's dataset, `POOL/ost0003`: what mkfs.lustre formats
    /// and mount.lustre mounts in place of the volume.
    pub fn dataset(&self) -> Option<String> {
        self.zpool.as_deref().map(|pool| lustre::zfs::dataset(pool, &self.name))
    }

    /// The primary host first, then the failover hosts.
    pub fn host_ids(&self) -> Vec<Uuid> {
        let mut ids = vec![self.primary];
        ids.extend(self.failovers.iter().filter(|id| **id != self.primary));
        ids
    }

    /// Loads the primary host first, then the failover hosts.
    pub async fn hosts(&self, shared: &Shared) -> Result<Vec<Server>, ActionError> {
        Server::load_all(shared, &self.host_ids()).await
    }

    /// The path of the target's volume on `host` now, found by its serial
    /// (`lsblk`): kernel names change across reboots, so the path recorded
    /// at probe time is only refreshed here, never trusted.
    pub async fn device_on(&self, shared: &Shared, host: &Server) -> Result<String, ActionError> {
        self.find_device(shared, host)
            .await?
            .ok_or_else(|| ActionError::Refused(format!("volume {} is not visible on {}", self.serial, host.name)))
    }

    /// Like [`Self::device_on`], but `None` when `host` does not see it.
    /// The path is the volume's stable by-id link (see [`lsblk`]).
    pub async fn find_device(&self, shared: &Shared, host: &Server) -> Result<Option<String>, ActionError> {
        Ok(self.find_volume(shared, host).await?.map(|v| v.path))
    }

    /// The volume as `host` sees it now (stable path and device node);
    /// refreshes the recorded device node.
    pub async fn find_volume(&self, shared: &Shared, host: &Server) -> Result<Option<lsblk::Disk>, ActionError> {
        let found = if self.zpool.is_some() {
            lsblk::vdev_of(shared, host, &self.serial).await?
        } else {
            lsblk::volume_of(shared, host, &self.serial).await?
        };
        let Some(volume) = found else {
            return Ok(None);
        };
        store::volumes::refresh_path(&shared.db, self.volume_id, host.id, &volume.device)
            .await
            .map_err(db_error("record the volume's path"))?;
        Ok(Some(volume))
    }

    /// Where Lustre targets are mounted by Chroma: `/mnt/NAME`.
    pub fn mountpoint(&self) -> String {
        format!("/mnt/{}", self.name)
    }
}

impl FilesystemRow {
    /// Loads file system `id`.
    pub async fn load(shared: &Shared, id: Uuid) -> Result<FilesystemRow, ActionError> {
        let row = store::filesystems::for_action(&shared.db, id)
            .await
            .map_err(db_error("read the file system"))?
            .ok_or_else(|| ActionError::Bug(format!("file system {id} does not exist")))?;
        Ok(FilesystemRow {
            name: row.name,
            mgs_id: row.mgs_id,
            conf_params: row.conf_params,
        })
    }
}

/// Records that target `id` was seen in `state`, mounted on `active` (or
/// nowhere); fenced by the step attempt (see [`step::update`]).
pub async fn record(shared: &Shared, id: Uuid, state: &str, active: Option<Uuid>) -> Result<(), ActionError> {
    step::update(&shared.db, "record the target's state", |fence| {
        store::targets::record_seen_state(&shared.db, fence, id, state, active)
    })
    .await?;
    Ok(())
}
