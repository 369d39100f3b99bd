//! The built binary, driven over stdio as Chroma drives it.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{bail, Context};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_chroma-plugin-sim-raid");
const TIB: u64 = 1024 * 1024 * 1024 * 1024;

/// A running plugin with its own state file.
struct Plugin {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    state: PathBuf,
    next_id: u64,
}

fn temp_state(test: &str) -> anyhow::Result<PathBuf> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sim-raid-{test}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir.join("state.json"))
}

impl Plugin {
    fn start(test: &str, extra: &[&str]) -> anyhow::Result<Self> {
        let state = temp_state(test)?;
        let mut child = Command::new(BIN)
            .arg("--state")
            .arg(&state)
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child.stdin.take().context("no stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("no stdout")?);
        Ok(Self {
            child,
            stdin,
            stdout,
            state,
            next_id: 1,
        })
    }

    /// Sends one raw line and reads one response line.
    fn raw(&mut self, line: &str) -> anyhow::Result<Value> {
        writeln!(self.stdin, "{line}")?;
        self.stdin.flush()?;
        let mut reply = String::new();
        if self.stdout.read_line(&mut reply)? == 0 {
            bail!("the plugin closed its output");
        }
        Ok(serde_json::from_str(&reply)?)
    }

    /// The whole response to `method`.
    fn call(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        let reply = self.raw(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string())?;
        if reply["id"] != id || reply["jsonrpc"] != "2.0" {
            bail!("wrong envelope: {reply}");
        }
        Ok(reply)
    }

    /// The result of `method`, failing on an error answer.
    fn result(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        let reply = self.call(method, params)?;
        reply
            .get("result")
            .cloned()
            .with_context(|| format!("{method} failed: {reply}"))
    }

    /// The error of `method`, failing on a success.
    fn error(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        let reply = self.call(method, params)?;
        reply
            .get("error")
            .cloned()
            .with_context(|| format!("{method} succeeded: {reply}"))
    }

    fn fault(&self, args: &[&str]) -> anyhow::Result<()> {
        let status = Command::new(BIN)
            .arg("fault")
            .arg("--state")
            .arg(&self.state)
            .args(args)
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("fault {args:?} failed: {status}");
        }
        Ok(())
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = self.state.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn resource(detected: &Value, id: &str) -> anyhow::Result<Value> {
    detected["resources"]
        .as_array()
        .and_then(|all| all.iter().find(|r| r["id"] == id))
        .cloned()
        .with_context(|| format!("no resource {id} in {detected}"))
}

fn statistic(monitored: &Value, id: &str, name: &str) -> anyhow::Result<Value> {
    monitored["statistics"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["resource"] == id && s["name"] == name))
        .map(|s| s["value"].clone())
        .with_context(|| format!("no statistic {name} of {id}"))
}

fn attribute(monitored: &Value, id: &str, name: &str) -> anyhow::Result<Value> {
    monitored["attributes"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|a| a["resource"] == id && a["values"].get(name).is_some())
        })
        .map(|a| a["values"][name].clone())
        .with_context(|| format!("no attribute {name} of {id}"))
}

