//! `crm_mon -1 --output-as=xml` and the legacy `crm_mon -1 --as-xml`,
//! generated from the CIB and what Pacemaker knows, in the structure
//! Pacemaker 2.1.5 prints (checked with the real `crm_mon` run on a CIB
//! file, and `lib/pengine/pe_output.c`, `lib/pacemaker/pcmk_output.c`,
//! `lib/fencing/st_output.c`): summary, nodes, resources, node history,
//! failures, fencing history and bans. `crm_mon --version` prints the
//! version; without a running Pacemaker it fails as the real one does.

use chrono::TimeZone as _;

use super::pacemaker::{access, not_found, Access};
use super::{Context, Output};
use crate::pacemaker::xml::escape;
use crate::pacemaker::{self, cib, rc_text, ClusterView, HaCluster, DC_VERSION, FEATURE_SET, INFINITY, VERSION};

/// ctime(3) without its newline, as `pcmk__epoch2str` prints times (the
/// simulated servers run in UTC).
pub fn ctime(secs: u64) -> String {
    chrono::Utc
        .timestamp_opt(i64::try_from(secs).unwrap_or(0), 0)
        .single()
        .map(|t| t.format("%a %b %e %H:%M:%S %Y").to_string())
        .unwrap_or_default()
}

/// `crm_time_as_string` with date, time and zone, in UTC.
pub fn iso(secs: u64) -> String {
    chrono::Utc
        .timestamp_opt(i64::try_from(secs).unwrap_or(0), 0)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Runs `crm_mon`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    if matches!(access(ctx), Access::NotInstalled) {
        return not_found("crm_mon");
    }
    if args.iter().any(|a| a == "--version" || a == "-$") {
        return Output::ok(format!(
            "Pacemaker {VERSION}\nWritten by Andrew Beekhof and the Pacemaker project contributors\n"
        ));
    }
    let legacy = args.iter().any(|a| a == "--as-xml" || a == "-X");
    let xml = legacy
        || args.windows(2).any(|w| w[0] == "--output-as" && w[1] == "xml")
        || args.iter().any(|a| a == "--output-as=xml");
    let request = std::iter::once("crm_mon".to_string())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let Access::Running(view, _) = access(ctx) else {
        return not_connected(legacy, xml, &request);
    };
    if !xml {
        return Output::fail("crm_mon: lustre-sim only prints XML (--as-xml or --output-as=xml)\n", 1);
    }
    let body = match ctx.state.ha.clusters.get(&view.name) {
        Some(cluster) => body(ctx, &view, cluster),
        None => String::new(),
    };
    Output::ok(if legacy {
        format!("<crm_mon version=\"{VERSION}\">\n{body}</crm_mon>\n")
    } else {
        format!(
            "<pacemaker-result api-version=\"2.25\" request=\"{}\">\n{body}  <status code=\"0\" message=\"OK\"/>\n\
             </pacemaker-result>\n",
            escape(&request)
        )
    })
}

/// What crm_mon prints when it cannot reach pacemakerd (exit 102).
fn not_connected(legacy: bool, xml: bool, request: &str) -> Output {
    let errors = "error: Could not connect to launcher: Connection refused\n\
                  crm_mon: Connection to cluster failed: Connection refused\n";
    if legacy {
        return Output {
            stdout: format!("<crm_mon version=\"{VERSION}\"/>\n"),
            stderr: format!("Not connected\n{errors}"),
            code: 102,
        };
    }
    if xml {
        let items: String = errors
            .lines()
            .map(|l| format!("      <error>{}</error>\n", escape(l)))
            .collect();
        return Output {
            stdout: format!(
                "<pacemaker-result api-version=\"2.25\" request=\"{}\">\n  <status code=\"102\" message=\"Not connected\">\n    \
                 <errors>\n{items}    </errors>\n  </status>\n</pacemaker-result>\n",
                escape(request)
            ),
            stderr: String::new(),
            code: 102,
        };
    }
    Output::fail(errors, 102)
}

