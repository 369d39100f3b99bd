//! What Pacemaker does on its own, run on every tick of the simulator
//! (before every command and every 200 ms, see `crate::effects`): elect a
//! DC, fence lost nodes, run monitors, and place every primitive on the
//! best node by score, starting (mounting) and stopping (unmounting)
//! `ocf:lustre:Lustre` targets.
//!
//! Rules, as Pacemaker 2.1's scheduler applies them: nothing starts
//! without quorum (`no-quorum-policy=stop` stops what runs), nor with
//! `stonith-enabled=true` and no stonith resource; `target-role=Stopped`
//! keeps a resource stopped; a node's score is the sum of the location
//! constraints for it (`symmetric-cluster=true` gives 0 to the others,
//! else -INFINITY), plus the stickiness where the resource runs; a node
//! whose fail-count reached `migration-threshold` is ineligible; negative
//! scores cannot run; the best score wins, then the current node, then the
//! least loaded, then the name. A failed start sets the fail-count to
//! INFINITY (`start-failure-is-fatal`) and the next best node is tried.

use std::collections::BTreeMap;

use super::cib::{self, Primitive};
use super::log::{self, ERR, WARNING};
use super::{add_scores, view, ClusterView, FenceEvent, HaCluster, OpRecord, RscRuntime, INFINITY};
use crate::commands::{mount, umount, Context};
use crate::faults::Faults;
use crate::state::ClusterState;

/// Advances every cluster to `now_us`; returns whether anything changed.
pub fn tick(state: &mut ClusterState, faults: &Faults, now_us: u64) -> bool {
    let names: Vec<String> = state.ha.clusters.keys().cloned().collect();
    tick_named(state, faults, now_us, names)
}

/// Advances to `now_us` only the cluster `host` is configured in (if
/// any): all that a command on `host` can see, since a cluster's
/// resources live on its members' devices. Ticking every cluster before
/// every command would cost O(clusters) per command at a large site; the
/// fault watcher ticks them all every 200 ms, so none lags behind.
pub fn tick_host(state: &mut ClusterState, faults: &Faults, now_us: u64, host: &str) -> bool {
    let name = state
        .ha
        .hosts
        .get(host)
        .and_then(|ha| ha.conf.as_ref())
        .map(|conf| conf.cluster_name.clone());
    tick_named(state, faults, now_us, name.into_iter().collect())
}

/// Advances the clusters `names` to `now_us`.
fn tick_named(state: &mut ClusterState, faults: &Faults, now_us: u64, names: Vec<String>) -> bool {
    let mut changed = false;
    for name in names {
        let Some(view) = view(state, faults, &name) else {
            continue;
        };
        let Some(mut cluster) = state.ha.clusters.remove(&name) else {
            continue;
        };
        let before = cluster.clone();
        let journals = state.journals.clone();
        step(state, faults, &view, &mut cluster, now_us);
        let logged = state
            .journals
            .iter()
            .any(|(host, j)| journals.get(host).is_none_or(|old| !std::sync::Arc::ptr_eq(old, j)));
        // When the next monitor or check is due is the simulator's own
        // bookkeeping: moving it on saves nothing.
        changed |= logged || !same_but_timers(&cluster, &before);
        state.ha.clusters.insert(name, cluster);
    }
    changed
}

/// Whether `a` and `b` differ at most in when monitors and checks are due.
/// Compared field by field, without copies (this runs before every
/// command); the destructuring makes a new field a compile error here.
fn same_but_timers(a: &HaCluster, b: &HaCluster) -> bool {
    let HaCluster {
        config,
        epoch,
        last_change,
        resources,
        fence_history,
        lost,
        dc,
        call_id,
        no_stonith_logged,
    } = a;
    config == &b.config
        && epoch == &b.epoch
        && last_change == &b.last_change
        && fence_history == &b.fence_history
        && lost == &b.lost
        && dc == &b.dc
        && call_id == &b.call_id
        && no_stonith_logged == &b.no_stonith_logged
        && resources.len() == b.resources.len()
        && resources
            .iter()
            .zip(&b.resources)
            .all(|((ka, ra), (kb, rb))| ka == kb && runtime_same_but_timers(ra, rb))
}

/// [`same_but_timers`] for one resource's runtime state.
fn runtime_same_but_timers(a: &RscRuntime, b: &RscRuntime) -> bool {
    let RscRuntime {
        running_on,
        fail_counts,
        last_failure,
        failures,
        history,
        next_monitor_us: _,
        next_check_us: _,
        recover,
        target,
    } = a;
    running_on == &b.running_on
        && fail_counts == &b.fail_counts
        && last_failure == &b.last_failure
        && failures == &b.failures
        && history == &b.history
        && recover == &b.recover
        && target == &b.target
}

