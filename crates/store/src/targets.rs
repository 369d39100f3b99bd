//! Targets (MGT, MDT, OST): where they live, their states and Pacemaker resources.

/// Which targets [`views`] reads.
#[derive(Debug, Clone)]
pub enum TargetSelection {
    /// The target with this id.
    Id(uuid::Uuid),
    /// Targets matching every given field (none: all targets); `host_id`
    /// matches the primary, a failover or the active host.
    Matching {
        filesystem_id: Option<uuid::Uuid>,
        kind: Option<String>,
        state: Option<String>,
        host_id: Option<uuid::Uuid>,
    },
    /// The targets of these file systems, and these MGTs.
    OfFilesystems {
        filesystem_ids: Vec<uuid::Uuid>,
        mgs_ids: Vec<uuid::Uuid>,
    },
}

impl TargetSelection {
    /// The WHERE clause over `t.` and its values.
    fn filter(self) -> (&'static str, Vec<sea_orm::Value>) {
        match self {
            TargetSelection::Id(id) => ("t.id = $1", vec![id.into()]),
            TargetSelection::Matching {
                filesystem_id,
                kind,
                state,
                host_id,
            } => (
                "($1::uuid IS NULL OR t.filesystem_id = $1) AND ($2::text IS NULL OR t.kind = $2)
         AND ($3::text IS NULL OR t.state = $3)
         AND ($4::uuid IS NULL OR t.primary_host_id = $4 OR $4 = ANY(t.failover_host_ids) OR t.active_host_id = $4)",
                vec![filesystem_id.into(), kind.into(), state.into(), host_id.into()],
            ),
            TargetSelection::OfFilesystems {
                filesystem_ids,
                mgs_ids,
            } => (
                "(t.filesystem_id = ANY($1) OR t.id = ANY($2))",
                vec![filesystem_ids.into(), mgs_ids.into()],
            ),
        }
    }
}

/// The selected targets as the API shows them, with the locks running
/// jobs hold on them, by file system name (none first), kind and index.
pub async fn views(
    db: &impl sea_orm::ConnectionTrait,
    selection: TargetSelection,
) -> Result<Vec<api_types::targets::TargetView>, sea_orm::DbErr> {
    let (filter, values) = selection.filter();
    let sql = format!("SELECT {VIEW_COLUMNS} {VIEW_FROM} WHERE {filter} {VIEW_ORDER}");
    let rows = crate::sql::query(db, &sql, values).await?;
    rows_to_views(db, &rows).await
}

/// One page of [`views`]: `limit` targets after the first `offset`, in
/// the same order, and how many are selected in all. Only the page's rows
/// are read and only their locks looked up, so the first page of a
/// 2,000-target site costs what a 50-target one does.
pub async fn views_page(
    db: &impl sea_orm::ConnectionTrait,
    selection: TargetSelection,
    limit: u64,
    offset: u64,
) -> Result<(Vec<api_types::targets::TargetView>, u64), sea_orm::DbErr> {
    let (filter, mut values) = selection.filter();
    let (l, o) = (values.len() + 1, values.len() + 2);
    // The window counts the rows before LIMIT applies, in one statement.
    let sql = format!(
        "SELECT {VIEW_COLUMNS}, count(*) OVER () AS selected {VIEW_FROM} WHERE {filter}
         {VIEW_ORDER} LIMIT ${l} OFFSET ${o}"
    );
    let counted = values.clone();
    values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
    values.push(i64::try_from(offset).unwrap_or(i64::MAX).into());
    let rows = crate::sql::query(db, &sql, values).await?;
    let total = match rows.first() {
        Some(row) => row.try_get::<i64>("", "selected")?,
        // A page past the end: count the selection on its own.
        None => {
            let count = format!("SELECT count(*) AS selected {VIEW_FROM} WHERE {filter}");
            match crate::sql::query(db, &count, counted).await?.first() {
                Some(row) => row.try_get::<i64>("", "selected")?,
                None => 0,
            }
        }
    };
    Ok((rows_to_views(db, &rows).await?, u64::try_from(total).unwrap_or(0)))
}

