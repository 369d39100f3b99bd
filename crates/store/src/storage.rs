//! What storage plugins report: their state, their resources and the
//! relationships between them, and the links that tie resources of two
//! plugins, and Chroma's volumes, together.

use std::collections::{BTreeSet, HashMap, VecDeque};

use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};
use serde_json::Value;
use uuid::Uuid;

use crate::sql::{execute, query};

/// A plugin's state, as the host last saw it.
#[derive(Debug, Clone)]
pub struct PluginState<'a> {
    pub name: &'a str,
    /// `starting`, `running`, `restarting` or `failed`.
    pub state: &'a str,
    pub error: Option<String>,
    pub version: Option<String>,
    pub levels: Vec<String>,
    pub classes: Value,
}

/// Records a plugin's state (and, once initialised, its version, levels
/// and classes); counts a restart each time it stops; a plugin starting
/// again keeps the error that stopped it until it runs.
pub async fn set_plugin(db: &impl ConnectionTrait, plugin: PluginState<'_>) -> Result<(), DbErr> {
    execute(
        db,
        "INSERT INTO storage_plugin (name, state, error, version, levels, classes, started_at)
         VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $2 = 'running' THEN now() END)
         ON CONFLICT (name) DO UPDATE SET
             state = EXCLUDED.state,
             error = CASE WHEN EXCLUDED.state = 'starting' THEN storage_plugin.error ELSE EXCLUDED.error END,
             version = COALESCE(EXCLUDED.version, storage_plugin.version),
             levels = CASE WHEN EXCLUDED.version IS NULL THEN storage_plugin.levels ELSE EXCLUDED.levels END,
             classes = CASE WHEN EXCLUDED.version IS NULL THEN storage_plugin.classes ELSE EXCLUDED.classes END,
             started_at = CASE WHEN EXCLUDED.state = 'running' THEN now() ELSE storage_plugin.started_at END,
             restarts = storage_plugin.restarts
                 + CASE WHEN EXCLUDED.state = 'restarting' AND storage_plugin.state <> 'restarting' THEN 1 ELSE 0 END,
             updated_at = now()",
        [
            plugin.name.into(),
            plugin.state.into(),
            plugin.error.into(),
            plugin.version.into(),
            plugin.levels.into(),
            plugin.classes.into(),
        ],
    )
    .await?;
    Ok(())
}

/// One resource as a detection reported it.
#[derive(Debug, Clone)]
pub struct Detected {
    pub local_id: String,
    pub class: String,
    pub parent: Option<String>,
    pub attributes: Value,
    /// Its attributes that carry a `link` key, by that key.
    pub links: Value,
}

/// Replaces a plugin's inventory with a detection's: resources keep their
/// ids by the plugin's own id, those missing are marked removed, the
/// plugin's relationships are replaced, and links are recomputed. Returns
/// the id of every resource, by the plugin's id.
pub async fn record_detection<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    plugin: &str,
    resources: &[Detected],
    relationships: &[(String, String, String)],
) -> Result<HashMap<String, Uuid>, DbErr> {
    let tx = db.begin().await?;
    // One detection at a time, of any plugin (the service's and a worker's
    // after an action): links span plugins, and two relinking at once
    // would deadlock.
    execute(
        &tx,
        "SELECT pg_advisory_xact_lock(hashtext('chroma_storage_detection'))",
        [],
    )
    .await?;
    let mut ids = HashMap::new();
    for r in resources {
        let rows = query(
            &tx,
            "INSERT INTO storage_resource (id, plugin, local_id, class, attributes, links)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (plugin, local_id) DO UPDATE SET
                 class = EXCLUDED.class, attributes = EXCLUDED.attributes, links = EXCLUDED.links,
                 removed_at = NULL, updated_at = now()
             RETURNING id",
            [
                Uuid::now_v7().into(),
                plugin.into(),
                r.local_id.clone().into(),
                r.class.clone().into(),
                r.attributes.clone().into(),
                r.links.clone().into(),
            ],
        )
        .await?;
        if let Some(row) = rows.first() {
            ids.insert(r.local_id.clone(), row.try_get::<Uuid>("", "id")?);
        }
    }
    for r in resources {
        let (Some(id), parent) = (ids.get(&r.local_id), r.parent.as_ref().and_then(|p| ids.get(p))) else {
            continue;
        };
        execute(
            &tx,
            "UPDATE storage_resource SET parent_id = $2 WHERE id = $1",
            [(*id).into(), parent.copied().into()],
        )
        .await?;
    }
    let seen: Vec<Uuid> = ids.values().copied().collect();
    execute(
        &tx,
        "UPDATE storage_resource SET removed_at = now(), updated_at = now()
          WHERE plugin = $1 AND removed_at IS NULL AND NOT (id = ANY($2))",
        [plugin.into(), seen.into()],
    )
    .await?;
    execute(
        &tx,
        "DELETE FROM storage_relationship r USING storage_resource s
          WHERE r.from_id = s.id AND s.plugin = $1 AND r.kind <> 'same_as'",
        [plugin.into()],
    )
    .await?;
    for (from, to, kind) in relationships {
        if let (Some(from), Some(to)) = (ids.get(from), ids.get(to)) {
            execute(
                &tx,
                "INSERT INTO storage_relationship (from_id, to_id, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                [(*from).into(), (*to).into(), kind.clone().into()],
            )
            .await?;
        }
    }
    execute(
        &tx,
        "UPDATE storage_plugin SET detected_at = now(), updated_at = now() WHERE name = $1",
        [plugin.into()],
    )
    .await?;
    relink(&tx).await?;
    tx.commit().await?;
    Ok(ids)
}

