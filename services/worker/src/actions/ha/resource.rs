//! A target kept by Pacemaker: its `ocf:lustre:Lustre` primitive is created
//! `Stopped` with location constraints preferring its primary server, and
//! from then on Chroma starts, stops and moves it only through Pacemaker:
//! `target-role` for start and stop, cleanup → move → wait → clear for
//! failover and failback. Every change is followed by a bounded wait until
//! `crm_mon` shows it, and a start that cannot happen says why.

use lustre::pacemaker::{self, ClusterStatus, FAILOVER_SCORE, PRIMARY_SCORE};
use serde_json::{json, Value};
use std::time::Duration;

use super::super::servers::Server;
use super::super::targets::{self, TargetRow};
use super::crm::{self, Look};
use crate::error::ActionError;
use crate::shared::Shared;

/// How long a start, stop or move may take to show in `crm_mon` (the
/// primitive's start and stop operations time out after 300 s).
const SETTLE: Duration = Duration::from_secs(330);

/// The target's resource id, or why it has none.
fn resource_of(target: &TargetRow) -> Result<&str, ActionError> {
    target
        .ha_resource
        .as_deref()
        .ok_or_else(|| ActionError::Refused(format!("{} is not a Pacemaker resource (HA mode none)", target.name)))
}

/// The stable path of `device` on `host`: a `/dev/disk/by-id` link, which
/// names the same storage on every server (kernel names like `/dev/sdb` do
/// not). A multipath map's link is preferred over a single path's.
async fn stable_path(shared: &Shared, host: &Server, device: &str) -> Result<String, ActionError> {
    let stdout = host
        .check(
            shared,
            &["udevadm", "info", "--query=symlink", &format!("--name={device}")],
        )
        .await?;
    let links: Vec<&str> = stdout
        .split_whitespace()
        .filter(|l| l.starts_with("disk/by-id/"))
        .collect();
    let rank = |l: &&str| {
        let name = l.trim_start_matches("disk/by-id/");
        ["dm-uuid-mpath-", "wwn-", "scsi-"]
            .iter()
            .position(|p| name.starts_with(p))
            .unwrap_or(3)
    };
    links
        .into_iter()
        .min_by_key(rank)
        .map(|l| format!("/dev/{l}"))
        .ok_or_else(|| {
            ActionError::Refused(format!(
                "{device} on {} has no /dev/disk/by-id link: Pacemaker needs a path that names the same storage on every server",
                host.name
            ))
        })
}

/// `configure_target` for a Pacemaker target: creates its primitive and
/// location constraints (and a ZFS target's pool primitive) unless they
/// exist; `unmounted`.
pub async fn configure(shared: &Shared, target: &TargetRow) -> Result<Value, ActionError> {
    let id = resource_of(target)?;
    let hosts = target.hosts(shared).await?;
    let path = match target.dataset() {
        // A dataset has one name wherever its pool is imported.
        Some(dataset) => dataset,
        None => checked_path(shared, target, &hosts).await?,
    };
    let primitive =
        pacemaker::target_primitive(id, &path, &target.mountpoint(), shared.settings.pacemaker_monitor_secs);
    let mut created = Vec::new();
    if create(shared, &hosts, "resources", "primitive", id, &primitive).await? {
        created.push(id.to_owned());
    }
    if let Some(pool) = target.zpool.as_deref() {
        created.extend(create_pool(shared, &hosts, id, pool).await?);
    }
    for (i, host) in hosts.iter().enumerate() {
        let node = host.node_name()?;
        let score = if i == 0 { PRIMARY_SCORE } else { FAILOVER_SCORE };
        let constraint = pacemaker::location(id, node, score);
        let cid = pacemaker::location_id(id, node);
        if create(shared, &hosts, "constraints", "rsc_location", &cid, &constraint).await? {
            created.push(cid);
        }
    }
    targets::record(shared, target.id, "unmounted", None).await?;
    Ok(json!({ "target": target.name, "resource": id, "device": path, "created": created }))
}