/// The columns a target's view is made of, from [`VIEW_FROM`]'s tables.
const VIEW_COLUMNS: &str = "t.id, t.name, t.kind, t.filesystem_id, f.name AS filesystem, t.target_index, t.volume_id,
        v.serial, t.primary_host_id, ph.nodename AS primary_host, t.failover_host_ids,
        t.active_host_id, ah.nodename AS active_host, t.state, t.managed, t.ha_mode, t.ha_resource, t.backfstype, t.zpool,
        t.drained, t.created_at";

/// A target with what its view shows of its volume, hosts and file system.
const VIEW_FROM: &str = "FROM target t
 JOIN volume v ON v.id = t.volume_id
 JOIN host ph ON ph.id = t.primary_host_id
 LEFT JOIN host ah ON ah.id = t.active_host_id
 LEFT JOIN filesystem f ON f.id = t.filesystem_id";

/// The order of [`views`]: file system name (none first), kind, index,
/// and the id where those tie (MGTs of no file system).
const VIEW_ORDER: &str = "ORDER BY f.name NULLS FIRST, t.kind, t.target_index, t.id";

/// The views of `rows` read with [`VIEW_COLUMNS`], with their locks.
async fn rows_to_views(
    db: &impl sea_orm::ConnectionTrait,
    rows: &[sea_orm::QueryResult],
) -> Result<Vec<api_types::targets::TargetView>, sea_orm::DbErr> {
    let items = rows
        .iter()
        .map(|r| {
            r.try_get::<uuid::Uuid>("", "id")
                .map(|id| lustre::Item::Target(id).to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut held = crate::domain::held_locks(db, items).await?;
    rows.iter()
        .map(|r| {
            let id: uuid::Uuid = r.try_get("", "id")?;
            let state: String = r.try_get("", "state")?;
            let managed: bool = r.try_get("", "managed")?;
            let parsed: lustre::domain::TargetState = state.parse().map_err(sea_orm::DbErr::Custom)?;
            let primary: uuid::Uuid = r.try_get("", "primary_host_id")?;
            let active: Option<uuid::Uuid> = r.try_get("", "active_host_id")?;
            Ok(api_types::targets::TargetView {
                id,
                name: r.try_get("", "name")?,
                kind: r.try_get("", "kind")?,
                filesystem_id: r.try_get("", "filesystem_id")?,
                filesystem: r.try_get("", "filesystem")?,
                index: r.try_get("", "target_index")?,
                volume_id: r.try_get("", "volume_id")?,
                volume_serial: r.try_get("", "serial")?,
                primary_host_id: primary,
                primary_host: r.try_get("", "primary_host")?,
                failover_host_ids: r.try_get("", "failover_host_ids")?,
                active_host_id: active,
                active_host: r.try_get("", "active_host")?,
                failed_over: active.is_some_and(|a| a != primary),
                state,
                managed,
                ha_mode: r.try_get("", "ha_mode")?,
                ha_resource: r.try_get("", "ha_resource")?,
                backfstype: r.try_get("", "backfstype")?,
                zpool: r.try_get("", "zpool")?,
                drained: r.try_get("", "drained")?,
                available_transitions: lustre::plan::target_transitions(parsed, managed)
                    .into_iter()
                    .map(String::from)
                    .collect(),
                locks: held.remove(&lustre::Item::Target(id).to_string()).unwrap_or_default(),
                created_at: r.try_get("", "created_at")?,
            })
        })
        .collect()
}

/// A target as the worker's actions need it, with its volume's serial.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionTarget {
    /// `mgt`, `mdt` or `ost`.
    pub kind: String,
    pub name: String,
    pub filesystem_id: Option<uuid::Uuid>,
    pub target_index: Option<i32>,
    pub volume_id: uuid::Uuid,
    pub serial: String,
    pub primary_host_id: uuid::Uuid,
    pub failover_host_ids: Vec<uuid::Uuid>,
    pub reformat: bool,
    pub format_marker: Option<String>,
    pub ha_resource: Option<String>,
    /// The ldiskfs format options (JSON), if any.
    pub format_options: Option<serde_json::Value>,
    pub zpool: Option<String>,
}

/// Target `id` with its volume's serial; `None` when it does not exist.
pub async fn for_action(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
) -> Result<Option<ActionTarget>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT t.kind, t.name, t.filesystem_id, t.target_index, t.volume_id, v.serial,
                t.primary_host_id, t.failover_host_ids, t.reformat, t.format_marker, t.ha_resource,
                t.format_options, t.zpool
         FROM target t JOIN volume v ON v.id = t.volume_id WHERE t.id = $1",
        [id.into()],
    )
    .await?;
    rows.first()
        .map(|row| {
            Ok(ActionTarget {
                kind: row.try_get("", "kind")?,
                name: row.try_get("", "name")?,
                filesystem_id: row.try_get("", "filesystem_id")?,
                target_index: row.try_get("", "target_index")?,
                volume_id: row.try_get("", "volume_id")?,
                serial: row.try_get("", "serial")?,
                primary_host_id: row.try_get("", "primary_host_id")?,
                failover_host_ids: row.try_get("", "failover_host_ids")?,
                reformat: row.try_get("", "reformat")?,
                format_marker: row.try_get("", "format_marker")?,
                ha_resource: row.try_get("", "ha_resource")?,
                format_options: row.try_get("", "format_options")?,
                zpool: row.try_get("", "zpool")?,
            })
        })
        .transpose()
}

