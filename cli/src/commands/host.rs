//! `chroma host add|list|show|remove|lnet`.

use clap::{Subcommand, ValueEnum};
use serde_json::{json, Value};

use super::Ctx;
use crate::client::started_command;
use crate::error::Result;
use crate::model::{parse, Host, Page};
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
    /// Stop managing a server (refused while it serves targets).
    Remove {
        /// Id, node name or address.
        host: String,
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
        } => add(ctx, address, *port, fingerprint.as_deref()).await,
        HostCommand::List { state } => {
            let query: Vec<(&str, String)> = state.iter().map(|s| ("state", s.clone())).collect();
            let response = ctx.client.get_query("/api/host", &query).await?;
            ctx.show(&response, || {
                let page: Page<Host> = parse(response.clone())?;
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
        HostCommand::Remove { host } => {
            let id = resolve::host_id(&ctx.client, host).await?;
            let done = format!("Removed host {host}.");
            ctx.change(&format!("/api/host/{id}"), json!({"state": "removed"}), &done)
                .await
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

async fn add(ctx: &Ctx, address: &str, port: Option<u16>, fingerprint: Option<&str>) -> Result<()> {
    let mut body = json!({ "address": address });
    if let Some(port) = port {
        body["port"] = json!(port);
    }
    if let Some(fingerprint) = fingerprint {
        body["fingerprint"] = json!(fingerprint);
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
    let Some(command) = started_command(&response) else {
        return Ok(());
    };
    if !ctx.wait {
        if !ctx.json {
            println!("Adding host {address} ({host_id}): command {command}.");
        }
        return Ok(());
    }
    let finished = progress::wait(&ctx.client, &command).await?;
    progress::outcome(&finished)?;
    if !ctx.json {
        let host: Host = parse(ctx.client.get(&format!("/api/host/{host_id}")).await?)?;
        println!("{}", details(&host));
    }
    Ok(())
}

/// Hosts as a table.
pub fn table(hosts: &[Host]) -> comfy_table::Table {
    let mut table = output::table(["ID", "NODE", "ADDRESS", "STATE", "LNET", "LUSTRE"]);
    for h in hosts {
        table.add_row(vec![
            h.id.clone(),
            output::or_dash(h.nodename.as_deref()),
            format!("{}:{}", h.address, h.port),
            h.state.clone(),
            h.lnet_state.clone(),
            output::or_dash(h.lustre_version.as_deref()),
        ]);
    }
    table
}

/// One host in full.
pub fn details(h: &Host) -> String {
    let mut text = output::render(output::details(vec![
        ("Id", h.id.clone()),
        ("Node", output::or_dash(h.nodename.as_deref())),
        ("Address", format!("{}:{}", h.address, h.port)),
        ("State", h.state.clone()),
        ("Fingerprint", output::or_dash(h.fingerprint.as_deref())),
        ("Kernel", output::or_dash(h.kernel.as_deref())),
        ("Lustre", output::or_dash(h.lustre_version.as_deref())),
        ("LNet", h.lnet_state.clone()),
        ("NIDs", output::list(&h.nids)),
        ("Can become", output::list(&h.available_transitions)),
        ("LNet can become", output::list(&h.lnet_transitions)),
    ]));
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

    #[test]
    fn hosts_table_shows_node_and_address() {
        let page: Page<Host> = parse(json!({"objects": [
            {"id": "h1", "address": "10.0.0.1", "port": 22, "nodename": "mds1", "state": "managed",
             "lnet_state": "lnet_up", "lustre_version": "2.15.4"},
            {"id": "h2", "address": "10.0.0.2", "port": 2201, "nodename": null, "state": "unconfigured",
             "lnet_state": "lnet_unknown", "lustre_version": null}
        ]}))
        .unwrap();
        assert_eq!(
            output::render(table(&page.objects)),
            "ID  NODE  ADDRESS        STATE         LNET          LUSTRE\n\
             h1  mds1  10.0.0.1:22    managed       lnet_up       2.15.4\n\
             h2  -     10.0.0.2:2201  unconfigured  lnet_unknown  -"
        );
    }
}