fn step(state: &mut ClusterState, faults: &Faults, view: &ClusterView, cluster: &mut HaCluster, now_us: u64) {
    let online = view.online();
    if online.is_empty() {
        cluster.dc = None;
        return;
    }
    if cluster.dc.as_ref().is_none_or(|dc| !online.contains(dc)) {
        cluster.dc = online.first().cloned();
    }
    // The controller records these when a DC is elected.
    let crm_config = cluster.config.child_or_insert("crm_config");
    for (name, value) in [
        ("have-watchdog", "false"),
        ("dc-version", super::DC_VERSION),
        ("cluster-infrastructure", "corosync"),
        ("cluster-name", view.name.as_str()),
    ] {
        if cib::get_nvpair(crm_config, "cluster_property_set", name).is_none() {
            cib::set_nvpair(crm_config, "cluster_property_set", "cib-bootstrap-options", name, value);
        }
    }
    let nodes = cluster.config.child_or_insert("nodes");
    for n in view.nodes.iter().filter(|n| n.online) {
        if !nodes.children.iter().any(|e| e.attr("uname") == Some(n.name.as_str())) {
            nodes.children.push(
                super::xml::Element::new("node")
                    .with("id", &n.id.to_string())
                    .with("uname", &n.name),
            );
        }
    }
    let policy = cib::property_or(&cluster.config, "no-quorum-policy", "stop");
    if !view.quorate && policy != "ignore" {
        if policy == "stop" {
            stop_all(state, faults, view, cluster, now_us);
        }
        return;
    }
    fence_lost(state, view, cluster, now_us);
    monitors(state, faults, view, cluster, now_us);
    place(state, faults, view, cluster, now_us);
}

/// Without quorum: stop everything this partition runs.
fn stop_all(state: &mut ClusterState, faults: &Faults, view: &ClusterView, cluster: &mut HaCluster, now_us: u64) {
    for p in cib::primitives(&cluster.config) {
        if cib::is_dependent(&cluster.config, &p.id) {
            continue;
        }
        let running = cluster.resources.get(&p.id).and_then(|r| r.running_on.clone());
        if let Some(node) = running.filter(|n| view.node(n).is_some_and(|v| v.online)) {
            stop(state, faults, view, cluster, &p, &node, now_us);
        }
    }
}

/// The stonith devices that can fence `target`: not held stopped, able
/// to run on an online node, and listing it (`pcmk_host_list`) or, for
/// `fence_lustre_sim` without a list, any node.
fn devices_for<'a>(prims: &'a [Primitive], target: &str) -> Vec<&'a Primitive> {
    prims
        .iter()
        .filter(|p| p.is_stonith() && !p.held_stopped())
        .filter(|p| match p.params.get("pcmk_host_list") {
            Some(list) => list.split([',', ' ', ';']).any(|n| n == target),
            None => p.kind == "fence_lustre_sim",
        })
        .collect()
}

/// Fences (or, with `stonith-enabled=false`, forgets) the lost nodes.
fn fence_lost(state: &mut ClusterState, view: &ClusterView, cluster: &mut HaCluster, now_us: u64) {
    let stonith = cib::bool_property(&cluster.config, "stonith-enabled", true);
    let prims = cib::primitives(&cluster.config);
    let dc = cluster.dc.clone().unwrap_or_default();
    let dc_host = view.node(&dc).and_then(|n| n.host.clone()).unwrap_or_default();
    let now = now_us / 1_000_000;
    for target in cluster.lost.clone() {
        if !stonith {
            forget_node(cluster, &target);
            continue;
        }
        let devices = devices_for(&prims, &target);
        let Some(device) = devices.first() else {
            continue;
        };
        let tried = cluster
            .fence_history
            .iter()
            .any(|e| e.target == target && !e.succeeded && e.completed * 1_000_000 + 60_000_000 > now_us);
        if tried {
            continue;
        }
        let executioner = view
            .online()
            .into_iter()
            .find(|n| *n != target)
            .unwrap_or_else(|| dc.clone());
        let exec_host = view.node(&executioner).and_then(|n| n.host.clone()).unwrap_or_default();
        let client = format!("pacemaker-controld.{}", log::pid(&dc_host, "pacemaker-controld"));
        let succeeded = device.kind == "fence_lustre_sim";
        let exit_reason = (!succeeded).then(|| format!("{} could not reach the node's power controller", device.kind));
        let result = if succeeded { "OK" } else { "Error occurred" };
        log::pacemaker(
            state,
            &exec_host,
            "pacemaker-fenced",
            log::NOTICE,
            now_us,
            &format!(
                "Operation reboot of {target} by {executioner} for {client}@{dc}: {result} (ref={})",
                crate::journal::hex_id(&format!("fence {target} {now_us}"))
            ),
        );
        log::controld(
            state,
            &dc_host,
            now_us,
            &format!(
                "Peer {target} was{} terminated (reboot) by {executioner} on behalf of {client}@{dc}: {result}",
                if succeeded { "" } else { " not" }
            ),
        );
        cluster.fence_history.push(FenceEvent {
            action: "reboot".to_string(),
            target: target.clone(),
            delegate: executioner,
            origin: dc.clone(),
            client,
            device: device.id.clone(),
            succeeded,
            exit_reason,
            completed: now,
        });
        if succeeded {
            forget_node(cluster, &target);
        }
    }
}