/// A ZFS target's pool primitive, colocated with and ordered before the
/// target's; the ids created now.
async fn create_pool(shared: &Shared, hosts: &[Server], id: &str, pool: &str) -> Result<Vec<String>, ActionError> {
    let mut created = Vec::new();
    for e in pacemaker::pool_elements(id, pool, shared.settings.pacemaker_monitor_secs) {
        if create(shared, hosts, e.scope, e.tag, &e.id, &e.xml).await? {
            created.push(e.id);
        }
    }
    // Bound to its target now: it runs where and when the target does.
    set_role(shared, hosts, &pacemaker::pool_resource_id(id), "Started").await?;
    Ok(created)
}

/// The volume's stable path on the primary, checked to name the same
/// volume on every other server of the target.
async fn checked_path(shared: &Shared, target: &TargetRow, hosts: &[Server]) -> Result<String, ActionError> {
    let primary = hosts
        .first()
        .ok_or_else(|| ActionError::Bug(format!("{} has no primary host", target.name)))?;
    let device = target.device_on(shared, primary).await?;
    let path = stable_path(shared, primary, &device).await?;
    // Pacemaker mounts the same path wherever it runs the target.
    for other in hosts.iter().skip(1) {
        let seen = other.exec(shared, &["readlink", "-f", "--", &path]).await?;
        let volume = target.device_on(shared, other).await?;
        let expected = other
            .check(shared, &["readlink", "-f", "--", &volume])
            .await?
            .trim()
            .to_owned();
        if !seen.success() || seen.stdout.trim() != expected {
            return Err(ActionError::Refused(format!(
                "{path} does not name {}'s volume on {} (it resolves to {:?} there, the volume is {expected}): \
                 Pacemaker could not start it there",
                target.name,
                other.name,
                seen.stdout.trim()
            )));
        }
    }
    Ok(path)
}

/// Creates element `tag` `id` in CIB section `scope` unless it exists;
/// whether it was created now.
async fn create(
    shared: &Shared,
    hosts: &[Server],
    scope: &str,
    tag: &str,
    id: &str,
    xml: &str,
) -> Result<bool, ActionError> {
    let xpath = format!("//{tag}[@id='{id}']");
    let via = first_member(shared, hosts).await?;
    let found = via.exec(shared, &["cibadmin", "--query", "--xpath", &xpath]).await?;
    match found.exit_status {
        Some(0) => return Ok(false),
        // No such element.
        Some(105) => {}
        _ => return Err(via.failed(&["cibadmin", "--query", "--xpath", &xpath], &found)),
    }
    via.check(shared, &["cibadmin", "--create", "-o", scope, "--xml-text", xml])
        .await?;
    Ok(true)
}

/// The first of `hosts` whose Pacemaker answers.
async fn first_member(shared: &Shared, hosts: &[Server]) -> Result<Server, ActionError> {
    crm::status_any(shared, hosts).await.map(|(host, _)| host)
}

/// Sets the resource's `target-role` meta attribute.
async fn set_role(shared: &Shared, hosts: &[Server], id: &str, role: &str) -> Result<(), ActionError> {
    crm::crm_resource(
        shared,
        hosts,
        &[
            "--resource",
            id,
            "--set-parameter",
            "target-role",
            "--meta",
            "--parameter-value",
            role,
        ],
    )
    .await
    .map(|_| ())
}

/// The host whose Pacemaker node is `node`.
fn host_of<'a>(hosts: &'a [Server], node: &str) -> Option<&'a Server> {
    hosts.iter().find(|h| h.ha_node.as_deref() == Some(node))
}

/// Why the resource is not running and will not start by itself, if so:
/// the cluster starts nothing until fencing is configured, or it failed on
/// every node that may run it. (No controller or no quorum are waited
/// out: they pass by themselves after an election.)
fn stuck(status: &ClusterStatus, id: &str, hosts: &[Server]) -> Option<String> {
    if let Some(why) = status.fencing_missing() {
        return Some(why);
    }
    let resource = status.resource(id)?;
    if resource.blocked {
        return Some(format!("Pacemaker shows {id} blocked"));
    }
    // A ZFS target's pool resource failing to import keeps it off a node
    // as surely as its own failure.
    let pool = pacemaker::pool_resource_id(id);
    let why = [id, pool.as_str()].into_iter().find_map(|rid| {
        let failed: Vec<String> = status
            .fail_counts_of(rid)
            .into_iter()
            .filter(|f| f.count >= pacemaker::INFINITY)
            .map(|f| f.node.clone())
            .collect();
        let all_failed = hosts
            .iter()
            .all(|h| h.ha_node.as_ref().is_some_and(|n| failed.contains(n)));
        all_failed.then(|| {
            format!(
                "{rid} failed to start on {} (fail-count INFINITY); it stays off those nodes until it is cleaned up",
                failed.join(", ")
            )
        })
    });
    why
}