/// Records `marker` as target `id`'s format marker unless one is recorded;
/// fenced by `fence`. Returns the rows changed (0: already marked).
pub async fn set_format_marker(
    db: &impl sea_orm::ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    id: uuid::Uuid,
    marker: &str,
) -> Result<u64, sea_orm::DbErr> {
    crate::steps::fenced_execute(
        db,
        "UPDATE target SET format_marker = $2 WHERE id = $1 AND format_marker IS NULL",
        vec![id.into(), marker.to_owned().into()],
        fence,
    )
    .await
}

/// Records target `id` as `formatted` (mounted nowhere) with the file
/// system `fs_uuid` found on it; fenced by `fence`. Returns the rows
/// changed.
pub async fn record_formatted(
    db: &impl sea_orm::ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    id: uuid::Uuid,
    fs_uuid: Option<&str>,
) -> Result<u64, sea_orm::DbErr> {
    crate::steps::fenced_execute(
        db,
        "UPDATE target SET state = 'formatted', active_host_id = NULL, fs_uuid = $2 WHERE id = $1",
        vec![id.into(), fs_uuid.map(str::to_owned).into()],
        fence,
    )
    .await
}

/// Records that target `id` was seen in `state`, mounted on `active` (or
/// nowhere); fenced by `fence`. Returns the rows changed.
pub async fn record_seen_state(
    db: &impl sea_orm::ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    id: uuid::Uuid,
    state: &str,
    active: Option<uuid::Uuid>,
) -> Result<u64, sea_orm::DbErr> {
    crate::steps::fenced_execute(
        db,
        "UPDATE target SET state = $2, active_host_id = $3,
                never_registered = never_registered AND $2 IN ('unformatted', 'formatted', 'removed')
         WHERE id = $1",
        vec![id.into(), state.to_owned().into(), active.into()],
        fence,
    )
    .await
}

/// The names of file system `filesystem_id`'s mounted targets, sorted.
pub async fn mounted_names_in_filesystem(
    db: &impl sea_orm::ConnectionTrait,
    filesystem_id: uuid::Uuid,
) -> Result<Vec<String>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT name FROM target WHERE filesystem_id = $1 AND state = 'mounted' ORDER BY name",
        [filesystem_id.into()],
    )
    .await?;
    rows.iter().map(|r| r.try_get("", "name")).collect()
}

/// The names of file system `filesystem_id`'s targets that are not
/// removed, sorted.
pub async fn live_names_in_filesystem(
    db: &impl sea_orm::ConnectionTrait,
    filesystem_id: uuid::Uuid,
) -> Result<Vec<String>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT name FROM target WHERE filesystem_id = $1 AND state <> 'removed' ORDER BY name",
        [filesystem_id.into()],
    )
    .await?;
    rows.iter().map(|r| r.try_get("", "name")).collect()
}