/// A lost node is known down: what it ran is stopped.
fn forget_node(cluster: &mut HaCluster, node: &str) {
    cluster.lost.remove(node);
    for rt in cluster.resources.values_mut() {
        if rt.running_on.as_deref() == Some(node) {
            rt.running_on = None;
        }
    }
}

/// The serial of a Lustre primitive's device as `host` sees it.
fn serial_on(state: &ClusterState, p: &Primitive, host: &str) -> Option<String> {
    state.resolve_device(host, p.params.get("target")?)
}

/// Runs due monitors: a target that should run on a node but is not
/// mounted there failed (fail-count + 1, recovered); a target mounted on
/// an online node where it should not run is stopped there.
fn monitors(state: &mut ClusterState, faults: &Faults, view: &ClusterView, cluster: &mut HaCluster, now_us: u64) {
    let dc = cluster.dc.clone().unwrap_or_default();
    for p in cib::primitives(&cluster.config)
        .into_iter()
        .filter(Primitive::is_lustre)
    {
        let Some(interval) = p.monitor_ms else {
            continue;
        };
        let rt = cluster.resources.entry(p.id.clone()).or_default().clone();
        let due_us = interval * 1000;
        if let Some(node) = rt.running_on.clone().filter(|n| view.node(n).is_some_and(|v| v.online)) {
            if now_us < rt.next_monitor_us {
                continue;
            }
            let host = view.node(&node).and_then(|n| n.host.clone()).unwrap_or_default();
            let mounted = serial_on(state, &p, &host)
                .and_then(|s| state.mount_of(&s).map(|m| m.host == host))
                .unwrap_or(false);
            let rc = if mounted { 0 } else { 7 };
            // A recurring monitor that keeps its result is not a change:
            // Pacemaker records a recurring operation again only when its
            // result changes (and the simulator then saves nothing).
            let same = rt
                .history
                .iter()
                .any(|o| o.node == node && o.task == "monitor" && o.interval_ms == interval && o.rc == rc);
            let call = if same { 0 } else { cluster.next_call() };
            let now = now_us / 1_000_000;
            let entry = cluster.resources.entry(p.id.clone()).or_default();
            entry.next_monitor_us = now_us + due_us;
            if !same {
                record(entry, op(&node, "monitor", interval, rc, call, now, None));
            }
            if !mounted {
                let count = entry.fail_counts.entry(node.clone()).or_insert(0);
                *count = add_scores(*count, 1);
                entry.last_failure.insert(node.clone(), now);
                entry.recover = true;
                log::controld(
                    state,
                    &host,
                    now_us,
                    &format!("Result of monitor operation for {} on {node}: not running", p.id),
                );
                let dc_host = view.node(&dc).and_then(|n| n.host.clone()).unwrap_or_default();
                log::pacemaker(
                    state,
                    &dc_host,
                    "pacemaker-schedulerd",
                    WARNING,
                    now_us,
                    &format!(
                        "Unexpected result (not running) was recorded for monitor of {} on {node}",
                        p.id
                    ),
                );
            }
            continue;
        }
        // Not running anywhere Pacemaker knows: look for it mounted behind
        // its back on this cluster's online nodes.
        if now_us < rt.next_check_us {
            continue;
        }
        cluster.resources.entry(p.id.clone()).or_default().next_check_us = now_us + due_us;
        for n in view.nodes.iter().filter(|n| n.online) {
            let Some(host) = n.host.clone() else {
                continue;
            };
            let here = serial_on(state, &p, &host)
                .and_then(|s| state.mount_of(&s).map(|m| m.host == host))
                .unwrap_or(false);
            if here {
                log::pacemaker(
                    state,
                    &host,
                    "pacemaker-controld",
                    WARNING,
                    now_us,
                    &format!("{} is active on {} but should not be: stopping it", p.id, n.name),
                );
                stop(state, faults, view, cluster, &p, &n.name, now_us);
            }
        }
    }
}