/// `mount_target` for a Pacemaker target: `target-role=Started`, then waits
/// until it runs; `mounted` where it does.
pub async fn start(shared: &Shared, target: &TargetRow) -> Result<Value, ActionError> {
    let id = resource_of(target)?;
    let hosts = target.hosts(shared).await?;
    let (_, before) = crm::status_any(shared, &hosts).await?;
    let was_running = before.resource(id).is_some_and(|r| r.runs_somewhere());
    set_role(shared, &hosts, id, "Started").await?;
    let node = crm::wait_for(shared, &hosts, SETTLE, |status| {
        let Some(resource) = status.resource(id) else {
            return Err(ActionError::Refused(format!(
                "Pacemaker has no resource {id}; configure the target again"
            )));
        };
        // Started and settled: a start still pending shows active too.
        if let Some(node) = resource.nodes.first().filter(|_| resource.runs_somewhere()) {
            return Ok(Look::Done(node.clone()));
        }
        match stuck(status, id, &hosts) {
            Some(why) => Err(ActionError::Command(format!("{} cannot start: {why}", target.name))),
            None => Ok(Look::NotYet(format!(
                "{id} is not running yet (role {}{})",
                resource.role,
                status.blocked_reason().map(|w| format!("; {w}")).unwrap_or_default()
            ))),
        }
    })
    .await?;
    let host = host_of(&hosts, &node)
        .ok_or_else(|| ActionError::Command(format!("{id} runs on {node}, which is none of its servers")))?;
    targets::record(shared, target.id, "mounted", Some(host.id)).await?;
    Ok(json!({ "target": target.name, "resource": id, "host": host.name, "node": node, "mounted": !was_running }))
}

/// `unmount_target` for a Pacemaker target: `target-role=Stopped`, then
/// waits until it runs nowhere; `unmounted`.
pub async fn stop(shared: &Shared, target: &TargetRow) -> Result<Value, ActionError> {
    let id = resource_of(target)?;
    let hosts = target.hosts(shared).await?;
    let (_, before) = crm::status_any(shared, &hosts).await?;
    let was_running = before.resource(id).is_some_and(|r| r.active);
    set_role(shared, &hosts, id, "Stopped").await?;
    // A ZFS target's pool stops after it: until then no other step may
    // import it.
    let pool = target.zpool.as_ref().map(|_| pacemaker::pool_resource_id(id));
    crm::wait_for(shared, &hosts, SETTLE, |status| {
        for rid in std::iter::once(id).chain(pool.as_deref()) {
            if let Some(r) = status.resource(rid).filter(|r| r.active || !r.nodes.is_empty()) {
                return Ok(Look::NotYet(format!("{rid} still runs on {}", r.nodes.join(", "))));
            }
        }
        Ok(Look::Done(()))
    })
    .await?;
    targets::record(shared, target.id, "unmounted", None).await?;
    Ok(json!({ "target": target.name, "resource": id, "unmounted": was_running }))
}