/// Recomputes what links say: `same_as` between resources of different
/// plugins with an equal link value, and each resource's Chroma volume
/// (the volume with its `serial`).
pub async fn relink(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    execute(db, "DELETE FROM storage_relationship WHERE kind = 'same_as'", []).await?;
    execute(
        db,
        "INSERT INTO storage_relationship (from_id, to_id, kind)
         SELECT a.id, b.id, 'same_as'
           FROM storage_resource a, jsonb_each_text(a.links) la,
                storage_resource b, jsonb_each_text(b.links) lb
          WHERE a.plugin < b.plugin AND la.key = lb.key AND la.value = lb.value AND la.value <> ''
            AND a.removed_at IS NULL AND b.removed_at IS NULL
         ON CONFLICT DO NOTHING",
        [],
    )
    .await?;
    execute(
        db,
        "UPDATE storage_resource s SET volume_id = v.id
           FROM volume v WHERE v.serial = s.links->>'serial' AND s.volume_id IS DISTINCT FROM v.id",
        [],
    )
    .await?;
    execute(
        db,
        "UPDATE storage_resource s SET volume_id = NULL
          WHERE volume_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM volume v WHERE v.id = s.volume_id AND v.serial = s.links->>'serial')",
        [],
    )
    .await?;
    Ok(())
}

/// Records a monitoring answer: the latest statistics and changed
/// attributes of each resource (by id).
pub async fn record_readings(
    db: &impl ConnectionTrait,
    plugin: &str,
    readings: &[(Uuid, Value, Value)],
) -> Result<(), DbErr> {
    for (id, statistics, attributes) in readings {
        execute(
            db,
            "UPDATE storage_resource
                SET statistics = statistics || $2, attributes = attributes || $3, updated_at = now()
              WHERE id = $1",
            [(*id).into(), statistics.clone().into(), attributes.clone().into()],
        )
        .await?;
    }
    execute(
        db,
        "UPDATE storage_plugin SET monitored_at = now(), updated_at = now() WHERE name = $1",
        [plugin.into()],
    )
    .await?;
    Ok(())
}

/// The Lustre targets and file systems that depend on a resource: those on
/// the volumes of every resource that depends on it (its children, what
/// is built on it, and the same things seen by other plugins), or on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dependents {
    /// Target names, e.g. `demo-OST0000`.
    pub targets: BTreeSet<String>,
    /// File-system names.
    pub filesystems: BTreeSet<String>,
}

/// What depends on resource `id`.
pub async fn dependents(db: &impl ConnectionTrait, id: Uuid) -> Result<Dependents, DbErr> {
    // Edges from a resource to what depends on it.
    let rows = query(
        db,
        "SELECT parent_id AS on_id, id AS by_id FROM storage_resource
          WHERE parent_id IS NOT NULL AND removed_at IS NULL
         UNION ALL SELECT to_id, from_id FROM storage_relationship
         UNION ALL SELECT from_id, to_id FROM storage_relationship WHERE kind = 'same_as'",
        [],
    )
    .await?;
    let mut dependants: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for row in &rows {
        let on: Uuid = row.try_get("", "on_id")?;
        let by: Uuid = row.try_get("", "by_id")?;
        dependants.entry(on).or_default().push(by);
    }
    let mut seen = BTreeSet::from([id]);
    let mut queue = VecDeque::from([id]);
    while let Some(next) = queue.pop_front() {
        for by in dependants.get(&next).into_iter().flatten() {
            if seen.insert(*by) {
                queue.push_back(*by);
            }
        }
    }
    let ids: Vec<Uuid> = seen.into_iter().collect();
    let rows = query(
        db,
        "SELECT DISTINCT t.name AS target, f.name AS filesystem
           FROM storage_resource s
           JOIN target t ON t.volume_id = s.volume_id AND t.state <> 'removed'
           LEFT JOIN filesystem f ON f.id = t.filesystem_id
          WHERE s.id = ANY($1)",
        [ids.into()],
    )
    .await?;
    let mut found = Dependents::default();
    for row in &rows {
        found.targets.insert(row.try_get("", "target")?);
        if let Some(fs) = row.try_get::<Option<String>>("", "filesystem")? {
            found.filesystems.insert(fs);
        }
    }
    Ok(found)
}

