//! `failover_target` and `failback_target`: move a target between its hosts
//! through Pacemaker. `crm_resource --locate` tells where the resource runs
//! (`resource NAME is running on: NODE`); if it is not on the wanted node
//! yet, `crm_resource --move` moves it and the move is confirmed by locating
//! it again. Failback then clears the move's location constraint.

use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

use super::servers::Server;
use super::targets::{self, TargetRow};
use crate::shared::Shared;

/// How long a move may take to show in `crm_resource --locate`.
const MOVE_WAIT: Duration = Duration::from_secs(120);
/// Pause between two looks while a move settles.
const MOVE_POLL: Duration = Duration::from_secs(1);

/// The nodes in `crm_resource --locate` output. Pacemaker appends a role to
/// promoted resources (`… is running on: node1 Promoted`); it is dropped.
pub fn parse_locate(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|line| line.split_once("is running on:"))
        .filter_map(|(_, node)| node.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// `failover_target`: moves the target to `host_id`, one of its failover
/// hosts; `mounted` there.
pub async fn failover(shared: &Shared, target_id: Uuid, host_id: Uuid) -> Result<Value, String> {
    let target = TargetRow::load(shared, target_id).await?;
    if !target.failovers.contains(&host_id) {
        let host = Server::load(shared, host_id).await?;
        return Err(format!("{} is not a failover host of {}", host.name, target.name));
    }
    let (via, moved) = move_to(shared, &target, host_id).await?;
    Ok(json!({ "target": target.name, "moved": moved, "via": via.name }))
}

/// `failback_target`: moves the target back to its primary host and clears
/// the move constraint; `mounted` there.
pub async fn failback(shared: &Shared, target_id: Uuid) -> Result<Value, String> {
    let target = TargetRow::load(shared, target_id).await?;
    let (via, moved) = move_to(shared, &target, target.primary).await?;
    via.check(shared, &["crm_resource", "--clear", "--resource", &target.name])
        .await?;
    Ok(json!({ "target": target.name, "moved": moved, "via": via.name, "cleared": true }))
}

/// Moves the resource to `to` unless it runs there already, and records
/// it. Returns the host the commands ran on and whether it moved.
async fn move_to(shared: &Shared, target: &TargetRow, to: Uuid) -> Result<(Server, bool), String> {
    let hosts = target.hosts(shared).await?;
    let wanted = hosts
        .iter()
        .find(|h| h.id == to)
        .ok_or_else(|| format!("host {to} is not a host of {}", target.name))?;
    let node = wanted
        .nodename
        .clone()
        .ok_or_else(|| format!("{} has no node name yet; probe it first", wanted.name))?;
    let (via, nodes) = locate_any(shared, &hosts, &target.name).await?;
    let moved = !nodes.contains(&node);
    if moved {
        let argv = ["crm_resource", "--move", "--resource", &target.name, "--node", &node];
        via.check(shared, &argv).await?;
        confirm(shared, &via, &target.name, &node).await?;
    }
    targets::record(shared, target.id, "mounted", Some(to)).await?;
    Ok((via, moved))
}

/// Locates the resource from the first host that answers.
async fn locate_any(shared: &Shared, hosts: &[Server], name: &str) -> Result<(Server, Vec<String>), String> {
    let mut failures = Vec::new();
    for host in hosts {
        match locate(shared, host, name).await {
            Ok(nodes) => return Ok((host.clone(), nodes)),
            Err(why) => failures.push(why),
        }
    }
    Err(format!(
        "cannot locate {name} on any of its hosts: {}",
        failures.join("; ")
    ))
}

/// Where Pacemaker runs resource `name`, asked on `host`.
async fn locate(shared: &Shared, host: &Server, name: &str) -> Result<Vec<String>, String> {
    let stdout = host
        .check(shared, &["crm_resource", "--locate", "--resource", name])
        .await?;
    Ok(parse_locate(&stdout))
}

/// Waits until resource `name` runs on `node`.
async fn confirm(shared: &Shared, host: &Server, name: &str, node: &str) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + MOVE_WAIT;
    loop {
        let nodes = locate(shared, host, name).await?;
        if nodes.iter().any(|n| n == node) {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "{name} did not move to {node} within {MOVE_WAIT:?}; Pacemaker runs it on {nodes:?}"
            ));
        }
        tokio::time::sleep(MOVE_POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_where_a_resource_runs() {
        assert_eq!(parse_locate("resource fs1-OST0000 is running on: oss1\n"), vec!["oss1"]);
        assert_eq!(
            parse_locate("resource MGS is running on: mds1.example.com Promoted\nresource MGS is running on: mds2\n"),
            vec!["mds1.example.com", "mds2"]
        );
        // Stopped: Pacemaker says so on stderr and prints nothing here.
        assert!(parse_locate("").is_empty());
        assert!(parse_locate("resource fs1-OST0000 is NOT running\n").is_empty());
    }
}
