//! File systems: creation, their targets, states and removal.

/// Which file systems [`views`] reads.
#[derive(Debug, Clone)]
pub enum FilesystemSelection {
    /// The file system with this id.
    Id(uuid::Uuid),
    /// File systems with this name and managed flag, where given; removed
    /// ones only when `removed` is true.
    Matching {
        removed: bool,
        name: Option<String>,
        managed: Option<bool>,
    },
}

/// The selected file systems as the API shows them, each with its MGT,
/// MDTs and OSTs, its state from theirs and the locks running jobs hold on
/// it, by name and creation.
pub async fn views(
    db: &impl sea_orm::ConnectionTrait,
    selection: FilesystemSelection,
) -> Result<Vec<api_types::filesystems::FilesystemView>, sea_orm::DbErr> {
    use api_types::targets::TargetView;
    use lustre::domain::TargetState;
    let (filter, values): (&str, Vec<sea_orm::Value>) = match selection {
        FilesystemSelection::Id(id) => ("f.id = $1", vec![id.into()]),
        FilesystemSelection::Matching { removed, name, managed } => (
            "($1 OR NOT f.removed) AND ($2::text IS NULL OR f.name = $2) AND ($3::bool IS NULL OR f.managed = $3)",
            vec![removed.into(), name.into(), managed.into()],
        ),
    };
    let rows = crate::sql::query(
        db,
        &format!(
            "SELECT f.id, f.name, f.managed, f.removed, f.mgs_id, f.conf_params, f.created_at, f.quota_ost, f.quota_mdt,
                    (SELECT string_agg(array_to_string(h.nids, ','), ':' ORDER BY h.id = m.primary_host_id DESC)
                     FROM host h WHERE h.id = m.primary_host_id OR h.id = ANY(m.failover_host_ids)) AS mgs_nids
             FROM filesystem f JOIN target m ON m.id = f.mgs_id
             WHERE {filter} ORDER BY f.name, f.created_at"
        ),
        values,
    )
    .await?;
    let ids = rows
        .iter()
        .map(|r| r.try_get::<uuid::Uuid>("", "id"))
        .collect::<Result<Vec<_>, _>>()?;
    let mgs_ids = rows
        .iter()
        .map(|r| r.try_get::<uuid::Uuid>("", "mgs_id"))
        .collect::<Result<Vec<_>, _>>()?;
    let targets = crate::targets::views(
        db,
        crate::targets::TargetSelection::OfFilesystems {
            filesystem_ids: ids.clone(),
            mgs_ids,
        },
    )
    .await?;
    let items = ids.iter().map(|id| lustre::Item::Filesystem(*id).to_string()).collect();
    let mut held = crate::domain::held_locks(db, items).await?;
    let mut graces = crate::quotas::graces(db, &ids).await?;
    rows.iter()
        .map(|r| {
            let id: uuid::Uuid = r.try_get("", "id")?;
            let name: String = r.try_get("", "name")?;
            let mgs_id: uuid::Uuid = r.try_get("", "mgs_id")?;
            let managed: bool = r.try_get("", "managed")?;
            let removed: bool = r.try_get("", "removed")?;
            let mgs_nids: Option<String> = r.try_get("", "mgs_nids")?;
            let parse = |t: &TargetView| t.state.parse::<TargetState>().unwrap_or(TargetState::Unformatted);
            let mgs_state = targets
                .iter()
                .find(|t| t.id == mgs_id)
                .map_or(TargetState::Unformatted, parse);
            let members: Vec<TargetState> = targets
                .iter()
                .filter(|t| t.filesystem_id == Some(id) && t.state != "removed")
                .map(parse)
                // A target not yet registered (being added, or whose
                // addition failed) is no part of the file system yet.
                .filter(|s| *s >= TargetState::Registered)
                .collect();
            let state = lustre::plan::filesystem_state(removed, mgs_state, &members);
            let own: Vec<TargetView> = targets
                .iter()
                .filter(|t| t.id == mgs_id || t.filesystem_id == Some(id))
                .map(TargetView::clone)
                .collect();
            Ok(api_types::filesystems::FilesystemView {
                id,
                client_mount_source: mgs_nids.filter(|n| !n.is_empty()).map(|n| format!("{n}:/{name}")),
                name,
                state: state.to_string(),
                managed,
                mgs_id,
                conf_params: r.try_get("", "conf_params")?,
                quota_ost: r.try_get("", "quota_ost")?,
                quota_mdt: r.try_get("", "quota_mdt")?,
                quota_grace: graces.remove(&id).unwrap_or_default(),
                available_transitions: lustre::plan::filesystem_transitions(state, managed)
                    .into_iter()
                    .map(String::from)
                    .collect(),
                locks: held
                    .remove(&lustre::Item::Filesystem(id).to_string())
                    .unwrap_or_default(),
                targets: own,
                created_at: r.try_get("", "created_at")?,
            })
        })
        .collect()
}

