//! `/api/ha_cluster`: the Pacemaker clusters Chroma builds out of servers
//! that share storage, and the rule that decides each new target's HA
//! mode (see [`pacemaker_ready`]).

pub mod create;
pub mod list;

use uuid::Uuid;

use crate::error::ApiError;
pub use api_types::ha::{ClusterMember, ClusterView};

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
    let rows = store::ha::target_servers(db, ids).await?;
    let mut clusters = std::collections::BTreeSet::new();
    let mut outside = Vec::new();
    let mut bare = Vec::new();
    for r in &rows {
        if let Some(id) = r.cluster_id {
            clusters.insert(id);
        }
        if !r.has_stack {
            bare.push(r.label.clone());
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
        match r.cluster_id {
            Some(id) => {
                clusters.insert(id);
            }
            None => outside.push(r.label.clone()),
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
    // Every server here belongs to the cluster, so its columns are set.
    let unset = || ApiError::Internal(anyhow::anyhow!("HA cluster of {} has no name or state", r.label));
    let cluster = r.cluster.clone().ok_or_else(unset)?;
    let state = r.cluster_state.clone().ok_or_else(unset)?;
    if state != "configured" {
        return refuse(format!(
            "HA cluster {cluster} is {state}: its setup job has not finished"
        ));
    }
    let stonith = r.stonith_enabled;
    let devices = r.fence_devices.ok_or_else(unset)?;
    if stonith != Some(false) && devices == 0 {
        return refuse(format!(
            "HA cluster {cluster} has fencing enabled (stonith-enabled=true) and no fencing device, \
             so Pacemaker would start nothing; configure fencing devices (POST /api/ha_cluster/{{id}}/configure \
             with \"fencing\") or disable fencing on a non-production cluster"
        ));
    }
    Ok(true)
}