fn op(node: &str, task: &str, interval_ms: u64, rc: u32, call: u64, at: u64, reason: Option<String>) -> OpRecord {
    OpRecord {
        node: node.to_string(),
        task: task.to_string(),
        interval_ms,
        rc,
        call,
        at,
        exit_reason: reason,
    }
}

/// Keeps the last operation of each kind per node, and failures.
fn record(rt: &mut RscRuntime, op: OpRecord) {
    rt.history
        .retain(|o| !(o.node == op.node && o.task == op.task && o.interval_ms == op.interval_ms));
    if op.interval_ms == 0 && (op.task == "start" || op.task == "stop") {
        // The LRM keeps one `_last_0` entry: a stop replaces the start.
        rt.history
            .retain(|o| !(o.node == op.node && o.interval_ms == 0 && (o.task == "start" || o.task == "stop")));
    }
    if op.rc != 0 {
        rt.failures
            .retain(|o| !(o.node == op.node && o.task == op.task && o.interval_ms == op.interval_ms));
        rt.failures.push(op.clone());
    }
    rt.history.push(op);
}

/// The node scores of `p` (only online, clean nodes).
fn scores(view: &ClusterView, cluster: &HaCluster, p: &Primitive) -> Vec<(String, i64)> {
    let symmetric = cib::bool_property(&cluster.config, "symmetric-cluster", true);
    let locations = cib::locations(&cluster.config);
    let stickiness = cib::stickiness(&cluster.config, p);
    let threshold = cib::migration_threshold(&cluster.config, p);
    let rt = cluster.resources.get(&p.id);
    view.nodes
        .iter()
        .filter(|n| n.online && !n.unclean)
        .map(|n| {
            let mut score = if symmetric { 0 } else { -INFINITY };
            let mut constrained = false;
            for l in locations.iter().filter(|l| l.rsc == p.id && l.node == n.name) {
                score = if constrained || symmetric {
                    add_scores(score, l.score)
                } else {
                    l.score
                };
                constrained = true;
            }
            if rt.and_then(|r| r.running_on.as_deref()) == Some(n.name.as_str()) {
                score = add_scores(score, stickiness);
            }
            let fails = rt.and_then(|r| r.fail_counts.get(&n.name)).copied().unwrap_or(0);
            if fails >= threshold {
                score = -INFINITY;
            }
            (n.name.clone(), score)
        })
        .collect()
}

/// Where `p` should run, if anywhere.
fn choose(view: &ClusterView, cluster: &HaCluster, p: &Primitive, load: &BTreeMap<String, usize>) -> Option<String> {
    if p.held_stopped() {
        return None;
    }
    let current = cluster.resources.get(&p.id).and_then(|r| r.running_on.clone());
    let mut candidates: Vec<(String, i64)> = scores(view, cluster, p).into_iter().filter(|(_, s)| *s >= 0).collect();
    candidates.sort_by(|(a, sa), (b, sb)| {
        sb.cmp(sa)
            .then_with(|| (current.as_deref() != Some(a)).cmp(&(current.as_deref() != Some(b))))
            .then_with(|| load.get(a).unwrap_or(&0).cmp(load.get(b).unwrap_or(&0)))
            .then_with(|| a.to_lowercase().cmp(&b.to_lowercase()))
    });
    candidates.into_iter().next().map(|(n, _)| n)
}

