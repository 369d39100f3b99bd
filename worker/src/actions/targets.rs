//! Targets and file systems as the actions read them from the database, and
//! the one statement that records what a target was seen doing.

use sea_orm::{DbErr, QueryResult};
use serde_json::Value;
use uuid::Uuid;

use super::servers::{db_error, Server};
use super::{lsblk, step};
use crate::shared::Shared;
use store::sql::{execute, query};

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
    pub format: Option<common::format::FormatOptions>,
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
    pub async fn load(shared: &Shared, id: Uuid) -> Result<TargetRow, String> {
        let rows = query(
            &shared.db,
            "SELECT t.kind, t.name, t.filesystem_id, t.target_index, t.volume_id, v.serial,
                    t.primary_host_id, t.failover_host_ids, t.reformat, t.format_marker, t.ha_resource,
                    t.format_options, t.zpool
             FROM target t JOIN volume v ON v.id = t.volume_id WHERE t.id = $1",
            [id.into()],
        )
        .await
        .map_err(db_error("read the target"))?;
        let row = rows.first().ok_or_else(|| format!("target {id} does not exist"))?;
        Self::from_row(id, row).map_err(|e| format!("bad row for target {id}: {e}"))
    }

    fn from_row(id: Uuid, row: &QueryResult) -> Result<TargetRow, DbErr> {
        Ok(TargetRow {
            id,
            kind: row.try_get("", "kind")?,
            name: row.try_get("", "name")?,
            filesystem_id: row.try_get("", "filesystem_id")?,
            index: row.try_get("", "target_index")?,
            volume_id: row.try_get("", "volume_id")?,
            serial: row.try_get("", "serial")?,
            primary: row.try_get("", "primary_host_id")?,
            failovers: row.try_get("", "failover_host_ids")?,
            reformat: row.try_get("", "reformat")?,
            format_marker: row.try_get("", "format_marker")?,
            ha_resource: row.try_get("", "ha_resource")?,
            format: row
                .try_get::<Option<serde_json::Value>>("", "format_options")?
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| DbErr::Custom(format!("bad format options: {e}")))?,
            zpool: row.try_get("", "zpool")?,
        })
    }

    /// A ZFS target's dataset, `POOL/ost0003`: what mkfs.lustre formats
    /// and mount.lustre mounts in place of the volume.
    pub fn dataset(&self) -> Option<String> {
        self.zpool.as_deref().map(|pool| common::zfs::dataset(pool, &self.name))
    }

    /// The primary host first, then the failover hosts.
    pub fn host_ids(&self) -> Vec<Uuid> {
        let mut ids = vec![self.primary];
        ids.extend(self.failovers.iter().filter(|id| **id != self.primary));
        ids
    }

    /// Loads the primary host first, then the failover hosts.
    pub async fn hosts(&self, shared: &Shared) -> Result<Vec<Server>, String> {
        Server::load_all(shared, &self.host_ids()).await
    }

    /// The path of the target's volume on `host` now, found by its serial
    /// (`lsblk`): kernel names change across reboots, so the path recorded
    /// at probe time is only refreshed here, never trusted.
    pub async fn device_on(&self, shared: &Shared, host: &Server) -> Result<String, String> {
        self.find_device(shared, host)
            .await?
            .ok_or_else(|| format!("volume {} is not visible on {}", self.serial, host.name))
    }

    /// Like [`Self::device_on`], but `None` when `host` does not see it.
    /// The path is the volume's stable by-id link (see [`lsblk`]).
    pub async fn find_device(&self, shared: &Shared, host: &Server) -> Result<Option<String>, String> {
        Ok(self.find_volume(shared, host).await?.map(|v| v.path))
    }

    /// The volume as `host` sees it now (stable path and device node);
    /// refreshes the recorded device node.
    pub async fn find_volume(&self, shared: &Shared, host: &Server) -> Result<Option<lsblk::Disk>, String> {
        let found = if self.zpool.is_some() {
            lsblk::vdev_of(shared, host, &self.serial).await?
        } else {
            lsblk::volume_of(shared, host, &self.serial).await?
        };
        let Some(volume) = found else {
            return Ok(None);
        };
        execute(
            &shared.db,
            "UPDATE volume_node SET path = $3 WHERE volume_id = $1 AND host_id = $2 AND path <> $3",
            [self.volume_id.into(), host.id.into(), volume.device.clone().into()],
        )
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
    pub async fn load(shared: &Shared, id: Uuid) -> Result<FilesystemRow, String> {
        let rows = query(
            &shared.db,
            "SELECT name, mgs_id, conf_params FROM filesystem WHERE id = $1",
            [id.into()],
        )
        .await
        .map_err(db_error("read the file system"))?;
        let row = rows.first().ok_or_else(|| format!("file system {id} does not exist"))?;
        let bad = |e: DbErr| format!("bad row for file system {id}: {e}");
        Ok(FilesystemRow {
            name: row.try_get("", "name").map_err(bad)?,
            mgs_id: row.try_get("", "mgs_id").map_err(bad)?,
            conf_params: row.try_get("", "conf_params").map_err(bad)?,
        })
    }
}

/// Records that target `id` was seen in `state`, mounted on `active` (or
/// nowhere); fenced by the step attempt (see [`step::update`]).
pub async fn record(shared: &Shared, id: Uuid, state: &str, active: Option<Uuid>) -> Result<(), String> {
    step::update(
        &shared.db,
        "record the target's state",
        "UPDATE target SET state = $2, active_host_id = $3 WHERE id = $1",
        vec![id.into(), state.to_owned().into(), active.into()],
    )
    .await?;
    Ok(())
}