/// The names of the targets (not removed) that use host `host_id` as
/// primary, failover or active host, sorted.
pub async fn live_names_on_host(
    db: &impl sea_orm::ConnectionTrait,
    host_id: uuid::Uuid,
) -> Result<Vec<String>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT name FROM target WHERE state <> 'removed'
           AND (primary_host_id = $1 OR $1 = ANY(failover_host_ids) OR active_host_id = $1) ORDER BY name",
        [host_id.into()],
    )
    .await?;
    rows.iter().map(|r| r.try_get("", "name")).collect()
}

/// A target (not removed) on a volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnVolume {
    pub id: uuid::Uuid,
    pub name: String,
    pub filesystem_id: Option<uuid::Uuid>,
}

/// The target (not removed) on volume `volume_id`, if any.
pub async fn live_on_volume(
    db: &impl sea_orm::ConnectionTrait,
    volume_id: uuid::Uuid,
) -> Result<Option<OnVolume>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT id, name, filesystem_id FROM target WHERE volume_id = $1 AND state <> 'removed'",
        [volume_id.into()],
    )
    .await?;
    rows.first()
        .map(|row| {
            Ok(OnVolume {
                id: row.try_get("", "id")?,
                name: row.try_get("", "name")?,
                filesystem_id: row.try_get("", "filesystem_id")?,
            })
        })
        .transpose()
}

/// The name of the target (of any state) that holds Pacemaker resource
/// `resource`: resource ids are unique across all targets.
pub async fn holder_of_resource(
    db: &impl sea_orm::ConnectionTrait,
    resource: &str,
) -> Result<Option<String>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT name FROM target WHERE ha_resource = $1",
        [resource.to_owned().into()],
    )
    .await?;
    rows.first().map(|r| r.try_get("", "name")).transpose()
}

/// A target found running on servers, to record as monitored-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDetected {
    pub id: uuid::Uuid,
    /// `mgt`, `mdt` or `ost`.
    pub kind: String,
    pub filesystem_id: Option<uuid::Uuid>,
    pub target_index: Option<i32>,
    pub name: String,
    pub volume_id: uuid::Uuid,
    pub primary_host_id: uuid::Uuid,
    pub failover_host_ids: Vec<uuid::Uuid>,
    /// Where it is mounted now: `mounted` there, else `unmounted`.
    pub active_host_id: Option<uuid::Uuid>,
    /// Its Pacemaker primitive (`ha_mode = 'pacemaker'`), else `none`.
    pub ha_resource: Option<String>,
}

/// Inserts detected target `t` (`managed = false`) unless it conflicts
/// with a recorded one; returns its id when inserted.
pub async fn insert_detected(
    db: &impl sea_orm::ConnectionTrait,
    t: &NewDetected,
) -> Result<Option<uuid::Uuid>, sea_orm::DbErr> {
    let state = if t.active_host_id.is_some() {
        "mounted"
    } else {
        "unmounted"
    };
    let ha_mode = if t.ha_resource.is_some() { "pacemaker" } else { "none" };
    let rows = crate::sql::query(
        db,
        "INSERT INTO target (id, kind, filesystem_id, target_index, name, volume_id, primary_host_id,
                             failover_host_ids, active_host_id, state, managed, ha_mode, ha_resource)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, false, $11, $12)
         ON CONFLICT DO NOTHING RETURNING id",
        [
            t.id.into(),
            t.kind.clone().into(),
            t.filesystem_id.into(),
            t.target_index.into(),
            t.name.clone().into(),
            t.volume_id.into(),
            t.primary_host_id.into(),
            t.failover_host_ids.clone().into(),
            t.active_host_id.into(),
            state.to_owned().into(),
            ha_mode.to_owned().into(),
            t.ha_resource.clone().into(),
        ],
    )
    .await?;
    rows.first().map(|r| r.try_get("", "id")).transpose()
}