/// Places every primitive, starting and stopping as needed.
fn place(state: &mut ClusterState, faults: &Faults, view: &ClusterView, cluster: &mut HaCluster, now_us: u64) {
    let prims = cib::primitives(&cluster.config);
    let stonith = cib::bool_property(&cluster.config, "stonith-enabled", true);
    let startup_disabled = stonith && !prims.iter().any(Primitive::is_stonith);
    let dc = cluster.dc.clone().unwrap_or_default();
    let dc_host = view.node(&dc).and_then(|n| n.host.clone()).unwrap_or_default();
    if startup_disabled && !cluster.no_stonith_logged {
        cluster.no_stonith_logged = true;
        log::pacemaker(
            state,
            &dc_host,
            "pacemaker-schedulerd",
            ERR,
            now_us,
            "Resource start-up disabled since no STONITH resources have been defined",
        );
    }
    // Resources of nodes gone cleanly are stopped; of unclean ones, blocked.
    for rt in cluster.resources.values_mut() {
        if let Some(n) = rt.running_on.clone() {
            if view.node(&n).is_none_or(|v| !v.online && !v.unclean) {
                rt.running_on = None;
            }
        }
    }
    orphans(state, faults, view, cluster, &prims, now_us);
    let mut load: BTreeMap<String, usize> = BTreeMap::new();
    for rt in cluster.resources.values() {
        if let Some(n) = &rt.running_on {
            *load.entry(n.clone()).or_default() += 1;
        }
    }
    for p in &prims {
        // Placed, started and stopped with the resource they run with.
        if cib::is_dependent(&cluster.config, &p.id) {
            continue;
        }
        let rt = cluster.resources.entry(p.id.clone()).or_default().clone();
        if rt
            .running_on
            .as_ref()
            .is_some_and(|n| view.node(n).is_some_and(|v| v.unclean))
        {
            continue;
        }
        for _ in 0..=view.nodes.len() {
            let current = cluster.resources.get(&p.id).and_then(|r| r.running_on.clone());
            let recover = cluster.resources.get(&p.id).is_some_and(|r| r.recover);
            let desired = choose(view, cluster, p, &load);
            if desired == current && !recover {
                break;
            }
            if let Some(cur) = &current {
                if desired.as_ref() != Some(cur) || recover {
                    stop(state, faults, view, cluster, p, cur, now_us);
                    if let Some(n) = load.get_mut(cur) {
                        *n = n.saturating_sub(1);
                    }
                }
            }
            if let Some(rt) = cluster.resources.get_mut(&p.id) {
                rt.recover = false;
            }
            let Some(node) = desired else {
                break;
            };
            if startup_disabled {
                break;
            }
            if start(state, faults, view, cluster, p, &node, now_us) {
                *load.entry(node).or_default() += 1;
                break;
            }
        }
        if cluster.resources.get(&p.id).is_some_and(|r| r.running_on.is_none()) {
            stop_dependents(state, faults, view, cluster, p, None, now_us);
        }
    }
}

/// The primitives that run with `p`, in configuration order.
fn dependents_of(cluster: &HaCluster, p: &Primitive) -> Vec<Primitive> {
    let ids = cib::dependents(&cluster.config, &p.id);
    // Every stopped resource asks, every tick: reading all primitives out
    // of the configuration for each made a tick of a 40-target pair cost
    // 40 × 40 primitive reads.
    if ids.is_empty() {
        return Vec::new();
    }
    cib::primitives(&cluster.config)
        .into_iter()
        .filter(|d| ids.contains(&d.id))
        .collect()
}

/// Starts what runs with `p` on `node` (stopping it where else it runs),
/// before `p` itself; why one could not start.
fn start_dependents(
    state: &mut ClusterState,
    faults: &Faults,
    view: &ClusterView,
    cluster: &mut HaCluster,
    p: &Primitive,
    node: &str,
    now_us: u64,
) -> Result<(), String> {
    for d in dependents_of(cluster, p) {
        let running = cluster.resources.get(&d.id).and_then(|r| r.running_on.clone());
        if running.as_deref() == Some(node) {
            continue;
        }
        if d.held_stopped() {
            return Err(format!("{} (which {} runs with) is held stopped", d.id, p.id));
        }
        if let Some(other) = running.filter(|n| view.node(n).is_some_and(|v| v.online)) {
            stop(state, faults, view, cluster, &d, &other, now_us);
        }
        if !start(state, faults, view, cluster, &d, node, now_us) {
            return Err(format!("{} (which {} runs with) failed to start on {node}", d.id, p.id));
        }
    }
    Ok(())
}

/// Stops what runs with `p`, after `p` stopped: on `node`, or anywhere
/// (online) for `None`.
fn stop_dependents(
    state: &mut ClusterState,
    faults: &Faults,
    view: &ClusterView,
    cluster: &mut HaCluster,
    p: &Primitive,
    node: Option<&str>,
    now_us: u64,
) {
    for d in dependents_of(cluster, p).into_iter().rev() {
        let running = cluster.resources.get(&d.id).and_then(|r| r.running_on.clone());
        if let Some(n) = running.filter(|n| node.is_none_or(|want| want == n) && view.node(n).is_some_and(|v| v.online))
        {
            stop(state, faults, view, cluster, &d, &n, now_us);
        }
    }
}

