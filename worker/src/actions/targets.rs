//! Targets and file systems as the actions read them from the database, and
//! the one statement that records what a target was seen doing.

use sea_orm::{DbErr, QueryResult};
use serde_json::Value;
use uuid::Uuid;

use super::servers::{db_error, Server};
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
                    t.primary_host_id, t.failover_host_ids, t.reformat
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
        })
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

    /// The path of the target's volume on `host`.
    pub async fn device_on(&self, shared: &Shared, host: &Server) -> Result<String, String> {
        let rows = query(
            &shared.db,
            "SELECT path FROM volume_node WHERE volume_id = $1 AND host_id = $2",
            [self.volume_id.into(), host.id.into()],
        )
        .await
        .map_err(db_error("read the volume's path"))?;
        rows.first()
            .and_then(|r| r.try_get::<String>("", "path").ok())
            .ok_or_else(|| {
                format!(
                    "volume {} of {} is not visible on {}",
                    self.serial, self.name, host.name
                )
            })
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
/// nowhere).
pub async fn record(shared: &Shared, id: Uuid, state: &str, active: Option<Uuid>) -> Result<(), String> {
    execute(
        &shared.db,
        "UPDATE target SET state = $2, active_host_id = $3 WHERE id = $1",
        [id.into(), state.to_owned().into(), active.into()],
    )
    .await
    .map_err(db_error("record the target's state"))?;
    Ok(())
}
