//! The `pacemaker` part of `lustre-sim show`: per cluster, its members,
//! properties, resources, location constraints and fencing actions.

use serde_json::{json, Value};

use super::{cib, view};
use crate::faults::Faults;
use crate::state::ClusterState;

/// Every cluster as JSON.
pub fn clusters(state: &ClusterState, faults: &Faults) -> Value {
    let mut out = Vec::new();
    for (name, cluster) in &state.ha.clusters {
        let members: Vec<Value> = view(state, faults, name)
            .map(|v| {
                v.nodes
                    .iter()
                    .map(|n| {
                        json!({
                            "host": n.host,
                            "node": n.name,
                            "id": n.id,
                            "member": n.member,
                            "online": n.online,
                            "unclean": n.unclean,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let resources: Vec<Value> = cib::primitives(&cluster.config)
            .into_iter()
            .map(|p| {
                let rt = cluster.resources.get(&p.id);
                json!({
                    "id": p.id,
                    "agent": p.agent(),
                    "target_role": p.meta.get("target-role"),
                    "running_on": rt.and_then(|r| r.running_on.clone()),
                    "params": p.params,
                    "meta": p.meta,
                    "fail_counts": rt.map(|r| r.fail_counts.clone()).unwrap_or_default(),
                })
            })
            .collect();
        let constraints: Vec<Value> = cib::locations(&cluster.config)
            .into_iter()
            .map(|l| json!({"id": l.id, "rsc": l.rsc, "node": l.node, "score": l.score}))
            .collect();
        out.push(json!({
            "name": name,
            "dc": cluster.dc,
            "members": members,
            "properties": cib::properties(&cluster.config),
            "rsc_defaults": cib::rsc_defaults(&cluster.config),
            "resources": resources,
            "locations": constraints,
            "colocations": cluster
                .config
                .child("constraints")
                .map(|c| {
                    c.children
                        .iter()
                        .filter(|e| e.name == "rsc_colocation" || e.name == "rsc_order")
                        .map(|e| json!({"kind": e.name, "id": e.id()}))
                        .collect::<Vec<Value>>()
                })
                .unwrap_or_default(),
            "fencing": cluster.fence_history,
        }));
    }
    Value::Array(out)
}