/// Resources deleted from the configuration: stopped where they run,
/// then forgotten.
fn orphans(
    state: &mut ClusterState,
    faults: &Faults,
    view: &ClusterView,
    cluster: &mut HaCluster,
    prims: &[Primitive],
    now_us: u64,
) {
    let gone: Vec<String> = cluster
        .resources
        .keys()
        .filter(|id| !prims.iter().any(|p| &p.id == *id))
        .cloned()
        .collect();
    for id in gone {
        let Some(rt) = cluster.resources.remove(&id) else {
            continue;
        };
        let (Some(node), Some(target)) = (rt.running_on, rt.target) else {
            continue;
        };
        let Some(host) = view.node(&node).and_then(|n| n.host.clone()) else {
            continue;
        };
        initiate(state, view, cluster, &id, "stop", &node, now_us);
        let dir = state.resolve_device(&host, &target).and_then(|s| {
            state
                .mount_of(&s)
                .filter(|m| m.host == host)
                .map(|m| m.mountpoint.clone())
        });
        if let Some(dir) = dir {
            let mut ctx = Context {
                host: host.clone(),
                state,
                faults: faults.clone(),
            };
            umount::run(&[dir], &mut ctx);
        }
        log::controld(
            state,
            &host,
            now_us,
            &format!("Result of stop operation for {id} on {node}: ok"),
        );
    }
}

fn initiate(
    state: &mut ClusterState,
    view: &ClusterView,
    cluster: &HaCluster,
    id: &str,
    task: &str,
    node: &str,
    now_us: u64,
) {
    let dc = cluster.dc.clone().unwrap_or_default();
    let dc_host = view.node(&dc).and_then(|n| n.host.clone()).unwrap_or_default();
    let locally = if dc == node { "locally " } else { "" };
    log::controld(
        state,
        &dc_host,
        now_us,
        &format!("Initiating {task} operation {id}_{task}_0 {locally}on {node}"),
    );
}

/// A `fail-start` fault for `id` on `host` not used yet: use it.
fn injected_start_failure(state: &mut ClusterState, faults: &Faults, host: &str, id: &str) -> bool {
    let fault = faults
        .host(host)
        .fail_start
        .into_iter()
        .find(|f| f.command == id && !state.consumed_faults.contains(&f.id));
    match fault {
        Some(f) => state.consumed_faults.insert(f.id),
        None => false,
    }
}

/// Starts `p` on `node`; false (and fail-count INFINITY there) on failure.
fn start(
    state: &mut ClusterState,
    faults: &Faults,
    view: &ClusterView,
    cluster: &mut HaCluster,
    p: &Primitive,
    node: &str,
    now_us: u64,
) -> bool {
    let host = view.node(node).and_then(|n| n.host.clone()).unwrap_or_default();
    initiate(state, view, cluster, &p.id, "start", node, now_us);
    let result: Result<(), (u32, String)> = if injected_start_failure(state, faults, &host, &p.id) {
        Err((1, "injected start failure".to_string()))
    } else if let Err(why) = start_dependents(state, faults, view, cluster, p, node, now_us) {
        Err((1, why))
    } else if p.is_zfs() {
        import_pool(state, faults, p, &host)
    } else if p.is_stonith() {
        if p.kind.starts_with("fence_") {
            Ok(())
        } else {
            Err((5, format!("Agent {} not found or does not support fencing", p.kind)))
        }
    } else if p.is_lustre() {
        match (p.params.get("target"), p.params.get("mountpoint")) {
            (Some(target), Some(dir)) => {
                let mut ctx = Context {
                    host: host.clone(),
                    state,
                    faults: faults.clone(),
                };
                let out = mount::mount_device(target, dir, &mut ctx);
                if out.code == 0 {
                    Ok(())
                } else {
                    Err((1, out.stderr.lines().next().unwrap_or("mount failed").to_string()))
                }
            }
            _ => Err((6, "target and mountpoint must be set".to_string())),
        }
    } else {
        Err((5, format!("Setup problem: couldn't find command: {}", p.kind)))
    };
    let call = cluster.next_call();
    let now = now_us / 1_000_000;
    let rt = cluster.resources.entry(p.id.clone()).or_default();
    match result {
        Ok(()) => {
            record(rt, op(node, "start", 0, 0, call, now, None));
            rt.running_on = Some(node.to_string());
            rt.target = p.params.get("target").cloned();
            if let Some(ms) = p.monitor_ms {
                rt.next_monitor_us = now_us + ms * 1000;
            }
            log::controld(
                state,
                &host,
                now_us,
                &format!("Result of start operation for {} on {node}: ok", p.id),
            );
            true
        }
        Err((rc, reason)) => {
            record(rt, op(node, "start", 0, rc, call, now, Some(reason)));
            rt.fail_counts.insert(node.to_string(), INFINITY);
            rt.last_failure.insert(node.to_string(), now);
            rt.running_on = None;
            log::controld(
                state,
                &host,
                now_us,
                &format!(
                    "Result of start operation for {} on {node}: {}",
                    p.id,
                    super::rc_text(rc)
                ),
            );
            false
        }
    }
}

