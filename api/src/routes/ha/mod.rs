//! `/api/ha_cluster`: the Pacemaker clusters Chroma builds out of servers
//! that share storage, and the rule that decides each new target's HA
//! mode (see [`pacemaker_ready`]).

pub mod create;
pub mod list;

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;
use store::sql::query;

/// A member of an HA cluster.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClusterMember {
    pub host_id: Uuid,
    pub nodename: Option<String>,
    /// Its Pacemaker node name, once Pacemaker runs there.
    pub ha_node: Option<String>,
    /// Its corosync ring address.
    pub ring0_addr: String,
}

/// An HA cluster as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClusterView {
    pub id: Uuid,
    pub name: String,
    /// `pending` until its setup job has run, then `configured`.
    pub state: String,
    pub members: Vec<ClusterMember>,
    /// The fencing asked for: `{"disabled": true}` or `{"devices": [...]}`
    /// (device parameters are not shown: they hold BMC passwords).
    #[schema(value_type = Object)]
    pub fencing: serde_json::Value,
    /// As Pacemaker last showed it; null before the first look.
    pub stonith_enabled: Option<bool>,
    pub fence_devices: i32,
    pub quorate: Option<bool>,
    pub seen_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Clusters matching `filter` (a WHERE clause over `c.` and `$1`…), by name.
pub async fn load(
    db: &impl sea_orm::ConnectionTrait,
    filter: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<ClusterView>, sea_orm::DbErr> {
    let rows = query(
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
        let id: Uuid = r.try_get("", "id")?;
        let members = query(
            db,
            "SELECT id, nodename, ha_node, COALESCE(ha_ring0_addr, address) AS ring0 FROM host
             WHERE ha_cluster_id = $1 AND state <> 'removed' ORDER BY id",
            [id.into()],
        )
        .await?
        .iter()
        .map(|m| {
            Ok(ClusterMember {
                host_id: m.try_get("", "id")?,
                nodename: m.try_get("", "nodename")?,
                ha_node: m.try_get("", "ha_node")?,
                ring0_addr: m.try_get("", "ring0")?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
        let fencing: serde_json::Value = r.try_get("", "fencing")?;
        clusters.push(ClusterView {
            id,
            name: r.try_get("", "name")?,
            state: r.try_get("", "state")?,
            members,
            fencing: redact(fencing),
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
fn redact(mut fencing: serde_json::Value) -> serde_json::Value {
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

/// Whether a new target on `primary` with `failover` servers is kept by
/// Pacemaker: yes when it has a failover server and every one of its
/// servers has Pacemaker and corosync; no (HA mode `none`, mounted by
/// Chroma) when it has none, or its servers lack the HA stack and belong
/// to no cluster. A Pacemaker target is refused (409, with the reason)
/// unless its servers are members of one configured cluster that can start
/// resources (fencing disabled on purpose, or a fencing device present),
/// and so is a target mixing cluster members with servers lacking the
/// stack.
pub async fn pacemaker_ready(
    db: &impl sea_orm::ConnectionTrait,
    target: &str,
    primary: Uuid,
    failover: &[Uuid],
) -> Result<bool, ApiError> {
    if failover.is_empty() {
        return Ok(false);
    }
    let mut ids = vec![primary];
    ids.extend_from_slice(failover);
    let rows = query(
        db,
        "SELECT h.id, COALESCE(h.nodename, h.address) AS label,
                h.pacemaker_version IS NOT NULL AND h.corosync_version IS NOT NULL AS has_stack,
                c.id AS cluster_id, c.name AS cluster, c.state, c.stonith_enabled, c.fence_devices
         FROM host h LEFT JOIN ha_cluster c ON c.id = h.ha_cluster_id
         WHERE h.id = ANY($1)",
        [ids.into()],
    )
    .await?;
    let mut clusters = std::collections::BTreeSet::new();
    let mut outside = Vec::new();
    let mut bare = Vec::new();
    for r in &rows {
        let label: String = r.try_get("", "label")?;
        if r.try_get::<Option<Uuid>>("", "cluster_id")?.is_some() {
            clusters.insert(r.try_get::<Uuid>("", "cluster_id")?);
        }
        if !r.try_get::<bool>("", "has_stack")? {
            bare.push(label);
        }
    }
    let refuse = |why: String| Err(ApiError::Conflict(format!("{target} cannot be created: {why}")));
    if !bare.is_empty() {
        // Servers of a cluster paired with servers without the HA stack:
        // mounting directly there would run a target beside Pacemaker,
        // unfenced; without any cluster, it is a site without HA.
        if clusters.is_empty() {
            return Ok(false);
        }
        return refuse(format!(
            "some of its servers are HA cluster members but {} have no Pacemaker and corosync; \
             give it servers of one cluster, or none",
            bare.join(", ")
        ));
    }
    clusters.clear();
    for r in &rows {
        let label: String = r.try_get("", "label")?;
        match r.try_get::<Option<Uuid>>("", "cluster_id")? {
            Some(id) => {
                clusters.insert(id);
            }
            None => outside.push(label),
        }
    }
    if !outside.is_empty() {
        return refuse(format!(
            "its servers have Pacemaker and corosync but {} belong to no HA cluster; \
             set the cluster up first (POST /api/ha_cluster, or `chroma ha setup`)",
            outside.join(", ")
        ));
    }
    if clusters.len() > 1 {
        return refuse("its servers are members of different HA clusters".into());
    }
    let r = &rows[0];
    let cluster: String = r.try_get("", "cluster")?;
    let state: String = r.try_get("", "state")?;
    if state != "configured" {
        return refuse(format!(
            "HA cluster {cluster} is {state}: its setup job has not finished"
        ));
    }
    let stonith: Option<bool> = r.try_get("", "stonith_enabled")?;
    let devices: i32 = r.try_get("", "fence_devices")?;
    if stonith != Some(false) && devices == 0 {
        return refuse(format!(
            "HA cluster {cluster} has fencing enabled (stonith-enabled=true) and no fencing device, \
             so Pacemaker would start nothing; configure fencing devices (POST /api/ha_cluster/{{id}}/configure \
             with \"fencing\") or disable fencing on a non-production cluster"
        ));
    }
    Ok(true)
}