fn body(ctx: &Context<'_>, view: &ClusterView, cluster: &HaCluster) -> String {
    let config = &cluster.config;
    let prims = cib::primitives(config);
    let mut out = String::from("  <summary>\n    <stack type=\"corosync\"/>\n");
    match cluster.dc.as_ref().and_then(|dc| view.node(dc)) {
        Some(dc) => out.push_str(&format!(
            "    <current_dc present=\"true\" version=\"{DC_VERSION}\" name=\"{}\" id=\"{}\" with_quorum=\"{}\" \
             mixed_version=\"false\"/>\n",
            escape(&dc.name),
            dc.id,
            view.quorate
        )),
        None => out.push_str("    <current_dc present=\"false\"/>\n"),
    }
    out.push_str(&format!(
        "    <last_update time=\"{}\"/>\n",
        ctime(super::pacemaker::now())
    ));
    match &cluster.last_change {
        Some(c) => out.push_str(&format!(
            "    <last_change time=\"{}\" user=\"root\" client=\"{}\" origin=\"{}\"/>\n",
            ctime(c.at),
            c.client,
            escape(&c.origin)
        )),
        None => out.push_str("    <last_change time=\"\" user=\"\" client=\"\" origin=\"\"/>\n"),
    }
    let disabled = prims.iter().filter(|p| p.held_stopped()).count();
    out.push_str(&format!(
        "    <nodes_configured number=\"{}\"/>\n    <resources_configured number=\"{}\" disabled=\"{disabled}\" \
         blocked=\"0\"/>\n",
        view.nodes.len(),
        prims.len()
    ));
    out.push_str(&format!(
        "    <cluster_options stonith-enabled=\"{}\" symmetric-cluster=\"{}\" no-quorum-policy=\"{}\" \
         maintenance-mode=\"{}\" stop-all-resources=\"{}\" stonith-timeout-ms=\"60000\" \
         priority-fencing-delay-ms=\"0\"/>\n  </summary>\n",
        cib::bool_property(config, "stonith-enabled", true),
        cib::bool_property(config, "symmetric-cluster", true),
        escape(&cib::property_or(config, "no-quorum-policy", "stop")),
        cib::bool_property(config, "maintenance-mode", false),
        cib::bool_property(config, "stop-all-resources", false),
    ));
    let running_on = |id: &str| cluster.resources.get(id).and_then(|r| r.running_on.clone());
    out.push_str("  <nodes>\n");
    for n in &view.nodes {
        let running = prims
            .iter()
            .filter(|p| running_on(&p.id).as_deref() == Some(n.name.as_str()))
            .count();
        let feature = if n.online {
            FEATURE_SET.to_string()
        } else {
            "&lt;3.15.1".to_string()
        };
        out.push_str(&format!(
            "    <node name=\"{}\" id=\"{}\" online=\"{}\" standby=\"false\" standby_onfail=\"false\" maintenance=\"false\" \
             pending=\"false\" unclean=\"{}\" health=\"green\" feature_set=\"{feature}\" shutdown=\"false\" \
             expected_up=\"{}\" is_dc=\"{}\" resources_running=\"{running}\" type=\"member\"/>\n",
            escape(&n.name),
            n.id,
            n.online,
            n.unclean,
            n.online || n.unclean,
            cluster.dc.as_deref() == Some(n.name.as_str()),
        ));
    }
    out.push_str("  </nodes>\n  <resources>\n");
    for p in &prims {
        let rt = cluster.resources.get(&p.id);
        let on = rt.and_then(|r| r.running_on.clone());
        let role = if on.is_some() { "Started" } else { "Stopped" };
        let target_role = p
            .meta
            .get("target-role")
            .map(|r| format!(" target_role=\"{}\"", escape(r)))
            .unwrap_or_default();
        out.push_str(&format!(
            "    <resource id=\"{}\" resource_agent=\"{}\" role=\"{role}\"{target_role} active=\"{}\" orphaned=\"false\" \
             blocked=\"false\" managed=\"true\" failed=\"{}\" failure_ignored=\"false\" nodes_running_on=\"{}\"",
            escape(&p.id),
            escape(&p.agent()),
            on.is_some(),
            rt.is_some_and(|r| r.recover),
            usize::from(on.is_some()),
        ));
        match on.and_then(|n| view.node(&n).cloned()) {
            Some(n) => out.push_str(&format!(
                ">\n      <node name=\"{}\" id=\"{}\" cached=\"true\"/>\n    </resource>\n",
                escape(&n.name),
                n.id
            )),
            None => out.push_str("/>\n"),
        }
    }
    out.push_str("  </resources>\n");
    out.push_str(&history(view, cluster, &prims));
    out.push_str(&failures(cluster, &prims));
    out.push_str(&fencing(cluster));
    out.push_str(&bans(config));
    let _ = ctx;
    out
}