/// Stops `p` on `node` (unmounts a Lustre target there).
fn stop(
    state: &mut ClusterState,
    faults: &Faults,
    view: &ClusterView,
    cluster: &mut HaCluster,
    p: &Primitive,
    node: &str,
    now_us: u64,
) {
    let host = view.node(node).and_then(|n| n.host.clone()).unwrap_or_default();
    initiate(state, view, cluster, &p.id, "stop", node, now_us);
    if p.is_lustre() {
        let mounted = serial_on(state, p, &host).and_then(|s| {
            state
                .mount_of(&s)
                .filter(|m| m.host == host)
                .map(|m| m.mountpoint.clone())
        });
        if let Some(dir) = mounted {
            let mut ctx = Context {
                host: host.clone(),
                state,
                faults: faults.clone(),
            };
            umount::run(&[dir], &mut ctx);
        }
    }
    if p.is_zfs() {
        export_pool(state, faults, p, &host);
    }
    let call = cluster.next_call();
    let rt = cluster.resources.entry(p.id.clone()).or_default();
    record(rt, op(node, "stop", 0, 0, call, now_us / 1_000_000, None));
    if rt.running_on.as_deref() == Some(node) {
        rt.running_on = None;
    }
    log::controld(
        state,
        &host,
        now_us,
        &format!("Result of stop operation for {} on {node}: ok", p.id),
    );
    stop_dependents(state, faults, view, cluster, p, Some(node), now_us);
}

/// `ocf:heartbeat:ZFS` start: `zpool import -f -o cachefile=none POOL`
/// unless it is imported here (`importforce` defaults to true).
fn import_pool(state: &mut ClusterState, faults: &Faults, p: &Primitive, host: &str) -> Result<(), (u32, String)> {
    let Some(pool) = p.params.get("pool") else {
        return Err((6, "pool must be set".to_string()));
    };
    if state.imported_pool(host, pool).is_some() {
        return Ok(());
    }
    let out = zpool(state, faults, host, &["import", "-f", "-o", "cachefile=none", pool]);
    if out.code == 0 {
        Ok(())
    } else {
        Err((
            1,
            out.stderr.lines().next().unwrap_or("zpool import failed").to_string(),
        ))
    }
}

/// `ocf:heartbeat:ZFS` stop: `zpool export -f POOL` if imported here.
fn export_pool(state: &mut ClusterState, faults: &Faults, p: &Primitive, host: &str) {
    if let Some(pool) = p
        .params
        .get("pool")
        .filter(|pool| state.imported_pool(host, pool).is_some())
    {
        zpool(state, faults, host, &["export", "-f", pool]);
    }
}

/// Runs `zpool ARGS` on `host`, as the agent does.
fn zpool(state: &mut ClusterState, faults: &Faults, host: &str, args: &[&str]) -> crate::commands::Output {
    let mut ctx = Context {
        host: host.to_string(),
        state,
        faults: faults.clone(),
    };
    let argv: Vec<String> = args.iter().map(|a| (*a).to_string()).collect();
    crate::commands::zpool::run(&argv, &mut ctx)
}

/// Stops what `host`'s node runs, for a clean shutdown of its pacemaker.
pub fn shutdown_node(state: &mut ClusterState, faults: &Faults, host: &str, now_us: u64) {
    let Some((view, me)) = super::local(state, faults, host) else {
        return;
    };
    let Some(mut cluster) = state.ha.clusters.remove(&view.name) else {
        return;
    };
    for p in cib::primitives(&cluster.config) {
        if cib::is_dependent(&cluster.config, &p.id) {
            continue;
        }
        if cluster.resources.get(&p.id).and_then(|r| r.running_on.as_deref()) == Some(me.as_str()) {
            stop(state, faults, &view, &mut cluster, &p, &me, now_us);
        }
    }
    state.ha.clusters.insert(view.name.clone(), cluster);
}

