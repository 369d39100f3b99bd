//! `chroma host add|list|show|remove|lnet|networks`.

use api_types::hosts::{Check, CheckStatus, HostView, Preflight};
use api_types::pages::Page;
use chrono::{DateTime, Utc};
use clap::{Subcommand, ValueEnum};
use serde_json::{json, Value};

use super::Ctx;
use crate::client::{parse, started_command};
use crate::error::Result;
use crate::{output, progress, resolve};

/// What to do with servers.
#[derive(Debug, Subcommand)]
pub enum HostCommand {
    /// Add a server: connect over SSH, pin its host key, detect its devices.
    Add {
        /// Its host name or IP address.
        address: String,
        /// Its SSH port.
        #[arg(long)]
        port: Option<u16>,
        /// The SSH host key to expect (`SHA256:…`); refused if it shows another.
        #[arg(long)]
        fingerprint: Option<String>,
        /// For a server added before whose host key changed (it was
        /// reinstalled): pin whatever key it shows now instead of refusing.
        /// Prefer `--fingerprint` with the new key, checked on the server.
        #[arg(long, conflicts_with = "fingerprint")]
        replace_key: bool,
    },
    /// List servers.
    List {
        /// Only hosts in this state (unconfigured, managed, removed).
        #[arg(long)]
        state: Option<String>,
    },
    /// Show a server.
    Show {
        /// Id, node name or address.
        host: String,
    },
    /// Probe a server again: its software, devices and pre-flight checks
    /// (after installing what a failed check asked for).
    Probe {
        /// Id, node name or address.
        host: String,
    },
    /// Stop managing a server (refused while it serves targets).
    Remove {
        /// Id, node name or address.
        host: String,
    },
    /// Choose which interfaces form which LNet networks on a server, e.g.
    /// `chroma host networks oss1 tcp=eth1 o2ib=ib0,ib1` (nothing may be
    /// mounted there; file systems using it need `chroma filesystem
    /// writeconf` afterwards to use its new NIDs).
    Networks {
        /// Id, node name or address.
        host: String,
        /// NET=INTERFACE[,INTERFACE…], one per network.
        #[arg(required = true, value_parser = parse_network, value_name = "NET=IFACES")]
        networks: Vec<(String, Vec<String>)>,
    },
    /// Start or stop LNet on a server.
    Lnet {
        /// Id, node name or address.
        host: String,
        /// up or down.
        #[arg(value_enum)]
        state: LnetWanted,
    },
}

/// The LNet state asked for.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LnetWanted {
    Up,
    Down,
}

/// Runs a host subcommand.
pub async fn run(ctx: &Ctx, command: &HostCommand) -> Result<()> {
    match command {
        HostCommand::Add {
            address,
            port,
            fingerprint,
            replace_key,
        } => add(ctx, address, *port, fingerprint.as_deref(), *replace_key).await,
        HostCommand::List { state } => {
            let query: Vec<(&str, String)> = state.iter().map(|s| ("state", s.clone())).collect();
            let response = ctx.client.get_query("/api/host", &query).await?;
            ctx.show(&response, || {
                let page: Page<HostView> = parse(response.clone())?;
                output::print(table(&page.objects));
                Ok(())
            })
        }
        HostCommand::Show { host } => {
            let id = resolve::host_id(&ctx.client, host).await?;
            let response = ctx.client.get(&format!("/api/host/{id}")).await?;
            ctx.show(&response, || {
                println!("{}", details(&parse(response.clone())?));
                Ok(())
            })
        }
        HostCommand::Probe { host } => {
            let id = resolve::host_id(&ctx.client, host).await?;
            probe(ctx, &id).await
        }
        HostCommand::Remove { host } => {
            let id = resolve::host_id(&ctx.client, host).await?;
            let done = format!("Removed host {host}.");
            ctx.change(&format!("/api/host/{id}"), json!({"state": "removed"}), &done)
                .await
        }
        HostCommand::Networks { host, networks } => {
            let id = resolve::host_id(&ctx.client, host).await?;
            let networks: Vec<Value> = networks
                .iter()
                .map(|(net, interfaces)| json!({ "net": net, "interfaces": interfaces }))
                .collect();
            let body = json!({ "networks": networks, "confirm": ctx.yes });
            let path = format!("/api/host/{id}/lnet");
            let response = ctx.client.put_planned(&path, &body, ctx.dry_run).await?;
            let done = format!("LNet on {host} runs the networks asked for.");
            ctx.follow(response, &done).await.map(|_| ())
        }
        HostCommand::Lnet { host, state } => {
            let id = resolve::host_id(&ctx.client, host).await?;
            let (wanted, done) = match state {
                LnetWanted::Up => ("lnet_up", format!("LNet is up on {host}.")),
                LnetWanted::Down => ("lnet_down", format!("LNet is down on {host}.")),
            };
            ctx.change(&format!("/api/host/{id}"), json!({"lnet_state": wanted}), &done)
                .await
        }
    }
}