/// A file system as the worker's actions need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionFilesystem {
    pub name: String,
    pub mgs_id: uuid::Uuid,
    /// `{"sys.timeout": "40", …}`.
    pub conf_params: serde_json::Value,
}

/// File system `id`; `None` when it does not exist.
pub async fn for_action(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
) -> Result<Option<ActionFilesystem>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT name, mgs_id, conf_params FROM filesystem WHERE id = $1",
        [id.into()],
    )
    .await?;
    rows.first()
        .map(|row| {
            Ok(ActionFilesystem {
                name: row.try_get("", "name")?,
                mgs_id: row.try_get("", "mgs_id")?,
                conf_params: row.try_get("", "conf_params")?,
            })
        })
        .transpose()
}

/// Takes the transaction-scoped lock that serialises file-system
/// detections: two at once would both see a file system as new.
pub async fn lock_detection(db: &impl sea_orm::ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    crate::sql::execute(
        db,
        "SELECT pg_advisory_xact_lock(hashtext('chroma.detect_filesystems'))",
        [],
    )
    .await?;
    Ok(())
}

/// Defers the check that a file system's MGS exists to the end of the
/// transaction, so a file system can be inserted before its MGS target.
pub async fn defer_mgs_check(db: &impl sea_orm::ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    crate::sql::execute(db, "SET CONSTRAINTS filesystem_mgs_id_fkey DEFERRED", []).await?;
    Ok(())
}

/// The id of the file system (not removed) named `name` on MGS `mgs_id`.
pub async fn live_id_on_mgs(
    db: &impl sea_orm::ConnectionTrait,
    name: &str,
    mgs_id: uuid::Uuid,
) -> Result<Option<uuid::Uuid>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT id FROM filesystem WHERE name = $1 AND mgs_id = $2 AND NOT removed",
        [name.to_owned().into(), mgs_id.into()],
    )
    .await?;
    rows.first().map(|r| r.try_get("", "id")).transpose()
}

/// Inserts a detected (monitored-only) file system unless it conflicts
/// with a recorded one; returns its new id when inserted.
pub async fn insert_detected(
    db: &impl sea_orm::ConnectionTrait,
    name: &str,
    mgs_id: uuid::Uuid,
    conf_params: serde_json::Value,
) -> Result<Option<uuid::Uuid>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "INSERT INTO filesystem (id, name, mgs_id, managed, conf_params) VALUES ($1, $2, $3, false, $4)
         ON CONFLICT DO NOTHING RETURNING id",
        [
            uuid::Uuid::now_v7().into(),
            name.to_owned().into(),
            mgs_id.into(),
            conf_params.into(),
        ],
    )
    .await?;
    rows.first().map(|r| r.try_get("", "id")).transpose()
}

/// Deletes file system `id` (a detected one whose MGS could not be
/// recorded with it).
pub async fn delete(db: &impl sea_orm::ConnectionTrait, id: uuid::Uuid) -> Result<u64, sea_orm::DbErr> {
    crate::sql::execute(db, "DELETE FROM filesystem WHERE id = $1", [id.into()]).await
}

/// Records that file system `id`'s configuration logs were erased; fenced
/// by `fence`. Returns the rows changed.
pub async fn record_logs_erased(
    db: &impl sea_orm::ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    id: uuid::Uuid,
) -> Result<u64, sea_orm::DbErr> {
    crate::steps::fenced_execute(
        db,
        "UPDATE filesystem SET logs_erased = true WHERE id = $1",
        vec![id.into()],
        fence,
    )
    .await
}

/// Records file system `id` as removed; fenced by `fence`. Returns the
/// rows changed (0: no such file system, or the fence failed).
pub async fn record_removed(
    db: &impl sea_orm::ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    id: uuid::Uuid,
) -> Result<u64, sea_orm::DbErr> {
    crate::steps::fenced_execute(
        db,
        "UPDATE filesystem SET removed = true WHERE id = $1",
        vec![id.into()],
        fence,
    )
    .await
}