/// `host` went down (crashed or powered off): its HA stack and mounts are
/// gone; if its pacemaker ran, its peers lose it (unclean until fenced).
pub fn host_lost(state: &mut ClusterState, faults: &Faults, host: &str, now_us: u64) {
    let Some(ha) = state.ha.hosts.get(host).cloned() else {
        return;
    };
    if !(ha.corosync.active || ha.pacemaker.active) {
        return;
    }
    if let Some(conf) = ha.conf.as_ref().filter(|_| ha.pacemaker.active) {
        let node = super::node_name_in(state, conf, host);
        if let Some(cluster) = state.ha.clusters.get_mut(&conf.cluster_name) {
            cluster.lost.insert(node.clone());
            let stonith = cib::bool_property(&cluster.config, "stonith-enabled", true);
            let can = stonith && !devices_for(&cib::primitives(&cluster.config), &node).is_empty();
            let peer = view(state, faults, &conf.cluster_name).and_then(|v| {
                v.nodes
                    .iter()
                    .find(|n| n.online && n.name != node)
                    .and_then(|n| n.host.clone())
            });
            if let Some(peer) = peer {
                let what = if can || !stonith {
                    "will be fenced"
                } else {
                    "is unclean"
                };
                log::pacemaker(
                    state,
                    &peer,
                    "pacemaker-schedulerd",
                    WARNING,
                    now_us,
                    &format!("Cluster node {node} {what}: peer is no longer part of the cluster"),
                );
            }
        }
    }
    if let Some(h) = state.ha.hosts.get_mut(host) {
        h.corosync.active = false;
        h.pacemaker.active = false;
    }
    let serials: Vec<String> = state
        .mounts
        .iter()
        .filter(|m| m.host == host)
        .map(|m| m.serial.clone())
        .collect();
    for serial in serials {
        state.remove_mount(&serial, now_us / 1_000_000);
    }
}

/// `host` booted: enabled units start; its node, if it was lost, rejoins
/// clean (what it ran is gone with the reboot).
pub fn host_booted(state: &mut ClusterState, host: &str, now_us: u64) {
    let Some(ha) = state.ha.hosts.get(host).cloned() else {
        return;
    };
    if let Some(conf) = &ha.conf {
        let node = super::node_name_in(state, conf, host);
        if let Some(cluster) = state.ha.clusters.get_mut(&conf.cluster_name) {
            forget_node(cluster, &node);
        }
    }
    if ha.corosync.enabled || ha.pacemaker.enabled {
        let _ = crate::commands::systemctl::start_unit(state, host, "corosync", now_us);
    }
    if ha.pacemaker.enabled {
        let _ = crate::commands::systemctl::start_unit(state, host, "pacemaker", now_us);
    }
}

/// `fault HOST failover TARGET`: the resource holding target `svname`
/// fails where it runs (fail-count INFINITY there), so Pacemaker recovers
/// it elsewhere. Errors name why nothing happened.
pub fn fail_target(state: &mut ClusterState, faults: &Faults, svname: &str, now_us: u64) -> Result<String, String> {
    let (cluster_name, id) = resource_of_target(state, svname)?;
    let view = view(state, faults, &cluster_name).ok_or_else(|| format!("cluster {cluster_name} is not running"))?;
    let mut cluster = state.ha.clusters.remove(&cluster_name).unwrap_or_default();
    let p = cib::primitives(&cluster.config).into_iter().find(|p| p.id == id);
    let node = cluster.resources.get(&id).and_then(|r| r.running_on.clone());
    let result = match (p, node) {
        (Some(p), Some(node)) => {
            let host = view.node(&node).and_then(|n| n.host.clone()).unwrap_or_default();
            let call = cluster.next_call();
            let now = now_us / 1_000_000;
            let interval = p.monitor_ms.unwrap_or(0);
            let rt = cluster.resources.entry(id.clone()).or_default();
            record(
                rt,
                op(
                    &node,
                    "monitor",
                    interval,
                    1,
                    call,
                    now,
                    Some("injected failure".into()),
                ),
            );
            rt.fail_counts.insert(node.clone(), INFINITY);
            rt.last_failure.insert(node.clone(), now);
            log::controld(
                state,
                &host,
                now_us,
                &format!("Result of monitor operation for {id} on {node}: error"),
            );
            stop(state, faults, &view, &mut cluster, &p, &node, now_us);
            Ok(node)
        }
        _ => Err(format!("resource {id} (target {svname}) is not running")),
    };
    state.ha.clusters.insert(cluster_name, cluster);
    result
}

/// The cluster and primitive whose `target` parameter is the device of
/// Lustre target `svname`.
pub fn resource_of_target(state: &ClusterState, svname: &str) -> Result<(String, String), String> {
    let serial = state
        .devices
        .values()
        .find(|d| d.target.as_ref().is_some_and(|t| t.svname() == svname))
        .map(|d| d.serial.clone())
        .ok_or_else(|| format!("no device holds a target named {svname}"))?;
    for (name, cluster) in &state.ha.clusters {
        for p in cib::primitives(&cluster.config)
            .into_iter()
            .filter(Primitive::is_lustre)
        {
            let resolves = state
                .hosts
                .iter()
                .any(|h| serial_on(state, &p, &h.name).as_deref() == Some(serial.as_str()));
            if resolves {
                return Ok((name.clone(), p.id));
            }
        }
    }
    Err(format!(
        "no Pacemaker resource holds target {svname}: create an ocf:lustre:Lustre primitive whose target is its device"
    ))
}