/// Adds a server; a server added before that shows another host key is
/// refused (the API's `host_key_changed` says both keys and these flags)
/// unless `fingerprint` names the new key or `replace_key` is set.
async fn add(ctx: &Ctx, address: &str, port: Option<u16>, fingerprint: Option<&str>, replace_key: bool) -> Result<()> {
    let mut body = json!({ "address": address });
    if let Some(port) = port {
        body["port"] = json!(port);
    }
    if let Some(fingerprint) = fingerprint {
        body["fingerprint"] = json!(fingerprint);
    }
    if replace_key {
        body["replace_key"] = json!(true);
    }
    let response = ctx.client.post("/api/host", &body).await?;
    if ctx.json {
        output::json(&response);
    }
    let host_id = response
        .pointer("/host/id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    match started_command(&response) {
        Some(command) => follow(ctx, &host_id, &command, &format!("Adding host {address} ({host_id})")).await,
        None => Ok(()),
    }
}

/// Probes host `id` again and, waiting, shows it with its pre-flight checks.
async fn probe(ctx: &Ctx, id: &str) -> Result<()> {
    let response = ctx.client.post(&format!("/api/host/{id}/probe"), &json!({})).await?;
    if ctx.json {
        output::json(&response);
    }
    match started_command(&response) {
        Some(command) => follow(ctx, id, &command, &format!("Probing host {id}")).await,
        None => Ok(()),
    }
}

/// Waits for `command` (which probes host `id`) unless told not to, then
/// shows the host; `doing` says what runs when not waiting.
async fn follow(ctx: &Ctx, id: &str, command: &str, doing: &str) -> Result<()> {
    if !ctx.wait {
        if !ctx.json {
            println!("{doing}: command {command}.");
        }
        return Ok(());
    }
    let finished = progress::wait(&ctx.client, command).await?;
    progress::outcome(&finished)?;
    if !ctx.json {
        let host: HostView = parse(ctx.client.get(&format!("/api/host/{id}")).await?)?;
        println!("{}", details(&host));
    }
    Ok(())
}

/// The pre-flight checks, failures and warnings first, each with its fix.
fn preflight_text(preflight: &Preflight, at: Option<DateTime<Utc>>) -> String {
    let mut text = format!("\nPre-flight checks ({}):", output::time(at));
    let rank = |status: CheckStatus| match status {
        CheckStatus::Fail => 0,
        CheckStatus::Warn => 1,
        CheckStatus::Pass => 2,
    };
    let mut checks: Vec<&Check> = preflight.checks.iter().collect();
    checks.sort_by_key(|c| rank(c.status));
    for c in checks {
        let status = match c.status {
            CheckStatus::Pass => "PASS",
            CheckStatus::Warn => "WARN",
            CheckStatus::Fail => "FAIL",
        };
        text.push_str(&format!("\n  {:<4}  {}: {}", status, c.name, c.message));
        if let Some(fix) = &c.fix {
            text.push_str(&format!("\n        fix: {fix}"));
        }
    }
    text
}

/// Hosts as a table.
pub fn table(hosts: &[HostView]) -> comfy_table::Table {
    let mut table = output::table(["ID", "NODE", "ADDRESS", "STATE", "LNET", "LUSTRE"]);
    for h in hosts {
        table.add_row(vec![
            h.id.to_string(),
            output::or_dash(h.nodename.as_deref()),
            format!("{}:{}", h.address, h.port),
            h.state.clone(),
            h.lnet_state.clone(),
            output::or_dash(h.lustre_version.as_deref()),
        ]);
    }
    table
}