/// Failover and failback: cleans up the resource's failures (a fail-count
/// would keep it off the node), moves it to `to`'s node, waits until it
/// runs there, then clears the move constraint (stickiness keeps it
/// there); `mounted` on `to`.
pub async fn move_to(shared: &Shared, target: &TargetRow, to: uuid::Uuid) -> Result<Value, ActionError> {
    let id = resource_of(target)?;
    let hosts = target.hosts(shared).await?;
    let wanted = hosts
        .iter()
        .find(|h| h.id == to)
        .ok_or_else(|| ActionError::Refused(format!("host {to} is not a server of {}", target.name)))?;
    let node = wanted.node_name()?.to_owned();
    crm::crm_resource(shared, &hosts, &["--cleanup", "--resource", id]).await?;
    if target.zpool.is_some() {
        // A failed import on the destination would keep the target off it.
        let pool = pacemaker::pool_resource_id(id);
        crm::crm_resource(shared, &hosts, &["--cleanup", "--resource", &pool]).await?;
    }
    let (_, status) = crm::status_any(shared, &hosts).await?;
    let already = status.resource(id).is_some_and(|r| r.runs_on(&node));
    if !already {
        set_role(shared, &hosts, id, "Started").await?;
        // `--move` refuses (108) when the resource runs there already,
        // which the look above can miss while a cleanup re-probes: the
        // wait tells, and reports the refusal only otherwise.
        let moved = crm::crm_resource(shared, &hosts, &["--move", "--resource", id, "--node", &node]).await;
        crm::wait_for(shared, &hosts, SETTLE, |status| {
            if status.resource(id).is_some_and(|r| r.runs_on(&node)) {
                return Ok(Look::Done(()));
            }
            if let Some(why) = status.fencing_missing() {
                return Err(ActionError::Refused(format!("{} cannot move: {why}", target.name)));
            }
            if let Err(why) = &moved {
                // Only a command's failure or no answer come from `crm_resource`.
                return Err(match why {
                    ActionError::Unreachable(m) => ActionError::Unreachable(m.clone()),
                    other => ActionError::Command(other.to_string()),
                });
            }
            Ok(Look::NotYet(format!("{id} is not running on {node} yet")))
        })
        .await?;
    }
    // Once it runs there the move constraint goes, also when a redelivered
    // step finds the move done: left behind, it would pin the target to
    // that node for good. Clearing nothing succeeds.
    crm::crm_resource(shared, &hosts, &["--clear", "--resource", id]).await?;
    targets::record(shared, target.id, "mounted", Some(to)).await?;
    Ok(json!({ "target": target.name, "resource": id, "host": wanted.name, "node": node, "moved": !already }))
}

/// `remove_target` for a Pacemaker target: refuses while it runs, then
/// deletes its location constraints (Chroma's and any left by a move) and
/// its primitive; deleting what is already gone succeeds.
pub async fn remove(shared: &Shared, target: &TargetRow) -> Result<Value, ActionError> {
    let id = resource_of(target)?;
    let hosts = target.hosts(shared).await?;
    let (via, status) = crm::status_any(shared, &hosts).await?;
    let pool = target.zpool.as_ref().map(|_| pacemaker::pool_resource_id(id));
    for rid in std::iter::once(id).chain(pool.as_deref()) {
        if let Some(r) = status.resource(rid).filter(|r| r.active) {
            return Err(ActionError::Refused(format!(
                "{} still runs on {} ({rid}); stop it before removing it",
                target.name,
                r.nodes.join(", ")
            )));
        }
    }
    if status.resource(id).is_some() {
        crm::crm_resource(shared, &hosts, &["--clear", "--resource", id]).await?;
    }
    for host in &hosts {
        let cid = pacemaker::location_id(id, host.node_name()?);
        let xml = pacemaker::element_ref("rsc_location", &cid);
        via.check(shared, &["cibadmin", "--delete", "--xml-text", &xml]).await?;
    }
    if let Some(pool) = pool.as_deref().filter(|p| status.resource(p).is_some()) {
        // Held stopped first: without its constraints it could start
        // anywhere. (The schema refuses deleting a primitive that
        // constraints still name, so they go first.)
        set_role(shared, &hosts, pool, "Stopped").await?;
    }
    if let Some(zpool) = target.zpool.as_deref() {
        for e in pacemaker::pool_elements(id, zpool, shared.settings.pacemaker_monitor_secs)
            .iter()
            .rev()
        {
            let xml = pacemaker::element_ref(e.tag, &e.id);
            via.check(shared, &["cibadmin", "--delete", "--xml-text", &xml]).await?;
        }
    }
    let xml = pacemaker::element_ref("primitive", id);
    via.check(shared, &["cibadmin", "--delete", "--xml-text", &xml]).await?;
    Ok(json!({ "target": target.name, "resource": id, "deleted": true }))
}