fn class_names(init: &Value) -> Vec<String> {
    let classes = init["classes"].as_array().cloned().unwrap_or_default();
    classes
        .iter()
        .filter_map(|c| c["name"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn initialize_declares_the_array_classes() -> anyhow::Result<()> {
    let mut plugin = Plugin::start("init", &[])?;
    let init = plugin.result(
        "initialize",
        json!({"protocol": 1, "chroma_version": "0.1.0", "hosts": []}),
    )?;
    assert_eq!(init["protocol"], 1);
    assert_eq!(init["name"], "sim-raid");
    assert_eq!(init["levels"], json!(["detect", "monitor", "configure"]));
    assert_eq!(
        class_names(&init),
        ["array", "controller", "enclosure", "fan", "disk", "pool", "lun"]
    );
    assert!(plugin.state.exists(), "the state file is created on first use");
    let refused = plugin.error("initialize", json!({"protocol": 2}))?;
    assert!(
        refused["message"].as_str().unwrap_or_default().contains("protocol 2"),
        "{refused}"
    );
    Ok(())
}

#[test]
fn detect_reports_the_array_with_linkable_luns() -> anyhow::Result<()> {
    let mut plugin = Plugin::start("detect", &[])?;
    let detected = plugin.result("detect", json!({}))?;
    let resources = detected["resources"].as_array().context("no resources")?;
    let count = |class: &str| resources.iter().filter(|r| r["class"] == class).count();
    let counts: Vec<usize> = ["array", "controller", "enclosure", "fan", "disk", "pool", "lun"]
        .iter()
        .map(|c| count(c))
        .collect();
    assert_eq!(counts, vec![1, 2, 1, 2, 12, 2, 8]);

    let disk = resource(&detected, "disk-7")?;
    assert_eq!(disk["parent"], "enclosure-0");
    assert_eq!(
        disk["attributes"],
        json!({"slot": 7, "serial": "SIMHDD00007", "size": 4_000_787_030_016u64, "status": "ok"})
    );
    let lun = resource(&detected, "lun-simdisk00100")?;
    assert_eq!(lun["attributes"]["serial"], "SIMDISK00100");
    assert_eq!(lun["attributes"]["status"], "ok");
    assert_eq!(
        resource(&detected, "lun-simdisk00000")?["attributes"]["serial"],
        "SIMDISK00000"
    );
    assert_eq!(resource(&detected, "pool-1")?["attributes"]["status"], "ok");

    let relationships = detected["relationships"].as_array().context("no relationships")?;
    assert!(relationships.contains(&json!({"from": "lun-simdisk00100", "to": "pool-1", "kind": "built_on"})));
    assert!(relationships.contains(&json!({"from": "pool-1", "to": "disk-11", "kind": "built_on"})));
    assert!(!relationships.contains(&json!({"from": "pool-1", "to": "disk-5", "kind": "built_on"})));
    assert_eq!(relationships.len(), 12 + 8);
    Ok(())
}

#[test]
fn lun_serials_can_be_chosen_when_the_array_is_made() -> anyhow::Result<()> {
    let mut plugin = Plugin::start("serials", &["--lun-serials", "AAA,BBB,CCC"])?;
    let detected = plugin.result("detect", json!({}))?;
    let luns: Vec<(Value, Value)> = ["lun-aaa", "lun-bbb", "lun-ccc"]
        .iter()
        .map(|id| resource(&detected, id).map(|r| (r["attributes"]["serial"].clone(), r["parent"].clone())))
        .collect::<anyhow::Result<_>>()?;
    assert_eq!(luns[0].0, "AAA");
    assert_eq!(luns[2].0, "CCC");
    let lun2_pool = detected["relationships"]
        .as_array()
        .and_then(|all| all.iter().find(|r| r["from"] == "lun-ccc"))
        .map(|r| r["to"].clone());
    assert_eq!(lun2_pool, Some(json!("pool-1")));
    Ok(())
}

#[test]
fn monitor_reports_statistics_and_health() -> anyhow::Result<()> {
    let mut plugin = Plugin::start("monitor", &[])?;
    let monitored = plugin.result("monitor", json!({}))?;
    let temperature = statistic(&monitored, "disk-0", "temperature")?;
    assert!(
        temperature.as_f64().is_some_and(|t| (20.0..60.0).contains(&t)),
        "{temperature}"
    );
    assert!(statistic(&monitored, "fan-0", "rpm")?.as_u64() > Some(1000));
    assert!(statistic(&monitored, "lun-simdisk00000", "read_bytes")?.is_u64());
    assert!(statistic(&monitored, "lun-simdisk00000", "write_bytes")?.is_u64());
    assert_eq!(
        statistic(&monitored, "lun-simdisk00000", "latency")?
            .as_array()
            .map(Vec::len),
        Some(5)
    );
    assert_eq!(attribute(&monitored, "pool-0", "status")?, "ok");
    assert_eq!(attribute(&monitored, "ctrl-b", "status")?, "ok");
    Ok(())
}

#[test]
fn injected_faults_show_in_the_next_answers() -> anyhow::Result<()> {
    let mut plugin = Plugin::start("faults", &[])?;
    plugin.result("detect", json!({}))?;

    plugin.fault(&["disk", "2", "fail"])?;
    plugin.fault(&["fan", "1", "fail"])?;
    plugin.fault(&["controller", "B", "fail"])?;
    plugin.fault(&["disk", "8", "hot"])?;
    let detected = plugin.result("detect", json!({}))?;
    assert_eq!(resource(&detected, "disk-2")?["attributes"]["status"], "failed");
    assert_eq!(resource(&detected, "pool-0")?["attributes"]["status"], "degraded");
    assert_eq!(
        resource(&detected, "lun-simdisk00000")?["attributes"]["status"],
        "degraded"
    );
    assert_eq!(resource(&detected, "pool-1")?["attributes"]["status"], "ok");
    assert_eq!(resource(&detected, "ctrl-b")?["attributes"]["status"], "failed");
    let monitored = plugin.result("monitor", json!({}))?;
    assert_eq!(statistic(&monitored, "fan-1", "rpm")?, 0);
    assert_eq!(attribute(&monitored, "fan-1", "status")?, "failed");
    assert_eq!(statistic(&monitored, "disk-8", "temperature")?, 65.0);

    plugin.fault(&["disk", "3", "fail"])?;
    plugin.fault(&["disk", "4", "fail"])?;
    let monitored = plugin.result("monitor", json!({}))?;
    assert_eq!(attribute(&monitored, "pool-0", "status")?, "failed");
    assert_eq!(attribute(&monitored, "lun-simdisk00003", "status")?, "failed");

    for slot in ["2", "3", "4"] {
        plugin.fault(&["disk", slot, "ok"])?;
    }
    plugin.fault(&["fan", "1", "ok"])?;
    let monitored = plugin.result("monitor", json!({}))?;
    assert_eq!(attribute(&monitored, "pool-0", "status")?, "ok");
    assert!(statistic(&monitored, "fan-1", "rpm")?.as_u64() > Some(1000));

    let out = Command::new(BIN)
        .args(["fault", "--state"])
        .arg(&plugin.state)
        .args(["disk", "12", "fail"])
        .output()?;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no disk in slot 12"));
    Ok(())
}

#[test]
fn create_lun_adds_a_lun_with_a_new_serial() -> anyhow::Result<()> {
    let mut plugin = Plugin::start("create", &[])?;
    let args = json!({"name": "scratch_1", "size": TIB});
    let done = plugin.result(
        "configure",
        json!({"action": "create_lun", "resource": "pool-1", "args": args}),
    )?;
    assert_eq!(done["message"], "created LUN scratch_1 (serial SIMLUN00000) on pool-1");
    let detected = plugin.result("detect", json!({}))?;
    let lun = resource(&detected, "lun-scratch_1")?;
    assert_eq!(
        lun["attributes"],
        json!({"name": "scratch_1", "size": TIB, "status": "ok", "serial": "SIMLUN00000"})
    );
    let free = resource(&detected, "pool-1")?["attributes"]["free"].as_u64();
    assert_eq!(free, Some(4 * 4_000_787_030_016 - (4 * 2 + 1) * TIB));

    let args = json!({"name": "scratch-2", "size": 1});
    let done = plugin.result(
        "configure",
        json!({"action": "create_lun", "resource": "pool-0", "args": args}),
    )?;
    assert!(
        done["message"].as_str().unwrap_or_default().contains("SIMLUN00001"),
        "{done}"
    );

    // The example in docs/plugins.md works as written.
    let params = json!({"action": "create_lun", "resource": "pool-0", "args": {"size": TIB, "name": "lun7"}});
    let done = plugin.result("configure", params)?;
    assert_eq!(done["message"], "created LUN lun7 (serial SIMLUN00002) on pool-0");
    Ok(())
}

#[test]
fn create_lun_refuses_what_cannot_be_done() -> anyhow::Result<()> {
    let mut plugin = Plugin::start("refuse", &[])?;
    fn refuse_on(plugin: &mut Plugin, resource: &str, args: Value) -> anyhow::Result<(i64, String)> {
        let error = plugin.error(
            "configure",
            json!({"action": "create_lun", "resource": resource, "args": args}),
        )?;
        Ok((
            error["code"].as_i64().unwrap_or_default(),
            error["message"].as_str().unwrap_or_default().to_owned(),
        ))
    }
    let (_, message) = refuse_on(&mut plugin, "pool-0", json!({"name": "simdisk00000", "size": 1}))?;
    assert_eq!(message, "a LUN named simdisk00000 already exists");
    let (_, message) = refuse_on(&mut plugin, "pool-0", json!({"name": "huge", "size": 9 * TIB}))?;
    assert!(message.contains("does not fit"), "{message}");
    let (code, message) = refuse_on(&mut plugin, "pool-0", json!({"name": "Bad Name", "size": 1}))?;
    assert_eq!(code, -32602);
    assert!(message.contains("invalid LUN name"), "{message}");
    let (_, message) = refuse_on(&mut plugin, "pool-0", json!({"name": "a".repeat(33), "size": 1}))?;
    assert!(message.contains("invalid LUN name"), "{message}");
    let (_, message) = refuse_on(&mut plugin, "pool-0", json!({"name": "ok", "size": -1}))?;
    assert!(message.contains("\"size\""), "{message}");
    let (_, message) = refuse_on(&mut plugin, "pool-0", json!({"size": 1}))?;
    assert!(message.contains("\"name\""), "{message}");
    let (_, message) = refuse_on(&mut plugin, "disk-3", json!({"name": "x", "size": 1}))?;
    assert!(message.contains("not one"), "{message}");

    for slot in ["6", "7", "8"] {
        plugin.fault(&["disk", slot, "fail"])?;
    }
    let (code, message) = refuse_on(&mut plugin, "pool-1", json!({"name": "x", "size": 1}))?;
    assert_eq!(
        (code, message.as_str()),
        (-32000, "pool pool-1 has failed; no LUN can be created on it")
    );

    let error = plugin.error(
        "configure",
        json!({"action": "explode", "resource": "pool-0", "args": {}}),
    )?;
    assert!(error["message"].as_str().unwrap_or_default().contains("unknown action"));
    let detected = plugin.result("detect", json!({}))?;
    assert_eq!(
        detected["resources"].as_array().map(Vec::len),
        Some(28),
        "nothing was created"
    );
    Ok(())
}

#[test]
fn bad_requests_get_errors_not_a_crash() -> anyhow::Result<()> {
    let mut plugin = Plugin::start("bad", &[])?;
    assert_eq!(plugin.error("frobnicate", json!({}))?["code"], -32601);
    assert_eq!(plugin.raw("{not json")?["error"]["code"], -32700);
    assert_eq!(plugin.raw("[]")?["error"]["code"], -32600);
    let reply = plugin.raw(r#"{"jsonrpc": "1.0", "id": 9, "method": "detect"}"#)?;
    assert_eq!(
        (reply["id"].clone(), reply["error"]["code"].clone()),
        (json!(9), json!(-32600))
    );
    assert_eq!(plugin.raw(r#"{"jsonrpc": "2.0", "id": 3}"#)?["error"]["code"], -32600);
    assert_eq!(plugin.error("configure", json!({}))?["code"], -32602);
    // Still serving after all that.
    assert!(plugin.result("detect", json!({}))?["resources"].is_array());
    Ok(())
}

#[test]
fn shutdown_answers_and_exits() -> anyhow::Result<()> {
    let mut plugin = Plugin::start("shutdown", &[])?;
    assert_eq!(plugin.result("shutdown", json!({}))?, json!({}));
    let status = plugin.child.wait()?;
    assert!(status.success(), "{status}");
    Ok(())
}
