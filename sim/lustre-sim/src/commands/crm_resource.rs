//! `crm_resource`: locate, move, ban, clear, clean up, delete resources
//! and read or change their parameters, with Pacemaker 2.1.5's outputs
//! (checked by running the real tool on a CIB file, and
//! `tools/crm_resource.c`, `crm_resource_runtime.c`, `crm_resource_ban.c`
//! for what needs the controller: `--cleanup`).

use super::pacemaker::{access, has, not_found, value, Access};
use super::{Context, Output};
use crate::pacemaker::xml::Element;
use crate::pacemaker::{cib, ClusterView, HaCluster};

fn no_such(id: &str) -> Output {
    Output::fail(
        format!("crm_resource: Resource '{id}' not found\nError performing operation: No such object\n"),
        105,
    )
}

/// The resource agents a simulated server with Pacemaker has: the
/// project's Lustre agent and, from resource-agents, the ZFS one.
const AGENTS: [&str; 2] = ["ocf:lustre:Lustre", "ocf:heartbeat:ZFS"];

/// `crm_resource --show-metadata AGENT`: runs the agent's `meta-data`
/// action, no cluster needed (checked with Pacemaker 2.1.5: exit 105 and
/// these two lines for an agent that is not installed).
fn metadata(agent: &str) -> Output {
    match AGENTS.iter().find(|a| **a == agent) {
        Some(a) => {
            let name = a.rsplit(':').next().unwrap_or(a);
            Output::ok(format!(
                "<?xml version=\"1.0\"?>\n<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n\
                 <resource-agent name=\"{name}\" version=\"1.0\">\n<version>1.0</version>\n</resource-agent>\n"
            ))
        }
        None => Output::fail(
            format!(
                "crm_resource: Metadata query for {agent} failed: No such device or address\n\
                 Error performing operation: No such object\n"
            ),
            105,
        ),
    }
}