/// A target that is not removed, as the monitor watches it.
#[derive(Debug, Clone)]
pub struct Live {
    pub id: uuid::Uuid,
    pub name: String,
    pub kind: String,
    pub filesystem_id: Option<uuid::Uuid>,
    pub state: String,
    pub primary_host_id: uuid::Uuid,
    pub failover_host_ids: Vec<uuid::Uuid>,
    pub active_host_id: Option<uuid::Uuid>,
    pub ha_resource: Option<String>,
}

/// Every target not removed.
pub async fn live(db: &impl sea_orm::ConnectionTrait) -> Result<Vec<Live>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT id, name, kind, filesystem_id, state, primary_host_id, failover_host_ids, active_host_id,
                ha_resource
         FROM target WHERE state <> 'removed'",
        [],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Live {
                id: r.try_get("", "id")?,
                name: r.try_get("", "name")?,
                kind: r.try_get("", "kind")?,
                filesystem_id: r.try_get("", "filesystem_id")?,
                state: r.try_get("", "state")?,
                primary_host_id: r.try_get("", "primary_host_id")?,
                failover_host_ids: r.try_get("", "failover_host_ids")?,
                active_host_id: r.try_get("", "active_host_id")?,
                ha_resource: r.try_get("", "ha_resource")?,
            })
        })
        .collect()
}

/// Records that target `id` runs on `active` (none: nowhere), seen now,
/// only if it was still on `was` and in `state` (a job that moved it
/// meanwhile wrote where it put it). Returns the rows changed.
pub async fn record_location(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
    active: Option<uuid::Uuid>,
    was: Option<uuid::Uuid>,
    state: &str,
) -> Result<u64, sea_orm::DbErr> {
    crate::sql::execute(
        db,
        "UPDATE target SET active_host_id = $2, seen_at = now()
         WHERE id = $1 AND active_host_id IS NOT DISTINCT FROM $3 AND state = $4",
        [id.into(), active.into(), was.into(), state.into()],
    )
    .await
}

/// A target to insert as formatted and mounted on its primary host.
#[derive(Debug, Clone)]
pub struct MountedTarget {
    pub id: uuid::Uuid,
    /// `mgt`, `mdt` or `ost`.
    pub kind: String,
    pub index: Option<i32>,
    pub name: String,
    pub volume_id: uuid::Uuid,
    pub host_id: uuid::Uuid,
    /// `None` for an MGT.
    pub filesystem_id: Option<uuid::Uuid>,
}

/// Inserts `target` as mounted on its primary host, skipping the jobs that
/// would get it there (benchmark and test fixtures).
pub async fn insert_mounted(db: &impl sea_orm::ConnectionTrait, target: &MountedTarget) -> Result<(), sea_orm::DbErr> {
    crate::sql::execute(
        db,
        "INSERT INTO target (id, kind, target_index, name, volume_id, primary_host_id, active_host_id, state,
                             filesystem_id)
         VALUES ($1, $2, $3, $4, $5, $6, $6, 'mounted', $7)",
        [
            target.id.into(),
            target.kind.clone().into(),
            target.index.into(),
            target.name.clone().into(),
            target.volume_id.into(),
            target.host_id.into(),
            target.filesystem_id.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Whether the live MGT `id` is Chroma's to change: None when there is
/// no such MGT (or it is removed).
pub async fn live_mgt_managed(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
) -> Result<Option<bool>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT managed FROM target WHERE id = $1 AND kind = 'mgt' AND state <> 'removed'",
        [id.into()],
    )
    .await?;
    rows.first().map(|r| r.try_get("", "managed")).transpose()
}

/// A host among `host_ids` that serves a live MGT (as primary or
/// failover), by its node name or else address; None when none does.
pub async fn mgs_host_among(
    db: &impl sea_orm::ConnectionTrait,
    host_ids: Vec<uuid::Uuid>,
) -> Result<Option<String>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT COALESCE(h.nodename, h.address) AS host FROM target t JOIN host h
            ON h.id = t.primary_host_id OR h.id = ANY(t.failover_host_ids)
         WHERE t.kind = 'mgt' AND t.state <> 'removed' AND h.id = ANY($1)",
        [host_ids.into()],
    )
    .await?;
    rows.first().map(|r| r.try_get("", "host")).transpose()
}

