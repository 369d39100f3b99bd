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