/// Which plugin holds storage resource `id` (not removed), and the
/// resource's id in that plugin: `(plugin, local_id)`.
pub async fn live_resource_of_plugin(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
) -> Result<Option<(String, String)>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT plugin, local_id FROM storage_resource WHERE id = $1 AND removed_at IS NULL",
        [id.into()],
    )
    .await?;
    rows.first()
        .map(|row| Ok((row.try_get("", "plugin")?, row.try_get("", "local_id")?)))
        .transpose()
}

/// Every storage plugin as the API shows it, with how many resources it
/// has not removed, by name.
pub async fn plugin_views(db: &impl ConnectionTrait) -> Result<Vec<api_types::storage::PluginView>, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT p.*, (SELECT count(*) FROM storage_resource r WHERE r.plugin = p.name AND r.removed_at IS NULL)
                AS resources
           FROM storage_plugin p ORDER BY p.name",
        [],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(api_types::storage::PluginView {
                name: r.try_get("", "name")?,
                version: r.try_get("", "version")?,
                levels: r.try_get("", "levels")?,
                state: r.try_get("", "state")?,
                error: r.try_get("", "error")?,
                restarts: r.try_get("", "restarts")?,
                started_at: r.try_get("", "started_at")?,
                detected_at: r.try_get("", "detected_at")?,
                monitored_at: r.try_get("", "monitored_at")?,
                classes: r.try_get("", "classes")?,
                resources: r.try_get("", "resources")?,
            })
        })
        .collect()
}

/// The columns of a resource as the API shows it, with its active alerts.
const RESOURCE_VIEW_COLUMNS: &str =
    "id, plugin, class, local_id, parent_id, attributes, statistics, volume_id, removed_at,
    (SELECT count(*) FROM alert a WHERE a.item = 'storage_resource/' || storage_resource.id AND a.cleared_at IS NULL)
        AS alerts";

fn resource_view(r: &sea_orm::QueryResult) -> Result<api_types::storage::ResourceView, DbErr> {
    Ok(api_types::storage::ResourceView {
        id: r.try_get("", "id")?,
        plugin: r.try_get("", "plugin")?,
        class: r.try_get("", "class")?,
        local_id: r.try_get("", "local_id")?,
        parent_id: r.try_get("", "parent_id")?,
        attributes: r.try_get("", "attributes")?,
        statistics: r.try_get("", "statistics")?,
        volume_id: r.try_get("", "volume_id")?,
        removed_at: r.try_get("", "removed_at")?,
        alerts: r.try_get("", "alerts")?,
    })
}

/// Which resources [`resource_views`] reads.
#[derive(Debug, Clone)]
pub enum ResourceSelection {
    /// The resource with this id, even if removed.
    Id(Uuid),
    /// The resources with these ids, even if removed.
    Ids(Vec<Uuid>),
    /// The children of this resource not removed.
    ChildrenOf(Uuid),
    /// The resources not removed that are this Chroma volume.
    OfVolume(Uuid),
}

/// The selected resources as the API shows them, by class and local id.
pub async fn resource_views(
    db: &impl ConnectionTrait,
    selection: ResourceSelection,
) -> Result<Vec<api_types::storage::ResourceView>, DbErr> {
    let (filter, values): (&str, Vec<sea_orm::Value>) = match selection {
        ResourceSelection::Id(id) => ("id = $1", vec![id.into()]),
        ResourceSelection::Ids(ids) => ("id = ANY($1)", vec![ids.into()]),
        ResourceSelection::ChildrenOf(id) => ("parent_id = $1 AND removed_at IS NULL", vec![id.into()]),
        ResourceSelection::OfVolume(id) => ("volume_id = $1 AND removed_at IS NULL", vec![id.into()]),
    };
    let rows = crate::sql::query(
        db,
        &format!("SELECT {RESOURCE_VIEW_COLUMNS} FROM storage_resource WHERE {filter} ORDER BY class, local_id"),
        values,
    )
    .await?;
    rows.iter().map(resource_view).collect()
}

/// Which resources [`list_resources`] shows; `None` leaves a criterion out.
#[derive(Debug, Clone, Default)]
pub struct ResourceFilter {
    pub plugin: Option<String>,
    pub class: Option<String>,
    pub parent_id: Option<Uuid>,
    /// Related to this resource, either way.
    pub related_to: Option<Uuid>,
    /// Also resources gone from their plugin's last detection.
    pub include_removed: bool,
}

