//! `chroma ha setup|configure|list|show`: Pacemaker clusters of servers
//! that share storage.

use clap::Subcommand;
use serde_json::{json, Map, Value};

use super::Ctx;
use crate::client::started_command;
use crate::error::{CliError, Result};
use crate::{output, progress, resolve};

/// What to do with HA clusters.
#[derive(Debug, Subcommand)]
pub enum HaCommand {
    /// Make servers one Pacemaker cluster: corosync configured and started,
    /// Pacemaker started, properties and fencing set (a job).
    Setup {
        /// The cluster's name (corosync's cluster_name).
        name: String,
        /// Its servers: ids, node names or addresses (two or more).
        #[arg(required = true, num_args = 2..)]
        hosts: Vec<String>,
        /// A member's corosync ring address: HOST=ADDRESS (default: the
        /// address Chroma reaches it on).
        #[arg(long = "ring0", value_name = "HOST=ADDRESS")]
        ring0: Vec<String>,
        /// A member's fencing device: HOST=AGENT[,NAME=VALUE…], e.g.
        /// oss1=fence_ipmilan,ip=10.0.1.12,username=admin,password=…
        #[arg(long = "fence", value_name = "HOST=AGENT[,NAME=VALUE…]")]
        fence: Vec<String>,
        /// Run without fencing (stonith-enabled=false): test clusters only.
        #[arg(long, conflicts_with = "fence")]
        no_fencing: bool,
    },
    /// Run a cluster's setup again, with new fencing devices if given.
    Configure {
        /// The cluster's name or id.
        cluster: String,
        /// A member's fencing device: HOST=AGENT[,NAME=VALUE…].
        #[arg(long = "fence", value_name = "HOST=AGENT[,NAME=VALUE…]")]
        fence: Vec<String>,
        /// Disable fencing (stonith-enabled=false).
        #[arg(long, conflicts_with = "fence")]
        no_fencing: bool,
    },
    /// List HA clusters.
    List,
    /// Show a cluster: members, node names, fencing.
    Show {
        /// The cluster's name or id.
        cluster: String,
    },
}

/// Parses `HOST=AGENT[,NAME=VALUE…]` into the host key and the device.
fn parse_fence(spec: &str) -> Result<(String, String, Map<String, Value>)> {
    let bad = || CliError::Usage(format!("--fence {spec:?}: expected HOST=AGENT[,NAME=VALUE…]"));
    let (host, rest) = spec.split_once('=').ok_or_else(bad)?;
    let mut parts = rest.split(',');
    let agent = parts.next().filter(|a| !a.is_empty()).ok_or_else(bad)?;
    let mut params = Map::new();
    for part in parts {
        let (k, v) = part.split_once('=').ok_or_else(bad)?;
        params.insert(k.to_owned(), Value::String(v.to_owned()));
    }
    Ok((host.to_owned(), agent.to_owned(), params))
}

/// The `fencing` object of a request.
async fn fencing(ctx: &Ctx, fence: &[String], disabled: bool) -> Result<Value> {
    if disabled {
        return Ok(json!({ "disabled": true }));
    }
    let mut devices = Vec::new();
    for spec in fence {
        let (host, agent, params) = parse_fence(spec)?;
        let host_id = resolve::host_id(&ctx.client, &host).await?;
        devices.push(json!({ "host_id": host_id, "agent": agent, "params": params }));
    }
    Ok(json!({ "devices": devices }))
}

