//! `crm_attribute --type crm_config|rsc_defaults|op_defaults --name NAME
//! [--update VALUE | --query | --delete] [--quiet]`, as Pacemaker 2.1.5
//! answers (checked with the real tool on a CIB file): `--query` prints
//! `scope=crm_config  name=NAME value=VALUE` and fails with 105 when the
//! property is not set (defaults are not reported); `--update` prints
//! nothing; `--delete` prints `Deleted crm_config option: id=… name=…`
//! and succeeds silently when there was nothing to delete.

use super::pacemaker::{access, has, not_found, value, Access};
use super::{Context, Output};
use crate::pacemaker::cib;

/// Runs `crm_attribute`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let (view, me) = match access(ctx) {
        Access::NotInstalled => return not_found("crm_attribute"),
        Access::NotRunning => {
            return Output::fail(
                "crm_attribute: Could not connect to the CIB: Transport endpoint is not connected\n",
                102,
            )
        }
        Access::Running(view, me) => (view, me),
    };
    let kind = value(args, "--type", "-t").unwrap_or_else(|| "crm_config".into());
    let (set_tag, set_id, noun) = match kind.as_str() {
        "crm_config" => ("cluster_property_set", "cib-bootstrap-options", "option"),
        "rsc_defaults" => ("meta_attributes", "rsc_defaults-options", "attribute"),
        "op_defaults" => ("meta_attributes", "op_defaults-options", "attribute"),
        "nodes" | "status" | "tickets" | "forever" | "reboot" => {
            return Output::fail(
                format!("lustre-sim: crm_attribute --type {kind} is not simulated\n"),
                64,
            )
        }
        _ => {
            return Output::fail(
                "crm_attribute: Error performing operation: No message of desired type\n",
                76,
            )
        }
    };
    let Some(name) = value(args, "--name", "-n") else {
        return Output::fail("crm_attribute: Error performing operation: Invalid argument\n", 70);
    };
    let Some(cluster) = ctx.state.ha.clusters.get_mut(&view.name) else {
        return Output::fail(
            "crm_attribute: Error performing operation: No such device or address\n",
            105,
        );
    };
    if let Some(v) = value(args, "--update", "-v").or_else(|| value(args, "--attr-value", "")) {
        cib::set_nvpair(cluster.config.child_or_insert(&kind), set_tag, set_id, &name, &v);
        cluster.changed("crm_attribute", &me, super::pacemaker::now());
        return Output::ok("");
    }
    if has(args, "--update", "-v") {
        return Output::fail("crm_attribute: Missing argument for --update\n", 64);
    }
    if has(args, "--delete", "-D") {
        let removed = cluster
            .config
            .child_mut(&kind)
            .and_then(|section| cib::delete_nvpair(section, set_tag, &name));
        return match removed {
            Some(id) => {
                cluster.changed("crm_attribute", &me, super::pacemaker::now());
                Output::ok(format!("Deleted {kind} {noun}: id={id} name={name}\n"))
            }
            None => Output::ok(""),
        };
    }
    let found = cluster
        .config
        .child(&kind)
        .and_then(|s| cib::get_nvpair(s, set_tag, &name));
    match found {
        Some(v) if has(args, "--quiet", "-q") => Output::ok(format!("{v}\n")),
        Some(v) => Output::ok(format!("scope={kind}  name={name} value={v}\n")),
        None => Output::fail(
            "crm_attribute: Error performing operation: No such device or address\n",
            105,
        ),
    }
}

/// Does `crm_attribute ARGS` only read?
pub fn is_read_only(args: &[String]) -> bool {
    !(has(args, "--update", "-v") || has(args, "--delete", "-D") || args.iter().any(|a| a.starts_with("--update=")))
}
