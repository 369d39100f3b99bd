//! HA clusters: their members and Pacemaker state.

/// Which HA clusters [`cluster_views`] reads.
#[derive(Debug, Clone, Copy)]
pub enum ClusterSelection {
    /// The cluster with this id, even if removed.
    Id(uuid::Uuid),
    /// Every cluster not removed.
    Live,
}

/// The selected HA clusters as the API shows them, with their live
/// members and their fencing redacted, by name.
pub async fn cluster_views(
    db: &impl sea_orm::ConnectionTrait,
    selection: ClusterSelection,
) -> Result<Vec<api_types::ha::ClusterView>, sea_orm::DbErr> {
    let (filter, values): (&str, Vec<sea_orm::Value>) = match selection {
        ClusterSelection::Id(id) => ("c.id = $1", vec![id.into()]),
        ClusterSelection::Live => ("c.state <> 'removed'", vec![]),
    };
    let rows = crate::sql::query(
        db,
        &format!(
            "SELECT c.id, c.name, c.state, c.fencing, c.stonith_enabled, c.fence_devices, c.quorate, c.seen_at,
                    c.created_at
             FROM ha_cluster c WHERE {filter} ORDER BY c.name"
        ),
        values,
    )
    .await?;
    let mut clusters = Vec::with_capacity(rows.len());
    for r in rows {
        let id: uuid::Uuid = r.try_get("", "id")?;
        let members = crate::sql::query(
            db,
            "SELECT id, nodename, ha_node, COALESCE(ha_ring0_addr, address) AS ring0 FROM host
             WHERE ha_cluster_id = $1 AND state <> 'removed' ORDER BY id",
            [id.into()],
        )
        .await?
        .iter()
        .map(|m| {
            Ok(api_types::ha::ClusterMember {
                host_id: m.try_get("", "id")?,
                nodename: m.try_get("", "nodename")?,
                ha_node: m.try_get("", "ha_node")?,
                ring0_addr: m.try_get("", "ring0")?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
        let fencing: serde_json::Value = r.try_get("", "fencing")?;
        clusters.push(api_types::ha::ClusterView {
            id,
            name: r.try_get("", "name")?,
            state: r.try_get("", "state")?,
            members,
            fencing: redact_fencing(fencing),
            stonith_enabled: r.try_get("", "stonith_enabled")?,
            fence_devices: r.try_get("", "fence_devices")?,
            quorate: r.try_get("", "quorate")?,
            seen_at: r.try_get("", "seen_at")?,
            created_at: r.try_get("", "created_at")?,
        });
    }
    Ok(clusters)
}

/// The fencing as shown: each device's agent and host, and the names of
/// its parameters without their values.
fn redact_fencing(mut fencing: serde_json::Value) -> serde_json::Value {
    if let Some(devices) = fencing.get_mut("devices").and_then(|d| d.as_array_mut()) {
        for d in devices {
            if let Some(params) = d.get_mut("params").and_then(|p| p.as_object_mut()) {
                for v in params.values_mut() {
                    *v = serde_json::Value::String("********".into());
                }
            }
        }
    }
    fencing
}

/// An HA cluster's settings as its setup steps read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSetup {
    pub name: String,
    /// The fencing the operator asked for (JSON).
    pub fencing: serde_json::Value,
    pub authkey: Vec<u8>,
}

/// HA cluster `id`'s settings; `None` when it does not exist.
pub async fn cluster_setup(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
) -> Result<Option<ClusterSetup>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT name, fencing, authkey FROM ha_cluster WHERE id = $1",
        [id.into()],
    )
    .await?;
    rows.first()
        .map(|row| {
            Ok(ClusterSetup {
                name: row.try_get("", "name")?,
                fencing: row.try_get("", "fencing")?,
                authkey: row.try_get("", "authkey")?,
            })
        })
        .transpose()
}

/// A member of an HA cluster and its corosync ring address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub host_id: uuid::Uuid,
    /// Its `ha_ring0_addr`, else its address.
    pub ring0: String,
}