/// A field a list of resources can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceField {
    Class,
    LocalId,
    UpdatedAt,
}

/// The order of a list of resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResourceOrder {
    /// By plugin, class and local id.
    #[default]
    Default,
    /// By one field (then id).
    By { field: ResourceField, descending: bool },
}

/// One page of the resources `filter` selects, `limit` from `offset` in
/// `order`, as the API shows them, and how many it selects in all.
pub async fn list_resources(
    db: &impl ConnectionTrait,
    filter: &ResourceFilter,
    order: ResourceOrder,
    limit: i64,
    offset: i64,
) -> Result<(Vec<api_types::storage::ResourceView>, i64), DbErr> {
    let condition = "($1::text IS NULL OR plugin = $1) AND ($2::text IS NULL OR class = $2)
                  AND ($3::uuid IS NULL OR parent_id = $3)
                  AND ($4::uuid IS NULL OR id IN (SELECT to_id FROM storage_relationship WHERE from_id = $4
                                                  UNION SELECT from_id FROM storage_relationship WHERE to_id = $4))
                  AND ($5 OR removed_at IS NULL)";
    let order = match order {
        ResourceOrder::Default => "plugin, class, local_id".to_owned(),
        ResourceOrder::By { field, descending } => {
            let field = match field {
                ResourceField::Class => "class",
                ResourceField::LocalId => "local_id",
                ResourceField::UpdatedAt => "updated_at",
            };
            format!("{field} {}, id", if descending { "DESC" } else { "ASC" })
        }
    };
    let selection = crate::sql::Selection {
        columns: RESOURCE_VIEW_COLUMNS,
        from: "storage_resource",
        filter: condition,
        order: &order,
        values: vec![
            filter.plugin.clone().into(),
            filter.class.clone().into(),
            filter.parent_id.into(),
            filter.related_to.into(),
            filter.include_removed.into(),
        ],
    };
    let (rows, total) = crate::sql::count_and_page(db, selection, limit, offset).await?;
    Ok((rows.iter().map(resource_view).collect::<Result<_, _>>()?, total))
}

/// A relationship as seen from one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relationship {
    /// `built_on`, `same_as`…
    pub kind: String,
    /// `to` when the resource depends on `other`, `from` when `other`
    /// depends on it.
    pub direction: String,
    pub other: Uuid,
}

/// The relationships of resource `id`, both ways: those from it first.
pub async fn relationships_of(db: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Relationship>, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT kind, 'to' AS direction, to_id AS other FROM storage_relationship WHERE from_id = $1
         UNION ALL SELECT kind, 'from', from_id FROM storage_relationship WHERE to_id = $1",
        [id.into()],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Relationship {
                kind: r.try_get("", "kind")?,
                direction: r.try_get("", "direction")?,
                other: r.try_get("", "other")?,
            })
        })
        .collect()
}

/// What each resource stands on, as `(resource, stands on, kind)`: its
/// relationships' targets, both sides of `same_as`, and (`parent`) the
/// parent of each resource not removed.
pub async fn stands_on(db: &impl ConnectionTrait) -> Result<Vec<(Uuid, Uuid, String)>, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT from_id AS a, to_id AS b, kind FROM storage_relationship
         UNION ALL SELECT to_id, from_id, kind FROM storage_relationship WHERE kind = 'same_as'
         UNION ALL SELECT id, parent_id, 'parent' FROM storage_resource
          WHERE parent_id IS NOT NULL AND removed_at IS NULL",
        [],
    )
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "a")?, r.try_get("", "b")?, r.try_get("", "kind")?)))
        .collect()
}

/// A resource not removed with what its plugin declares, for running an
/// action on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Actionable {
    pub class: String,
    pub local_id: String,
    pub plugin: String,
    /// The plugin's declared classes (JSON), with their actions.
    pub classes: serde_json::Value,
    /// The plugin's levels (`detect`, `monitor`, `configure`).
    pub levels: Vec<String>,
}

/// Resource `id` (not removed) and its plugin's declarations; None when
/// there is no such resource.
pub async fn actionable(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Actionable>, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT r.class, r.local_id, r.plugin, p.classes, p.levels FROM storage_resource r
           JOIN storage_plugin p ON p.name = r.plugin WHERE r.id = $1 AND r.removed_at IS NULL",
        [id.into()],
    )
    .await?;
    rows.first()
        .map(|r| {
            Ok(Actionable {
                class: r.try_get("", "class")?,
                local_id: r.try_get("", "local_id")?,
                plugin: r.try_get("", "plugin")?,
                classes: r.try_get("", "classes")?,
                levels: r.try_get("", "levels")?,
            })
        })
        .transpose()
}