/// Runs `crm_resource`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    if let Access::NotInstalled = access(ctx) {
        return not_found("crm_resource");
    }
    if let Some(agent) = value(args, "--show-metadata", "") {
        return metadata(&agent);
    }
    let (view, me) = match access(ctx) {
        Access::NotInstalled => return not_found("crm_resource"),
        Access::NotRunning => {
            return Output::fail(
                "crm_resource: Could not connect to the CIB: Transport endpoint is not connected\n\
                 Error performing operation: Not connected\n",
                102,
            )
        }
        Access::Running(view, me) => (view, me),
    };
    let Some(mut cluster) = ctx.state.ha.clusters.get(&view.name).cloned() else {
        return Output::fail("crm_resource: Error performing operation: Not connected\n", 102);
    };
    let flag = |l: &str, s: &str| has(args, l, s);
    let rsc = value(args, "--resource", "-r");
    let node = value(args, "--node", "-N");
    if let Some(n) = &node {
        if view.node(n).is_none() {
            return Output::fail(
                format!("crm_resource: Node '{n}' not found\nError performing operation: No such object\n"),
                105,
            );
        }
    }
    if flag("--cleanup", "-C") && rsc.is_none() {
        return cleanup_all(&mut cluster, ctx, &view, node.as_deref());
    }
    let Some(id) = rsc else {
        return Output::fail("crm_resource: Must supply a resource id with -r\n", 64);
    };
    let prims = cib::primitives(&cluster.config);
    let Some(p) = prims.iter().find(|p| p.id == id).cloned() else {
        return no_such(&id);
    };
    let running = cluster.resources.get(&id).and_then(|r| r.running_on.clone());
    let now = super::pacemaker::now();
    let out = if flag("--locate", "-W") {
        return match running {
            Some(n) if flag("--quiet", "-Q") => Output::ok(format!("{n}\n")),
            Some(n) => Output::ok(format!("resource {id} is running on: {n}\n")),
            None => Output {
                stdout: String::new(),
                stderr: format!("resource {id} is NOT running\n"),
                code: 0,
            },
        };
    } else if let Some(name) = value(args, "--get-parameter", "-g") {
        let tag = if flag("--meta", "-m") {
            "meta_attributes"
        } else {
            "instance_attributes"
        };
        let found = cib::primitive_mut(&mut cluster.config, &id).and_then(|e| cib::get_nvpair(e, tag, &name));
        return match found {
            Some(v) => Output::ok(format!("{v}\n")),
            None => Output {
                stdout: String::new(),
                stderr: format!("Attribute '{name}' not found for '{id}'\n"),
                code: 0,
            },
        };
    } else if let Some(name) = value(args, "--set-parameter", "-p") {
        let Some(v) = value(args, "--parameter-value", "-v") else {
            return Output::fail("crm_resource: You need to supply a value with the -v option\n", 64);
        };
        let (tag, suffix) = if flag("--meta", "-m") {
            ("meta_attributes", "meta_attributes")
        } else {
            ("instance_attributes", "instance_attributes")
        };
        let Some(e) = cib::primitive_mut(&mut cluster.config, &id) else {
            return no_such(&id);
        };
        let (pair, created) = cib::set_nvpair(e, tag, &format!("{id}-{suffix}"), &name, &v);
        let set = created.map(|s| format!(" set={s}")).unwrap_or_default();
        Output::ok(format!("Set '{id}' option: id={pair}{set} name={name} value={v}\n"))
    } else if let Some(name) = value(args, "--delete-parameter", "-d") {
        let tag = if flag("--meta", "-m") {
            "meta_attributes"
        } else {
            "instance_attributes"
        };
        let Some(e) = cib::primitive_mut(&mut cluster.config, &id) else {
            return no_such(&id);
        };
        match cib::delete_nvpair(e, tag, &name) {
            Some(pair) => Output::ok(format!("Deleted '{id}' option: id={pair} name={name}\n")),
            None => return Output::ok(""),
        }
    } else if flag("--move", "-M") || flag("--ban", "-B") {
        let ban = flag("--ban", "-B") || node.is_none();
        match (ban, node.as_deref(), running.as_deref()) {
            (false, Some(to), Some(on)) if to == on => {
                return Output::fail(
                    "crm_resource: Error performing operation: Requested item already exists\n",
                    108,
                )
            }
            (false, Some(to), _) => {
                remove_constraints(&mut cluster.config, |c| {
                    c == format!("cli-prefer-{id}") || c == format!("cli-ban-{id}-on-{to}")
                });
                add_location(&mut cluster.config, &format!("cli-prefer-{id}"), &id, to, "INFINITY");
                Output::ok("")
            }
            (_, target, _) => {
                let Some(on) = target.map(str::to_string).or(running.clone()) else {
                    return Output::fail(
                        format!(
                            "crm_resource: Resource '{id}' not moved: active in 0 locations.\n\
                             To prevent '{id}' from running on a specific location, specify a node.\n"
                        ),
                        64,
                    );
                };
                let ban_id = format!("cli-ban-{id}-on-{on}");
                remove_constraints(&mut cluster.config, |c| c == ban_id);
                add_location(&mut cluster.config, &ban_id, &id, &on, "-INFINITY");
                Output::ok(format!(
                    "WARNING: Creating rsc_location constraint '{ban_id}' with a score of -INFINITY for resource {id} on \
                     {on}.\n\tThis will prevent {id} from running on {on} until the constraint is removed using the clear \
                     option or by editing the CIB with an appropriate tool\n\tThis will be the case even if {on} is the \
                     last node in the cluster\n"
                ))
            }
        }
    } else if flag("--clear", "-U") || flag("--un-move", "") {
        let removed = remove_constraints(&mut cluster.config, |c| {
            c == format!("cli-prefer-{id}")
                || match &node {
                    Some(n) => c == format!("cli-ban-{id}-on-{n}"),
                    None => c.starts_with(&format!("cli-ban-{id}-on-")),
                }
        });
        if removed.is_empty() {
            return Output::ok("");
        }
        Output::ok(
            removed
                .iter()
                .map(|c| format!("Removing constraint: {c}\n"))
                .collect::<String>(),
        )
    } else if flag("--cleanup", "-C") {
        return cleanup(&mut cluster, ctx, &view, &p, node.as_deref());
    } else if flag("--delete", "-D") {
        if value(args, "--resource-type", "-t").is_none() {
            return Output::fail("crm_resource: You need to specify a resource type with -t\n", 105);
        }
        let like = Element::new("primitive").with("id", &id);
        cluster.config.child_mut("resources").map(|r| r.remove_matching(&like));
        Output::ok("")
    } else {
        return Output::fail(
            "crm_resource: lustre-sim does not simulate this crm_resource command\n",
            64,
        );
    };
    cluster.changed("crm_resource", &me, now);
    ctx.state.ha.clusters.insert(view.name.clone(), cluster);
    out
}

fn add_location(config: &mut Element, cid: &str, rsc: &str, node: &str, score: &str) {
    config.child_or_insert("constraints").children.push(
        Element::new("rsc_location")
            .with("id", cid)
            .with("rsc", rsc)
            .with("role", "Started")
            .with("node", node)
            .with("score", score),
    );
}