/// The members (not removed) of HA cluster `cluster_id`, by host id.
pub async fn cluster_members(
    db: &impl sea_orm::ConnectionTrait,
    cluster_id: uuid::Uuid,
) -> Result<Vec<Member>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT id, COALESCE(ha_ring0_addr, address) AS ring0 FROM host
         WHERE ha_cluster_id = $1 AND state <> 'removed' ORDER BY id",
        [cluster_id.into()],
    )
    .await?;
    rows.iter()
        .map(|m| {
            Ok(Member {
                host_id: m.try_get("", "id")?,
                ring0: m.try_get("", "ring0")?,
            })
        })
        .collect()
}

/// What Pacemaker reported once a cluster was configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfiguredStatus {
    pub stonith_enabled: Option<bool>,
    pub fence_devices: i32,
    pub quorate: bool,
}

/// Records HA cluster `id` as configured with `status`, seen now; fenced
/// by `fence`. Returns the rows changed.
pub async fn record_configured(
    db: &impl sea_orm::ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    id: uuid::Uuid,
    status: ConfiguredStatus,
) -> Result<u64, sea_orm::DbErr> {
    crate::steps::fenced_execute(
        db,
        "UPDATE ha_cluster SET state = 'configured', stonith_enabled = $2, fence_devices = $3,
                quorate = $4, seen_at = now() WHERE id = $1",
        vec![
            id.into(),
            status.stonith_enabled.into(),
            status.fence_devices.into(),
            status.quorate.into(),
        ],
        fence,
    )
    .await
}

/// Records what Pacemaker showed of HA cluster `id` this round, seen now,
/// if it is still configured. Returns the rows changed.
pub async fn record_seen(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
    status: ConfiguredStatus,
) -> Result<u64, sea_orm::DbErr> {
    crate::sql::execute(
        db,
        "UPDATE ha_cluster SET stonith_enabled = $2, fence_devices = $3, quorate = $4, seen_at = now()
         WHERE id = $1 AND state = 'configured'",
        [
            id.into(),
            status.stonith_enabled.into(),
            status.fence_devices.into(),
            status.quorate.into(),
        ],
    )
    .await
}

/// A configured HA cluster: its id and corosync's cluster name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredCluster {
    pub id: uuid::Uuid,
    pub name: String,
}

/// Every HA cluster Chroma has configured.
pub async fn configured_clusters(db: &impl sea_orm::ConnectionTrait) -> Result<Vec<ConfiguredCluster>, sea_orm::DbErr> {
    let rows = crate::sql::query(db, "SELECT id, name FROM ha_cluster WHERE state = 'configured'", []).await?;
    rows.iter()
        .map(|r| {
            Ok(ConfiguredCluster {
                id: r.try_get("", "id")?,
                name: r.try_get("", "name")?,
            })
        })
        .collect()
}

/// A server asked to join a new HA cluster, as the checks see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub host_id: uuid::Uuid,
    pub state: String,
    /// Pacemaker was found installed when it was probed.
    pub pacemaker: bool,
    /// corosync was found installed when it was probed.
    pub corosync: bool,
    /// The live HA cluster it is already a member of.
    pub cluster: Option<String>,
}

/// The servers among `host_ids` that exist, with what decides whether they
/// may join a new HA cluster (in no particular order).
pub async fn candidates(
    db: &impl sea_orm::ConnectionTrait,
    host_ids: &[uuid::Uuid],
) -> Result<Vec<Candidate>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT h.id, h.state, h.pacemaker_version IS NOT NULL AS pacemaker, h.corosync_version IS NOT NULL AS corosync,
                c.name AS cluster
         FROM host h LEFT JOIN ha_cluster c ON c.id = h.ha_cluster_id AND c.state <> 'removed'
         WHERE h.id = ANY($1)",
        [host_ids.to_vec().into()],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Candidate {
                host_id: r.try_get("", "id")?,
                state: r.try_get("", "state")?,
                pacemaker: r.try_get("", "pacemaker")?,
                corosync: r.try_get("", "corosync")?,
                cluster: r.try_get("", "cluster")?,
            })
        })
        .collect()
}