fn history(view: &ClusterView, cluster: &HaCluster, prims: &[cib::Primitive]) -> String {
    let mut out = String::new();
    for n in &view.nodes {
        let mut node = String::new();
        for p in prims {
            let Some(rt) = cluster.resources.get(&p.id) else {
                continue;
            };
            let mut ops: Vec<&pacemaker::OpRecord> = rt.history.iter().filter(|o| o.node == n.name).collect();
            if ops.is_empty() {
                continue;
            }
            ops.sort_by_key(|o| o.call);
            let threshold = cib::migration_threshold(&cluster.config, p);
            let fails = match rt.fail_counts.get(&n.name) {
                Some(count) if *count > 0 => format!(
                    " fail-count=\"{count}\" last-failure=\"{}\"",
                    ctime(rt.last_failure.get(&n.name).copied().unwrap_or(0))
                ),
                _ => String::new(),
            };
            node.push_str(&format!(
                "      <resource_history id=\"{}\" orphan=\"false\" migration-threshold=\"{}\"{fails}>\n",
                escape(&p.id),
                threshold.min(INFINITY)
            ));
            for o in ops {
                let interval = if o.interval_ms > 0 {
                    format!(" interval=\"{}ms\"", o.interval_ms)
                } else {
                    String::new()
                };
                node.push_str(&format!(
                    "        <operation_history call=\"{}\" task=\"{}\" rc=\"{}\" rc_text=\"{}\"{interval} \
                     last-rc-change=\"{}\" exec-time=\"1ms\" queue-time=\"0ms\"/>\n",
                    o.call,
                    o.task,
                    o.rc,
                    rc_text(o.rc),
                    ctime(o.at)
                ));
            }
            node.push_str("      </resource_history>\n");
        }
        if !node.is_empty() {
            out.push_str(&format!("    <node name=\"{}\">\n{node}    </node>\n", escape(&n.name)));
        }
    }
    if out.is_empty() {
        out
    } else {
        format!("  <node_history>\n{out}  </node_history>\n")
    }
}

fn failures(cluster: &HaCluster, prims: &[cib::Primitive]) -> String {
    let mut out = String::new();
    for p in prims {
        let Some(rt) = cluster.resources.get(&p.id) else {
            continue;
        };
        for f in &rt.failures {
            out.push_str(&format!(
                "    <failure op_key=\"{}_{}_{}\" node=\"{}\" exitstatus=\"{}\" exitreason=\"{}\" exitcode=\"{}\" call=\"{}\" \
                 status=\"complete\" last-rc-change=\"{}\" queued=\"0\" exec=\"1\" interval=\"{}\" task=\"{}\"/>\n",
                escape(&p.id),
                f.task,
                f.interval_ms,
                escape(&f.node),
                rc_text(f.rc),
                escape(f.exit_reason.as_deref().unwrap_or("none")),
                f.rc,
                f.call,
                iso(f.at),
                f.interval_ms,
                f.task
            ));
        }
    }
    if out.is_empty() {
        out
    } else {
        format!("  <failures>\n{out}  </failures>\n")
    }
}

fn fencing(cluster: &HaCluster) -> String {
    if cluster.fence_history.is_empty() {
        return String::new();
    }
    let mut out = String::from("  <fence_history>\n");
    // Newest first, as stonith__sort_history orders them.
    for e in cluster.fence_history.iter().rev() {
        let status = if e.succeeded {
            "status=\"success\"".to_string()
        } else {
            format!(
                "status=\"failed\" exit-reason=\"{}\"",
                escape(e.exit_reason.as_deref().unwrap_or(""))
            )
        };
        out.push_str(&format!(
            "    <fence_event action=\"{}\" target=\"{}\" client=\"{}\" origin=\"{}\" {status} delegate=\"{}\" \
             completed=\"{}\"/>\n",
            e.action,
            escape(&e.target),
            escape(&e.client),
            escape(&e.origin),
            escape(&e.delegate),
            iso(e.completed)
        ));
    }
    out.push_str("  </fence_history>\n");
    out
}

fn bans(config: &crate::pacemaker::xml::Element) -> String {
    let bans: String = cib::locations(config)
        .into_iter()
        .filter(|l| l.score < 0)
        .map(|l| {
            format!(
                "    <ban id=\"{}\" resource=\"{}\" node=\"{}\" weight=\"{}\" promoted-only=\"false\" master_only=\"false\"/>\n",
                escape(&l.id),
                escape(&l.rsc),
                escape(&l.node),
                l.score
            )
        })
        .collect();
    if bans.is_empty() {
        bans
    } else {
        format!("  <bans>\n{bans}  </bans>\n")
    }
}
