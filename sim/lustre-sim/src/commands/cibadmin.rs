//! `cibadmin --query|--create|--delete`: reads and changes the cluster's
//! CIB, with Pacemaker 2.1.5's outputs and exit codes (checked by running
//! the real `cibadmin` on a CIB file): a duplicate id of the same kind is
//! refused with `<failed>` on stdout and `Call failed: File exists`
//! (108); an id used by another element breaks the schema (78); a query
//! or XPath matching nothing is `No such device or address` (105);
//! deleting what is not there succeeds.

use super::pacemaker::{access, not_found, value, Access};
use super::{Context, Output};
use crate::pacemaker::xml::Element;
use crate::pacemaker::{ClusterView, HaCluster, FEATURE_SET};

const SCHEMA: &str = "Call failed: Update does not conform to the configured schema\n";
const NXIO: &str = "Call failed: No such device or address\n";

/// The whole CIB: `<cib>` with the configuration and a status section.
pub fn full_cib(view: &ClusterView, cluster: &HaCluster) -> Element {
    let mut cib = Element::new("cib")
        .with("crm_feature_set", FEATURE_SET)
        .with("validate-with", "pacemaker-3.9")
        .with("epoch", &cluster.epoch.to_string())
        .with("num_updates", "0")
        .with("admin_epoch", "0");
    if let Some(c) = &cluster.last_change {
        cib.set("cib-last-written", &super::crm_mon::ctime(c.at));
        cib.set("update-origin", &c.origin);
        cib.set("update-client", &c.client);
        cib.set("update-user", "root");
    }
    cib.set("have-quorum", if view.quorate { "1" } else { "0" });
    if let Some(dc) = cluster.dc.as_ref().and_then(|d| view.node(d)) {
        cib.set("dc-uuid", &dc.id.to_string());
    }
    cib.children.push(cluster.config.clone());
    let mut status = Element::new("status");
    for n in view.nodes.iter().filter(|n| n.member || n.unclean) {
        status.children.push(
            Element::new("node_state")
                .with("id", &n.id.to_string())
                .with("uname", &n.name)
                .with("in_ccm", if n.member { "true" } else { "false" })
                .with("crmd", if n.online { "online" } else { "offline" })
                .with("crm-debug-origin", "do_state_transition")
                .with("join", if n.online { "member" } else { "down" })
                .with("expected", if n.online { "member" } else { "down" }),
        );
    }
    cib.children.push(status);
    cib
}