/// A live file system and the parameters Chroma stores for it.
#[derive(Debug, Clone)]
pub struct StoredParams {
    pub id: uuid::Uuid,
    pub name: String,
    pub mgs_id: uuid::Uuid,
    pub conf_params: serde_json::Value,
}

/// Every file system not removed, with its stored parameters.
pub async fn stored_params(db: &impl sea_orm::ConnectionTrait) -> Result<Vec<StoredParams>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT id, name, mgs_id, conf_params FROM filesystem WHERE NOT removed",
        [],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StoredParams {
                id: r.try_get("", "id")?,
                name: r.try_get("", "name")?,
                mgs_id: r.try_get("", "mgs_id")?,
                conf_params: r.try_get("", "conf_params")?,
            })
        })
        .collect()
}

/// Inserts file system `name` on the MGT `mgs_id` with every other column
/// at its default (benchmark and test fixtures).
pub async fn insert_bare(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
    name: &str,
    mgs_id: uuid::Uuid,
) -> Result<(), sea_orm::DbErr> {
    crate::sql::execute(
        db,
        "INSERT INTO filesystem (id, name, mgs_id) VALUES ($1, $2, $3)",
        [id.into(), name.to_owned().into(), mgs_id.into()],
    )
    .await?;
    Ok(())
}

/// Why a new file system cannot take a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameInUse {
    /// A live file system has it.
    Live,
    /// A removed one of that name left its configuration logs on the MGS.
    LogsKept,
}

/// Whether a new file system on MGT `mgs_id` can be named `name`: None
/// when it can.
pub async fn name_in_use(
    db: &impl sea_orm::ConnectionTrait,
    name: &str,
    mgs_id: uuid::Uuid,
) -> Result<Option<NameInUse>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT removed FROM filesystem WHERE name = $1 AND (NOT removed OR (mgs_id = $2 AND NOT logs_erased))",
        [name.into(), mgs_id.into()],
    )
    .await?;
    rows.first()
        .map(|r| {
            let removed: bool = r.try_get("", "removed")?;
            Ok(if removed { NameInUse::LogsKept } else { NameInUse::Live })
        })
        .transpose()
}

/// Records a new managed file system on MGT `mgs_id` with its parameters
/// (a JSON object of `conf_param` keys and values).
pub async fn insert(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
    name: &str,
    mgs_id: uuid::Uuid,
    conf_params: serde_json::Value,
) -> Result<(), sea_orm::DbErr> {
    crate::sql::execute(
        db,
        "INSERT INTO filesystem (id, name, mgs_id, conf_params) VALUES ($1, $2, $3, $4)",
        [id.into(), name.into(), mgs_id.into(), conf_params.into()],
    )
    .await
    .map(drop)
}

/// A file system Chroma only watches that shares another's MGS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedSharer {
    pub name: String,
    /// The MGT they share.
    pub mgs_id: uuid::Uuid,
    /// Whether the MGT belongs to file system `id` (a combined MGS+MDT);
    /// None for a lone MGT, which belongs to none.
    pub combined: Option<bool>,
}

/// The live file systems Chroma only watches that share file system
/// `id`'s MGS, by name.
pub async fn watched_sharing_mgs(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
) -> Result<Vec<WatchedSharer>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT o.name, f.mgs_id, m.filesystem_id = f.id AS combined
         FROM filesystem f JOIN filesystem o ON o.mgs_id = f.mgs_id JOIN target m ON m.id = f.mgs_id
         WHERE f.id = $1 AND o.id <> f.id AND NOT o.removed AND NOT o.managed ORDER BY o.name",
        [id.into()],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(WatchedSharer {
                name: r.try_get("", "name")?,
                mgs_id: r.try_get("", "mgs_id")?,
                combined: r.try_get("", "combined")?,
            })
        })
        .collect()
}

/// Marks file system `id` managed: Chroma changes it from now on.
pub async fn mark_managed(db: &impl sea_orm::ConnectionTrait, id: uuid::Uuid) -> Result<(), sea_orm::DbErr> {
    crate::sql::execute(db, "UPDATE filesystem SET managed = true WHERE id = $1", [id.into()])
        .await
        .map(drop)
}