/// A volume already holding a live target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedVolume {
    pub serial: String,
    /// The target on it.
    pub target: String,
}

/// One of `volume_ids` that holds a live target, if any.
pub async fn used_volume_among(
    db: &impl sea_orm::ConnectionTrait,
    volume_ids: Vec<uuid::Uuid>,
) -> Result<Option<UsedVolume>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT v.serial, t.name FROM target t JOIN volume v ON v.id = t.volume_id
         WHERE t.volume_id = ANY($1) AND t.state <> 'removed'",
        [volume_ids.into()],
    )
    .await?;
    rows.first()
        .map(|r| {
            Ok(UsedVolume {
                serial: r.try_get("", "serial")?,
                target: r.try_get("", "name")?,
            })
        })
        .transpose()
}

/// A target to create, as the API planned it.
#[derive(Debug, Clone)]
pub struct NewTarget {
    pub id: uuid::Uuid,
    /// `mgt`, `mdt` or `ost`.
    pub kind: String,
    pub filesystem_id: Option<uuid::Uuid>,
    pub index: Option<i32>,
    pub name: String,
    pub volume_id: uuid::Uuid,
    pub primary_host_id: uuid::Uuid,
    pub failover_host_ids: Vec<uuid::Uuid>,
    pub reformat: bool,
    /// `pacemaker` or `none`.
    pub ha_mode: String,
    pub ha_resource: Option<String>,
    /// ldiskfs format options (JSON), if any.
    pub format_options: Option<serde_json::Value>,
    /// `ldiskfs` or `zfs`.
    pub backfstype: String,
    pub zpool: Option<String>,
}

/// Records a new target (state `unformatted`, managed).
pub async fn insert(db: &impl sea_orm::ConnectionTrait, t: &NewTarget) -> Result<(), sea_orm::DbErr> {
    crate::sql::execute(
        db,
        "INSERT INTO target (id, kind, filesystem_id, target_index, name, volume_id, primary_host_id,
                                             failover_host_ids, reformat, ha_mode, ha_resource, format_options,
                                             backfstype, zpool, never_registered)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, true)",
        [
            t.id.into(),
            t.kind.clone().into(),
            t.filesystem_id.into(),
            t.index.into(),
            t.name.clone().into(),
            t.volume_id.into(),
            t.primary_host_id.into(),
            t.failover_host_ids.clone().into(),
            t.reformat.into(),
            t.ha_mode.clone().into(),
            t.ha_resource.clone().into(),
            t.format_options.clone().into(),
            t.backfstype.clone().into(),
            t.zpool.clone().into(),
        ],
    )
    .await
    .map(drop)
}

/// A target's name and file system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAndFilesystem {
    pub name: String,
    /// None for an MGT: it serves file systems without belonging to one.
    pub filesystem_id: Option<uuid::Uuid>,
}

/// Target `id`'s name and file system (of any state); None when there is
/// no such target.
pub async fn name_and_filesystem(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
) -> Result<Option<NameAndFilesystem>, sea_orm::DbErr> {
    let rows = crate::sql::query(db, "SELECT filesystem_id, name FROM target WHERE id = $1", [id.into()]).await?;
    rows.first()
        .map(|r| {
            Ok(NameAndFilesystem {
                name: r.try_get("", "name")?,
                filesystem_id: r.try_get("", "filesystem_id")?,
            })
        })
        .transpose()
}

/// What decides whether Chroma can take over a detected target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakeoverFacts {
    pub id: uuid::Uuid,
    pub name: String,
    pub kind: String,
    pub index: Option<i32>,
    pub ha_resource: Option<String>,
    /// How many failover servers it has.
    pub failovers: i32,
    /// Its servers that are not managed, by name (else address).
    pub unmanaged_hosts: Vec<String>,
    /// Every one of its servers has Pacemaker and corosync.
    pub ha_stack: bool,
}