/// Runs `cibadmin`.
pub fn run(args: &[String], ctx: &mut Context<'_>, stdin: Option<&str>) -> Output {
    let (view, me) = match access(ctx) {
        Access::NotInstalled => return not_found("cibadmin"),
        Access::NotRunning => {
            return Output::fail(
                "Could not connect to the CIB: Transport endpoint is not connected\n\
                 Init failed, could not perform requested operations\n",
                102,
            )
        }
        Access::Running(view, me) => (view, me),
    };
    let has = |l: &str, s: &str| super::pacemaker::has(args, l, s);
    let scope = value(args, "--scope", "-o").or_else(|| value(args, "--obj_type", ""));
    // `--xml-pipe` reads the XML from stdin (how secrets such as a fencing
    // device's password stay off the command line).
    let xml_text = value(args, "--xml-text", "-X").or_else(|| {
        args.iter()
            .any(|a| a == "--xml-pipe")
            .then(|| stdin.unwrap_or_default().to_owned())
    });
    let xpath = value(args, "--xpath", "-A");
    let Some(cluster) = ctx.state.ha.clusters.get(&view.name).cloned() else {
        return Output::fail(NXIO, 105);
    };
    if has("--query", "-Q") {
        return query(&view, &cluster, scope.as_deref(), xpath.as_deref());
    }
    let now = super::pacemaker::now();
    if has("--create", "-C") {
        let Some(text) = xml_text else {
            return Output::fail("lustre-sim: cibadmin --create needs --xml-text or --xml-pipe\n", 64);
        };
        let out = create(&cluster, scope.as_deref(), &text);
        if let Ok(updated) = out {
            save(ctx, &view, updated, &me, now);
            return Output::ok("");
        }
        return out.err().unwrap_or_default();
    }
    if has("--delete", "-D") {
        let mut updated = cluster.clone();
        let removed = match (xml_text, xpath) {
            (Some(text), _) => {
                let Some(like) = Element::parse(&text) else {
                    return Output::fail("Couldn't parse input from input string.\n", 78);
                };
                match scope.as_deref().and_then(|s| section_mut(&mut updated.config, s)) {
                    Some(section) => section.remove_matching(&like),
                    None => updated.config.remove_matching(&like),
                }
            }
            (None, Some(expr)) => {
                let Some(found) = updated.config.xpath(&expr) else {
                    return Output::fail(format!("lustre-sim: XPath {expr} is not simulated\n"), 64);
                };
                let targets: Vec<Element> = found.into_iter().cloned().collect();
                if targets.is_empty() {
                    return Output::fail(NXIO, 105);
                }
                targets.iter().map(|t| updated.config.remove_matching(t)).sum()
            }
            (None, None) => return Output::fail("lustre-sim: cibadmin --delete needs --xml-text or --xpath\n", 64),
        };
        // A constraint naming a resource that is gone fails the schema's
        // IDREF check: Pacemaker refuses the whole update.
        if dangling(&updated.config) {
            return Output::fail(
                "Call cib_delete failed: Update does not conform to the configured schema\n",
                78,
            );
        }
        if removed > 0 {
            save(ctx, &view, updated, &me, now);
        }
        return Output::ok("");
    }
    Output::fail("lustre-sim: cibadmin supports --query, --create and --delete\n", 64)
}

fn save(ctx: &mut Context<'_>, view: &ClusterView, mut cluster: HaCluster, me: &str, now: u64) {
    cluster.changed("cibadmin", me, now);
    ctx.state.ha.clusters.insert(view.name.clone(), cluster);
}

/// The configuration section named `scope`.
fn section_mut<'a>(config: &'a mut Element, scope: &str) -> Option<&'a mut Element> {
    if scope == "configuration" {
        return Some(config);
    }
    config.child_mut(scope)
}

fn query(view: &ClusterView, cluster: &HaCluster, scope: Option<&str>, xpath: Option<&str>) -> Output {
    let cib = full_cib(view, cluster);
    if let Some(expr) = xpath {
        let Some(found) = cib.xpath(expr) else {
            return Output::fail(
                format!("lustre-sim: XPath {expr} is not simulated (use //TAG or //TAG[@ATTR='V'])\n"),
                64,
            );
        };
        return match found.as_slice() {
            [] => Output::fail(NXIO, 105),
            [one] => Output::ok(one.render(0)),
            many => {
                let mut wrapper = Element::new("xpath-query");
                wrapper.children = many.iter().map(|e| (*e).clone()).collect();
                Output::ok(wrapper.render(0))
            }
        };
    }
    let found = match scope {
        None => Some(&cib),
        Some("configuration") => cib.child("configuration"),
        Some("status") => cib.child("status"),
        Some(s) => match cib.child("configuration").and_then(|c| c.child(s)) {
            Some(section) => Some(section),
            None if is_section(s) => None,
            // An unknown scope: the whole CIB, as the real tool answers.
            None => Some(&cib),
        },
    };
    match found {
        Some(e) => Output::ok(e.render(0)),
        None => Output::fail(NXIO, 105),
    }
}

fn is_section(scope: &str) -> bool {
    matches!(
        scope,
        "crm_config"
            | "nodes"
            | "resources"
            | "constraints"
            | "rsc_defaults"
            | "op_defaults"
            | "acls"
            | "fencing-topology"
            | "tags"
            | "alerts"
    )
}