/// The id of the cluster `key` (an id or a name) names.
async fn cluster_id(ctx: &Ctx, key: &str) -> Result<String> {
    let page = ctx
        .client
        .get_query("/api/ha_cluster", &[("limit", "1000".into())])
        .await?;
    let objects = page["objects"].as_array().cloned().unwrap_or_default();
    objects
        .iter()
        .find(|c| c["id"] == key || c["name"] == key)
        .and_then(|c| c["id"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| CliError::Usage(format!("no HA cluster {key:?}")))
}

/// Runs an ha subcommand.
pub async fn run(ctx: &Ctx, command: &HaCommand) -> Result<()> {
    match command {
        HaCommand::Setup {
            name,
            hosts,
            ring0,
            fence,
            no_fencing,
        } => {
            if fence.is_empty() && !no_fencing {
                eprintln!(
                    "warning: no --fence device given: Pacemaker will start no target on {name} \
                     until fencing is configured (`chroma ha configure {name} --fence …`)"
                );
            }
            let mut host_ids = Vec::new();
            for h in hosts {
                host_ids.push(resolve::host_id(&ctx.client, h).await?);
            }
            let mut rings = Map::new();
            for spec in ring0 {
                let (host, addr) = spec
                    .split_once('=')
                    .ok_or_else(|| CliError::Usage(format!("--ring0 {spec:?}: expected HOST=ADDRESS")))?;
                rings.insert(
                    resolve::host_id(&ctx.client, host).await?,
                    Value::String(addr.to_owned()),
                );
            }
            let body = json!({
                "name": name,
                "host_ids": host_ids,
                "ring0_addrs": rings,
                "fencing": fencing(ctx, fence, *no_fencing).await?,
            });
            let response = ctx.client.post("/api/ha_cluster", &body).await?;
            follow(ctx, response, &format!("HA cluster {name} is set up.")).await
        }
        HaCommand::Configure {
            cluster,
            fence,
            no_fencing,
        } => {
            let id = cluster_id(ctx, cluster).await?;
            let body = if fence.is_empty() && !no_fencing {
                json!({})
            } else {
                json!({ "fencing": fencing(ctx, fence, *no_fencing).await? })
            };
            let response = ctx
                .client
                .post(&format!("/api/ha_cluster/{id}/configure"), &body)
                .await?;
            follow(ctx, response, &format!("HA cluster {cluster} is configured.")).await
        }
        HaCommand::List => {
            let response = ctx.client.get("/api/ha_cluster").await?;
            ctx.show(&response, || {
                let objects = response["objects"].as_array().cloned().unwrap_or_default();
                output::print(table(&objects));
                Ok(())
            })
        }
        HaCommand::Show { cluster } => {
            let id = cluster_id(ctx, cluster).await?;
            let response = ctx.client.get(&format!("/api/ha_cluster/{id}")).await?;
            ctx.show(&response, || {
                println!("{}", details(&response));
                Ok(())
            })
        }
    }
}

/// Waits for the setup command a request started, then shows the cluster.
async fn follow(ctx: &Ctx, response: Value, done: &str) -> Result<()> {
    if ctx.json {
        output::json(&response);
    }
    let Some(command) = started_command(&response) else {
        return Ok(());
    };
    if !ctx.wait {
        if !ctx.json {
            println!("Started command {command}; follow it with `chroma command show {command}`.");
        }
        return Ok(());
    }
    let finished = progress::wait(&ctx.client, &command).await?;
    progress::outcome(&finished)?;
    if !ctx.json {
        println!("{done}");
        let id = response["cluster"]["id"].as_str().unwrap_or_default();
        println!("{}", details(&ctx.client.get(&format!("/api/ha_cluster/{id}")).await?));
    }
    Ok(())
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// What fencing a cluster has, in words.
fn fencing_state(c: &Value) -> String {
    match (c["stonith_enabled"].as_bool(), c["fence_devices"].as_i64().unwrap_or(0)) {
        (None, _) => "not seen yet".into(),
        (Some(false), _) => "DISABLED (stonith-enabled=false)".into(),
        (Some(true), 0) => "enabled, NO DEVICE: Pacemaker starts nothing".into(),
        (Some(true), n) => format!("enabled, {n} device(s)"),
    }
}

/// Clusters as a table.
fn table(clusters: &[Value]) -> comfy_table::Table {
    let mut table = output::table(["ID", "NAME", "STATE", "MEMBERS", "QUORATE", "FENCING"]);
    for c in clusters {
        let members: Vec<String> = c["members"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| {
                text(if m["ha_node"].is_null() {
                    &m["nodename"]
                } else {
                    &m["ha_node"]
                })
            })
            .collect();
        table.add_row(vec![
            text(&c["id"]),
            text(&c["name"]),
            text(&c["state"]),
            output::list(&members),
            text(&c["quorate"]),
            fencing_state(c),
        ]);
    }
    table
}

/// One cluster in full.
fn details(c: &Value) -> String {
    let mut text_out = output::render(output::details(vec![
        ("Id", text(&c["id"])),
        ("Name", text(&c["name"])),
        ("State", text(&c["state"])),
        ("Quorate", text(&c["quorate"])),
        ("Fencing", fencing_state(c)),
        ("Last seen", text(&c["seen_at"])),
    ]));
    for m in c["members"].as_array().into_iter().flatten() {
        text_out.push_str(&format!(
            "\nMember: {} (Pacemaker node {}, ring0 {})",
            text(&m["nodename"]),
            text(&m["ha_node"]),
            text(&m["ring0_addr"])
        ));
    }
    text_out
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;

    #[test]
    fn fence_specs_parse_or_say_what_is_wrong() {
        let (host, agent, params) = parse_fence("oss1=fence_ipmilan,ip=10.0.1.12,username=admin").unwrap();
        assert_eq!((host.as_str(), agent.as_str()), ("oss1", "fence_ipmilan"));
        assert_eq!(params["ip"], "10.0.1.12");
        let err = parse_fence("oss1").unwrap_err();
        assert!(err.to_string().contains("HOST=AGENT"), "{err}");
        assert!(parse_fence("oss1=fence_x,novalue").is_err());
    }

    #[test]
    fn fencing_is_described_plainly() {
        assert!(fencing_state(&json!({"stonith_enabled": true, "fence_devices": 0})).contains("NO DEVICE"));
        assert!(fencing_state(&json!({"stonith_enabled": false, "fence_devices": 0})).contains("DISABLED"));
        assert_eq!(
            fencing_state(&json!({"stonith_enabled": true, "fence_devices": 2})),
            "enabled, 2 device(s)"
        );
    }
}