/// Whether an HA cluster named `name` exists, removed or not.
pub async fn name_taken(db: &impl sea_orm::ConnectionTrait, name: &str) -> Result<bool, sea_orm::DbErr> {
    let rows = crate::sql::query(db, "SELECT 1 FROM ha_cluster WHERE name = $1", [name.into()]).await?;
    Ok(!rows.is_empty())
}

/// Records a new HA cluster (state `pending`) with the fencing asked for
/// and its corosync authentication key.
pub async fn insert_cluster(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
    name: &str,
    fencing: serde_json::Value,
    authkey: Vec<u8>,
) -> Result<(), sea_orm::DbErr> {
    crate::sql::execute(
        db,
        "INSERT INTO ha_cluster (id, name, fencing, authkey) VALUES ($1, $2, $3, $4)",
        [id.into(), name.into(), fencing.into(), authkey.into()],
    )
    .await
    .map(drop)
}

/// Makes host `host_id` a member of HA cluster `cluster_id`, with its
/// corosync ring address (None: its address).
pub async fn add_member(
    db: &impl sea_orm::ConnectionTrait,
    host_id: uuid::Uuid,
    cluster_id: uuid::Uuid,
    ring0_addr: Option<String>,
) -> Result<(), sea_orm::DbErr> {
    crate::sql::execute(
        db,
        "UPDATE host SET ha_cluster_id = $2, ha_ring0_addr = $3 WHERE id = $1",
        [host_id.into(), cluster_id.into(), ring0_addr.into()],
    )
    .await
    .map(drop)
}

/// The name of HA cluster `id`; None when it does not exist or is removed.
pub async fn live_name(db: &impl sea_orm::ConnectionTrait, id: uuid::Uuid) -> Result<Option<String>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT name FROM ha_cluster WHERE id = $1 AND state <> 'removed'",
        [id.into()],
    )
    .await?;
    rows.first().map(|r| r.try_get("", "name")).transpose()
}

/// Replaces HA cluster `id`'s fencing.
pub async fn set_fencing(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
    fencing: serde_json::Value,
) -> Result<(), sea_orm::DbErr> {
    crate::sql::execute(
        db,
        "UPDATE ha_cluster SET fencing = $2 WHERE id = $1",
        [id.into(), fencing.into()],
    )
    .await
    .map(drop)
}

/// One of a new target's servers, and the HA cluster it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetServer {
    pub host_id: uuid::Uuid,
    /// Its node name, else its address.
    pub label: String,
    /// Both Pacemaker and corosync were found installed.
    pub has_stack: bool,
    /// Its cluster; the fields after this one are None without one.
    pub cluster_id: Option<uuid::Uuid>,
    pub cluster: Option<String>,
    pub cluster_state: Option<String>,
    pub stonith_enabled: Option<bool>,
    pub fence_devices: Option<i32>,
}

/// The servers among `host_ids` that exist, each with its HA stack and
/// cluster (in no particular order).
pub async fn target_servers(
    db: &impl sea_orm::ConnectionTrait,
    host_ids: Vec<uuid::Uuid>,
) -> Result<Vec<TargetServer>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT h.id, COALESCE(h.nodename, h.address) AS label,
                h.pacemaker_version IS NOT NULL AND h.corosync_version IS NOT NULL AS has_stack,
                c.id AS cluster_id, c.name AS cluster, c.state, c.stonith_enabled, c.fence_devices
         FROM host h LEFT JOIN ha_cluster c ON c.id = h.ha_cluster_id
         WHERE h.id = ANY($1)",
        [host_ids.into()],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TargetServer {
                host_id: r.try_get("", "id")?,
                label: r.try_get("", "label")?,
                has_stack: r.try_get("", "has_stack")?,
                cluster_id: r.try_get("", "cluster_id")?,
                cluster: r.try_get("", "cluster")?,
                cluster_state: r.try_get("", "state")?,
                stonith_enabled: r.try_get("", "stonith_enabled")?,
                fence_devices: r.try_get("", "fence_devices")?,
            })
        })
        .collect()
}