/// Which elements a section takes.
fn allowed(scope: &str, tag: &str) -> bool {
    match scope {
        "resources" => matches!(tag, "primitive" | "group" | "clone" | "bundle" | "template"),
        "constraints" => matches!(tag, "rsc_location" | "rsc_colocation" | "rsc_order" | "rsc_ticket"),
        "crm_config" => tag == "cluster_property_set",
        "nodes" => tag == "node",
        "rsc_defaults" | "op_defaults" => tag == "meta_attributes",
        _ => false,
    }
}

/// The schema's rules for the elements Chroma creates.
fn valid(e: &Element) -> bool {
    let ok = match e.name.as_str() {
        "primitive" => {
            e.id().is_some()
                && e.attr("type").is_some()
                && match e.attr("class") {
                    Some("ocf") => e.attr("provider").is_some(),
                    Some("stonith") => e.attr("provider").is_none(),
                    Some(_) => true,
                    None => false,
                }
        }
        "rsc_location" => {
            e.id().is_some()
                && e.attr("rsc").is_some()
                && ((e.attr("node").is_some()
                    && e.attr("score")
                        .is_some_and(|s| crate::pacemaker::parse_score(s).is_some()))
                    || e.child("rule").is_some())
        }
        "instance_attributes" | "meta_attributes" | "operations" | "cluster_property_set" => {
            e.name == "operations" || e.id().is_some()
        }
        "nvpair" => e.id().is_some() && e.attr("name").is_some(),
        "op" => e.id().is_some() && e.attr("name").is_some() && e.attr("interval").is_some(),
        _ => true,
    };
    ok && e.children.iter().all(valid)
}

fn create(cluster: &HaCluster, scope: Option<&str>, text: &str) -> Result<HaCluster, Output> {
    let Some(new) = Element::parse(text) else {
        return Err(Output::fail("Couldn't parse input from input string.\n", 78));
    };
    let Some(scope) = scope.filter(|s| is_section(s)) else {
        return Err(Output::fail(NXIO, 105));
    };
    let mut updated = cluster.clone();
    let existing = updated.config.child(scope).cloned();
    if let (Some(section), Some(id)) = (&existing, new.id()) {
        if section
            .children
            .iter()
            .any(|c| c.name == new.name && c.id() == Some(id))
        {
            let failed = format!(
                "<failed>\n  <failed_update id=\"{id}\" object_type=\"{}\" operation=\"cib_create\" reason=\"File exists\">\n{}  \
                 </failed_update>\n</failed>\n",
                new.name,
                new.render(2)
            );
            return Err(Output {
                stdout: failed,
                stderr: "Call failed: File exists\n".into(),
                code: 108,
            });
        }
    }
    let new_ids: Vec<&str> = new.descendants().iter().filter_map(|e| e.id()).collect();
    let unique = new_ids.iter().enumerate().all(|(i, id)| !new_ids[..i].contains(id));
    let clash = new_ids.iter().any(|id| updated.config.has_id(id));
    if !allowed(scope, &new.name) || !valid(&new) || !unique || clash {
        return Err(Output::fail(SCHEMA, 78));
    }
    updated.config.child_or_insert(scope).children.push(new);
    if dangling(&updated.config) {
        return Err(Output::fail(SCHEMA, 78));
    }
    Ok(updated)
}

/// Whether a constraint names a resource the configuration lacks (the
/// schema types `rsc`, `with-rsc`, `first` and `then` as IDREFs).
fn dangling(config: &Element) -> bool {
    let Some(constraints) = config.child("constraints") else {
        return false;
    };
    let resources: Vec<&str> = config
        .child("resources")
        .map(|r| r.descendants().iter().filter_map(|e| e.id()).collect())
        .unwrap_or_default();
    constraints.children.iter().any(|c| {
        ["rsc", "with-rsc", "first", "then"]
            .iter()
            .filter_map(|a| c.attr(a))
            .any(|r| !resources.contains(&r))
    })
}