/// Removes the location constraints whose id passes `pick`; their ids.
fn remove_constraints(config: &mut Element, pick: impl Fn(&str) -> bool) -> Vec<String> {
    let Some(constraints) = config.child_mut("constraints") else {
        return Vec::new();
    };
    let removed: Vec<String> = constraints
        .children
        .iter()
        .filter(|c| c.name == "rsc_location" && c.id().is_some_and(&pick))
        .filter_map(|c| c.id().map(str::to_string))
        .collect();
    constraints
        .children
        .retain(|c| !(c.name == "rsc_location" && c.id().is_some_and(&pick)));
    removed
}

/// "Waiting for N replies from the controller" and the replies.
fn waiting(requests: usize) -> String {
    if requests == 0 {
        return String::new();
    }
    let mut out = format!(
        "Waiting for {requests} {} from the controller\n",
        if requests == 1 { "reply" } else { "replies" }
    );
    for _ in 1..requests {
        out.push_str("... got reply\n");
    }
    out.push_str("... got reply (done)\n");
    out
}

/// Clears the fail-counts and failed operations of `p` on `nodes`;
/// how many nodes had any.
fn clear_failures(cluster: &mut HaCluster, id: &str, nodes: &[String]) -> usize {
    let Some(rt) = cluster.resources.get_mut(id) else {
        return 0;
    };
    let mut requests = 0;
    for n in nodes {
        let had = rt.failures.iter().any(|f| &f.node == n) || rt.fail_counts.get(n).is_some_and(|c| *c > 0);
        if had {
            requests += 1;
        }
        rt.failures.retain(|f| &f.node != n);
        rt.history.retain(|o| !(&o.node == n && o.rc != 0));
        rt.fail_counts.remove(n);
        rt.last_failure.remove(n);
    }
    requests
}

fn cleanup(
    cluster: &mut HaCluster,
    ctx: &mut Context<'_>,
    view: &ClusterView,
    p: &cib::Primitive,
    node: Option<&str>,
) -> Output {
    let nodes: Vec<String> = match node {
        Some(n) => vec![n.to_string()],
        None => {
            let rt = cluster.resources.get(&p.id);
            let known: Vec<String> = view
                .nodes
                .iter()
                .filter(|n| n.online)
                .filter(|n| {
                    rt.is_some_and(|r| {
                        r.history.iter().any(|o| o.node == n.name) || r.fail_counts.contains_key(&n.name)
                    })
                })
                .map(|n| n.name.clone())
                .collect();
            if known.is_empty() {
                view.online()
            } else {
                known
            }
        }
    };
    let mut out: String = nodes.iter().map(|n| format!("Cleaned up {} on {n}\n", p.id)).collect();
    let requests = clear_failures(cluster, &p.id, &nodes);
    if p.held_stopped() {
        out.push_str(&format!(
            "Resource Checks:\n  * Configuration specifies '{}' should remain stopped\n",
            p.id
        ));
    }
    out.push_str(&waiting(requests));
    ctx.state.ha.clusters.insert(view.name.clone(), cluster.clone());
    Output::ok(out)
}

fn cleanup_all(cluster: &mut HaCluster, ctx: &mut Context<'_>, view: &ClusterView, node: Option<&str>) -> Output {
    let nodes: Vec<String> = match node {
        Some(n) => vec![n.to_string()],
        None => view.nodes.iter().map(|n| n.name.clone()).collect(),
    };
    let ids: Vec<String> = cluster.resources.keys().cloned().collect();
    let requests: usize = ids.iter().map(|id| clear_failures(cluster, id, &nodes)).sum();
    ctx.state.ha.clusters.insert(view.name.clone(), cluster.clone());
    let mut out = format!("Cleaned up all resources on {}\n", node.unwrap_or("all nodes"));
    out.push_str(&waiting(requests.min(1)));
    Output::ok(out)
}

/// Does `crm_resource ARGS` only read?
pub fn is_read_only(args: &[String]) -> bool {
    let reads = ["--locate", "-W", "--get-parameter", "-g", "--show-metadata"];
    args.iter()
        .any(|a| reads.contains(&a.as_str()) || a.starts_with("--get-parameter="))
        && !args.iter().any(|a| {
            matches!(
                a.as_str(),
                "--move"
                    | "-M"
                    | "--ban"
                    | "-B"
                    | "--clear"
                    | "-U"
                    | "--cleanup"
                    | "-C"
                    | "--delete"
                    | "-D"
                    | "--set-parameter"
                    | "-p"
                    | "--delete-parameter"
                    | "-d"
            )
        })
}