/// The live targets of file system `filesystem_id` and its MGT, by name,
/// with what decides whether Chroma can take them over.
pub async fn takeover_facts(
    db: &impl sea_orm::ConnectionTrait,
    filesystem_id: uuid::Uuid,
) -> Result<Vec<TakeoverFacts>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT t.id, t.name, t.kind, t.target_index, t.ha_resource,
                cardinality(t.failover_host_ids) AS failovers,
                ARRAY(SELECT coalesce(h.nodename, h.address) FROM host h
                      WHERE (h.id = t.primary_host_id OR h.id = ANY(t.failover_host_ids)) AND h.state <> 'managed'
                      ORDER BY 1) AS unmanaged_hosts,
                coalesce((SELECT bool_and(h.pacemaker_version IS NOT NULL AND h.corosync_version IS NOT NULL)
                          FROM host h WHERE h.id = t.primary_host_id OR h.id = ANY(t.failover_host_ids)), false)
                  AS ha_stack
         FROM target t
         WHERE (t.filesystem_id = $1 OR t.id = (SELECT mgs_id FROM filesystem WHERE id = $1))
           AND t.state <> 'removed'
         ORDER BY t.name",
        [filesystem_id.into()],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TakeoverFacts {
                id: r.try_get("", "id")?,
                name: r.try_get("", "name")?,
                kind: r.try_get("", "kind")?,
                index: r.try_get("", "target_index")?,
                ha_resource: r.try_get("", "ha_resource")?,
                failovers: r.try_get("", "failovers")?,
                unmanaged_hosts: r.try_get("", "unmanaged_hosts")?,
                ha_stack: r.try_get("", "ha_stack")?,
            })
        })
        .collect()
}

/// Marks targets `ids` managed: Chroma changes them from now on.
pub async fn mark_managed(db: &impl sea_orm::ConnectionTrait, ids: Vec<uuid::Uuid>) -> Result<(), sea_orm::DbErr> {
    crate::sql::execute(db, "UPDATE target SET managed = true WHERE id = ANY($1)", [ids.into()])
        .await
        .map(drop)
}

/// The volume target `id` (of any state) is on; None when there is no
/// such target.
pub async fn volume_of(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
) -> Result<Option<uuid::Uuid>, sea_orm::DbErr> {
    let rows = crate::sql::query(db, "SELECT volume_id FROM target WHERE id = $1", [id.into()]).await?;
    rows.first().map(|r| r.try_get("", "volume_id")).transpose()
}

/// Records whether OST `id` is drained (its MDTs create no new objects on
/// it); fenced by `fence`. Returns the rows changed.
pub async fn record_drained(
    db: &impl sea_orm::ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    id: uuid::Uuid,
    drained: bool,
) -> Result<u64, sea_orm::DbErr> {
    crate::steps::fenced_execute(
        db,
        "UPDATE target SET drained = $2 WHERE id = $1 AND kind = 'ost'",
        vec![id.into(), drained.into()],
        fence,
    )
    .await
}

/// The indices of file system `filesystem_id`'s targets of `kind`, sorted:
/// those of live targets, and of removed ones that had registered (the MGS
/// keeps a registered target's index; one removed before registering never
/// reached it, so its index is free again).
pub async fn indices_in_filesystem(
    db: &impl sea_orm::ConnectionTrait,
    filesystem_id: uuid::Uuid,
    kind: &str,
) -> Result<Vec<i32>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT target_index FROM target
         WHERE filesystem_id = $1 AND kind = $2 AND target_index IS NOT NULL
           AND NOT (state = 'removed' AND never_registered)
         ORDER BY target_index",
        [filesystem_id.into(), kind.to_owned().into()],
    )
    .await?;
    rows.iter().map(|r| r.try_get("", "target_index")).collect()
}

/// Whether file system `filesystem_id` has a target named `name` that was
/// removed after registering: the MGS still lists it (its index stays
/// taken), but Chroma removed it and must not take it back.
pub async fn removed_from_filesystem(
    db: &impl sea_orm::ConnectionTrait,
    filesystem_id: uuid::Uuid,
    name: &str,
) -> Result<bool, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT 1 AS one FROM target
         WHERE filesystem_id = $1 AND name = $2 AND state = 'removed' AND NOT never_registered",
        [filesystem_id.into(), name.to_owned().into()],
    )
    .await?;
    Ok(!rows.is_empty())
}
