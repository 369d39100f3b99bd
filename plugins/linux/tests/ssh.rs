//! The plugin against lustre-sim's SSH servers: real sessions, pinned keys.

use std::path::PathBuf;

use anyhow::{bail, Context};
use plugin_linux::handler::Plugin;
use plugin_rpc as rpc;
use serde_json::{json, Value};

async fn call(plugin: &mut Plugin, method: &str, params: Value) -> anyhow::Result<Value> {
    let line = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let mut stop = false;
    let reply = plugin.answer(line.as_bytes(), &mut stop).await.context("no answer")?;
    match reply.get("result") {
        Some(result) => Ok(result.clone()),
        None => bail!("{method} failed: {reply}"),
    }
}

fn temp_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("plugin-linux-ssh-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn attributes_of(detected: &Value, id: &str) -> Value {
    detected["resources"]
        .as_array()
        .and_then(|all| all.iter().find(|r| r["id"] == id))
        .map_or(Value::Null, |r| r["attributes"].clone())
}

#[tokio::test]
async fn detects_the_simulated_servers_devices_and_reports_unreachable_ones() -> anyhow::Result<()> {
    let dir = temp_dir()?;
    let key_path = dir.join("id_ed25519");
    let key = chroma_ssh::KeyPair::load_or_create(&key_path)?;
    let authorized = dir.join("authorized_keys");
    std::fs::write(&authorized, format!("{}\n", key.public_key_openssh()))?;
    let names: Vec<String> = ["mds1", "oss1", "oss2"].map(String::from).to_vec();
    let config = lustre_sim::SimConfig::new(&dir.join("state"), &names, 0, &authorized);
    let cluster = lustre_sim::Cluster::start(config).await?;

    let mut hosts: Vec<Value> = cluster
        .hosts
        .iter()
        .map(|h| json!({"id": h.name, "name": h.name, "address": "127.0.0.1", "port": h.addr.port(), "fingerprint": h.fingerprint}))
        .collect();
    // A server whose key is not the pinned one, and one that is down.
    let (mds, oss) = (&cluster.hosts[0], &cluster.hosts[1]);
    hosts.push(json!({"id": "x", "name": "impostor", "address": "127.0.0.1", "port": oss.addr.port(), "fingerprint": mds.fingerprint}));
    hosts.push(json!({"id": "y", "name": "down", "address": "127.0.0.1", "port": 1, "fingerprint": mds.fingerprint}));

    let mut plugin = Plugin::new();
    let params = json!({"protocol": 1, "chroma_version": "0.1.0", "hosts": hosts, "ssh_key": key_path});
    let init = call(&mut plugin, "initialize", params).await?;
    assert_eq!(init["levels"], json!(["detect", "monitor"]));

    for round in 0..2 {
        let detected = call(&mut plugin, "detect", json!({})).await?;
        assert_eq!(attributes_of(&detected, "mds1")["reachable"], true, "round {round}");
        assert_eq!(attributes_of(&detected, "mds1:/dev/sdb")["serial"], "SIMDISK00000");
        assert_eq!(attributes_of(&detected, "oss1:/dev/sdb")["serial"], "SIMDISK00100");
        assert_eq!(attributes_of(&detected, "oss2:/dev/sdb")["serial"], "SIMDISK00100");
        assert_eq!(attributes_of(&detected, "oss2:/dev/sdb")["type"], "disk");
        assert_eq!(attributes_of(&detected, "impostor")["reachable"], false);
        assert_eq!(attributes_of(&detected, "down")["reachable"], false);
        let resources = detected["resources"].as_array().context("no resources")?;
        assert_eq!(resources.len(), 3 * 5 + 2, "{detected:#}");
    }

    let monitored = call(&mut plugin, "monitor", json!({})).await?;
    let reachable: Vec<(Value, Value)> = monitored["attributes"]
        .as_array()
        .context("no attributes")?
        .iter()
        .map(|a| (a["resource"].clone(), a["values"]["reachable"].clone()))
        .collect();
    assert_eq!(
        reachable,
        [
            (json!("mds1"), json!(true)),
            (json!("oss1"), json!(true)),
            (json!("oss2"), json!(true)),
            (json!("impostor"), json!(false)),
            (json!("down"), json!(false)),
        ]
    );

    // The servers go away: the next answers say so instead of failing.
    cluster.shutdown().await;
    let detected = call(&mut plugin, "detect", json!({})).await?;
    assert_eq!(attributes_of(&detected, "oss1")["reachable"], false);
    assert_eq!(detected["resources"].as_array().map(Vec::len), Some(5));

    let mut stop = false;
    let line = json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}).to_string();
    let reply = plugin.answer(line.as_bytes(), &mut stop).await;
    assert_eq!(reply, Some(rpc::success(json!(2), json!({}))));
    assert!(stop);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[tokio::test]
async fn refuses_bad_initialize_params_and_unknown_methods() -> anyhow::Result<()> {
    let mut plugin = Plugin::new();
    let mut stop = false;
    for (line, code) in [
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"hosts":[{"name":"a"}]}}"#,
            -32602,
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"hosts":[{"name":"a","address":"b","fingerprint":"c"}]}}"#,
            -32602,
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocol":2}}"#,
            -32000,
        ),
        (r#"{"jsonrpc":"2.0","id":1,"method":"configure","params":{}}"#, -32601),
        ("nonsense", -32700),
    ] {
        let reply = plugin.answer(line.as_bytes(), &mut stop).await.context("no answer")?;
        assert_eq!(reply["error"]["code"], code, "{line}: {reply}");
    }
    // Before any host is known, detect reports nothing rather than failing.
    let reply = plugin
        .answer(br#"{"jsonrpc":"2.0","id":1,"method":"detect"}"#, &mut stop)
        .await
        .context("no answer")?;
    assert_eq!(reply["result"], json!({"resources": [], "relationships": []}));
    Ok(())
}