/// `tcp=eth1` or `o2ib=ib0,ib1`: a network and its interfaces.
fn parse_network(text: &str) -> std::result::Result<(String, Vec<String>), String> {
    let (net, interfaces) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not NET=INTERFACE[,INTERFACE…] (e.g. tcp=eth1)"))?;
    let interfaces: Vec<String> = interfaces.split(',').map(str::to_owned).collect();
    if net.is_empty() || interfaces.iter().any(String::is_empty) {
        return Err(format!("{text:?} is not NET=INTERFACE[,INTERFACE…] (e.g. tcp=eth1)"));
    }
    Ok((net.to_owned(), interfaces))
}

/// One host in full.
pub fn details(h: &HostView) -> String {
    let mut text = output::render(output::details(vec![
        ("Id", h.id.to_string()),
        ("Node", output::or_dash(h.nodename.as_deref())),
        ("Address", format!("{}:{}", h.address, h.port)),
        ("State", h.state.clone()),
        ("Fingerprint", output::or_dash(h.fingerprint.as_deref())),
        ("Kernel", output::or_dash(h.kernel.as_deref())),
        ("Lustre", output::or_dash(h.lustre_version.as_deref())),
        ("LNet", h.lnet_state.clone()),
        ("NIDs", output::list(&h.nids)),
        (
            "LNet networks",
            h.lnet_networks.as_ref().map_or_else(
                || "from the module options".to_owned(),
                |nets| {
                    let shown: Vec<String> = nets
                        .iter()
                        .map(|n| format!("{}({})", n.net, n.interfaces.join(",")))
                        .collect();
                    shown.join(", ")
                },
            ),
        ),
        ("Can become", output::list(&h.available_transitions)),
        ("LNet can become", output::list(&h.lnet_transitions)),
        ("Serves Lustre", if h.serves_lustre { "yes" } else { "no" }.to_owned()),
    ]));
    if let Some(preflight) = &h.preflight {
        text.push_str(&preflight_text(preflight, h.preflight_at));
    }
    for lock in &h.locks {
        text.push_str(&format!(
            "\nBusy: {} ({}, command {})",
            lock.description, lock.item, lock.command_id
        ));
    }
    text
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;
    use crate::fixtures::{host, id, page};

    #[test]
    fn show_lists_failed_checks_first_with_their_fixes() {
        let host: HostView = parse(host(json!({
            "id": id(1), "address": "10.0.0.9", "port": 22, "nodename": "bare1", "state": "managed",
            "lnet_state": "lnet_down", "serves_lustre": false, "preflight_at": "2026-12-06T10:00:00.5Z",
            "preflight": {"checks": [
                {"name": "time_sync", "status": "pass", "message": "the clock is synchronised", "fix": null},
                {"name": "lustre_tools", "status": "fail", "message": "Lustre is not installed",
                 "fix": "Install the Lustre server packages"}
            ]}
        })))
        .unwrap();
        let text = details(&host);
        assert!(text.contains("Serves Lustre"), "{text}");
        assert!(
            text.ends_with(
                "Pre-flight checks (2026-12-06 10:00:00):\n  \
                 FAIL  lustre_tools: Lustre is not installed\n        \
                 fix: Install the Lustre server packages\n  \
                 PASS  time_sync: the clock is synchronised"
            ),
            "{text}"
        );
    }

    #[test]
    fn hosts_table_shows_node_and_address() {
        let page: Page<HostView> = parse(page(vec![
            host(
                json!({"id": id(1), "address": "10.0.0.1", "port": 22, "nodename": "mds1", "state": "managed",
             "lnet_state": "lnet_up", "lustre_version": "2.15.4"}),
            ),
            host(
                json!({"id": id(2), "address": "10.0.0.2", "port": 2201, "nodename": null, "state": "unconfigured",
             "lnet_state": "lnet_unknown", "lustre_version": null}),
            ),
        ]))
        .unwrap();
        assert_eq!(
            output::render(table(&page.objects)),
            format!(
                "ID{:36}NODE  ADDRESS        STATE         LNET          LUSTRE\n\
                 {}  mds1  10.0.0.1:22    managed       lnet_up       2.15.4\n\
                 {}  -     10.0.0.2:2201  unconfigured  lnet_unknown  -",
                "",
                id(1),
                id(2)
            )
        );
    }
}
