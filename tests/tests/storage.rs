//! Storage plugins end to end: `chroma-plugins` runs the shipped `linux`
//! plugin (block devices of three lustre-sim servers, over SSH) and the
//! simulated RAID array, plus five plugins that misbehave. The healthy
//! ones are detected, monitored and linked to each other and to Lustre's
//! targets (a target can be followed down to its disks); a failed disk
//! raises an alert naming the file system it endangers, cleared when the
//! disk is mended; every misbehaving plugin is reported with what it did
//! wrong and restarted, and harms no other.

use integration_tests::lustre::{filesystem_request, plugin_manifest, shipped_plugins, LONG};
use integration_tests::{wait_for, TestEnv};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const SOON: Duration = Duration::from_secs(60);

/// A plugin in Python that answers `initialize` well, then does `wrong`
/// on `detect` (Python source run with `request` and `reply` in scope).
fn misbehaving(name: &str, wrong: &str) -> String {
    format!(
        r#"import json, sys, time
CLASSES = [{{"name": "thing", "attributes": [{{"name": "n", "type": "integer"}}]}}]
def reply(request, result):
    print(json.dumps({{"jsonrpc": "2.0", "id": request["id"], "result": result}}), flush=True)
for line in sys.stdin:
    request = json.loads(line)
    if request["method"] == "initialize":
        reply(request, {{"protocol": 1, "name": "{name}", "version": "1", "levels": ["detect"], "classes": CLASSES}})
    elif request["method"] == "detect":
{wrong}
    else:
        reply(request, {{}})
"#
    )
}

async fn get(env: &TestEnv, path: &str) -> anyhow::Result<Value> {
    let (status, envelope) = env.get(path).await?;
    anyhow::ensure!(status == StatusCode::OK, "GET {path} answered {status}: {envelope}");
    Ok(envelope["response"].clone())
}

async fn plugin(env: &TestEnv, name: &str) -> anyhow::Result<Value> {
    let plugins = get(env, "/api/storage_plugin").await?;
    Ok(plugins["objects"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["name"] == name))
        .cloned()
        .unwrap_or(Value::Null))
}

async fn resources(env: &TestEnv, query: &str) -> anyhow::Result<Vec<Value>> {
    let page = get(env, &format!("/api/storage_resource?limit=1000&{query}")).await?;
    Ok(page["objects"].as_array().cloned().unwrap_or_default())
}

async fn storage_alert(env: &TestEnv, kind: &str) -> anyhow::Result<Option<Value>> {
    let page = get(env, &format!("/api/alert?active=true&kind={kind}")).await?;
    Ok(page["objects"].as_array().and_then(|a| a.first()).cloned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_describe_the_hardware_under_lustre() -> anyhow::Result<()> {
    let mut env = TestEnv::start("storage").await?;
    // The plugin directory, read by the plugin service and by workers
    // running plugin actions.
    let dir = std::env::temp_dir().join(format!("chroma-plugins-{}", env.name));
    std::fs::create_dir_all(&dir)?;
    env.settings.plugin_dir = dir.clone();
    env.scheduler().await?;
    env.worker(8).await?;
    let (cluster, _state) = env.simulated_cluster(&["mds1", "oss1", "oss2"]).await?;
    let hosts = env.add_hosts(&cluster).await?;
    let request = filesystem_request(&env, &hosts, "demo").await?;
    let (status, envelope) = env.post("/api/filesystem", &request).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    assert_eq!(env.finished(&command, LONG).await?["state"], "succeeded");

    // The two shipped plugins and five bad ones.
    // The array's state lives outside the plugin directory, where every
    // `*.json` is a manifest.
    let raid_state = std::env::temp_dir().join(format!("chroma-sim-raid-{}.state", env.name));
    let raid = shipped_plugins(&dir, &raid_state)?;
    let wrongs = [
        ("garbled", "        print('this is not json', flush=True)"),
        (
            "mistyped",
            r#"        reply(request, {"resources": [{"id": "t1", "class": "thing", "attributes": {"n": "three"}}], "relationships": []})"#,
        ),
        (
            "cyclic",
            r#"        reply(request, {"resources": [{"id": "a", "class": "thing", "parent": "b", "attributes": {"n": 1}}, {"id": "b", "class": "thing", "parent": "a", "attributes": {"n": 2}}], "relationships": []})"#,
        ),
        ("crashing", "        sys.exit(3)"),
    ];
    for (name, wrong) in wrongs {
        let script = dir.join(format!("{name}.py"));
        std::fs::write(&script, misbehaving(name, wrong))?;
        plugin_manifest(&dir, name, &["python3".into(), path_text(&script)])?;
    }
    // One that never answers at all.
    plugin_manifest(&dir, "silent", &["sleep".into(), "600".into()])?;
    // And the complete example of docs/plugins.md, exactly as written there.
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/plugins.md"))?;
    let example = docs
        .split("## A complete example")
        .nth(1)
        .and_then(|rest| rest.split("```python\n").nth(1))
        .and_then(|code| code.split("\n```").next())
        .unwrap_or_default();
    anyhow::ensure!(example.contains("def handle"), "no example plugin in docs/plugins.md");
    let shelf = dir.join("shelf.py");
    std::fs::write(&shelf, example)?;
    plugin_manifest(&dir, "shelf", &["python3".into(), path_text(&shelf)])?;

    let shutdown = CancellationToken::new();
    let service = tokio::spawn(plugin_host::service::run(env.settings.clone(), shutdown.clone()));

    // The healthy plugins run and report.
    for name in ["linux", "sim-raid"] {
        wait_for(SOON, &format!("plugin {name} to detect"), || async {
            let p = plugin(&env, name).await?;
            Ok((p["state"] == "running" && p["detected_at"].is_string()).then_some(()))
        })
        .await?;
    }
    let disks = resources(&env, "plugin=sim-raid&class=disk").await?;
    assert_eq!(disks.len(), 12, "{disks:?}");
    wait_for(SOON, "the example plugin from docs/plugins.md to detect", || async {
        let p = plugin(&env, "shelf").await?;
        Ok((p["state"] == "running" && p["detected_at"].is_string()).then_some(()))
    })
    .await?;
    assert_eq!(resources(&env, "plugin=shelf&class=disk").await?.len(), 4);
    let luns = resources(&env, "plugin=sim-raid&class=lun").await?;
    assert_eq!(luns.len(), 8);
    let devices = resources(&env, "plugin=linux&class=block_device").await?;
    assert!(devices.len() >= 12, "three servers' devices: {devices:?}");

    // Each bad plugin is reported with what it did wrong, and retried.
    for (name, says) in [
        ("garbled", "not JSON"),
        ("mistyped", "attribute n must be an integer"),
        ("cyclic", "a cycle"),
        ("crashing", "exited"),
        ("silent", "initialize: no answer within 10 s"),
    ] {
        let reported = wait_for(SOON, &format!("plugin {name} to be reported"), || async {
            let p = plugin(&env, name).await?;
            let error = p["error"].as_str().unwrap_or_default().to_owned();
            // Between attempts it is `restarting`, then `starting` again,
            // keeping the error until it runs.
            Ok((p["state"] != "running" && error.contains(says)).then_some(p))
        })
        .await?;
        assert!(
            resources(&env, &format!("plugin={name}")).await?.is_empty(),
            "{reported}"
        );
    }
    wait_for(SOON, "a bad plugin to be restarted", || async {
        Ok((plugin(&env, "garbled").await?["restarts"].as_i64().unwrap_or(0) >= 2).then_some(()))
    })
    .await?;
    assert_eq!(
        plugin(&env, "sim-raid").await?["state"],
        "running",
        "a bad plugin harmed a good one"
    );

    // Links across plugins: a LUN is the block device with its serial, and
    // the Chroma volume; an OST is followed down to its disks.
    let fs = get(&env, "/api/filesystem?name=demo").await?;
    let ost = fs["objects"][0]["targets"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["name"] == "demo-OST0000"))
        .cloned()
        .unwrap_or(Value::Null);
    let ost_id = ost["id"].as_str().unwrap_or_default().to_owned();
    let path = wait_for(SOON, "the OST's path down to its disks", || async {
        let path = get(&env, &format!("/api/target/{ost_id}/storage")).await?;
        let classes: Vec<String> = path["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["class"].as_str().map(str::to_owned))
            .collect();
        let complete = ["lun", "block_device", "pool", "disk", "enclosure"]
            .iter()
            .all(|c| classes.iter().any(|x| x == c));
        Ok(complete.then_some(path))
    })
    .await?;
    let disks_under = path["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["class"] == "disk")
        .count();
    assert_eq!(disks_under, 6, "the OST's pool stands on six disks: {path}");
    let lun = path["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["class"] == "lun"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(lun["volume_id"], ost["volume_id"], "the LUN is the OST's volume");
    let detail = get(
        &env,
        &format!("/api/storage_resource/{}", lun["id"].as_str().unwrap_or_default()),
    )
    .await?;
    assert!(
        detail["related"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r["kind"] == "same_as" && r["resource"]["plugin"] == "linux"),
        "the LUN is linked to the Linux device with its serial: {detail}"
    );
    assert_eq!(detail["filesystems"], json!(["demo"]));

    // Statistics: latest values and time series.
    wait_for(SOON, "disk temperatures", || async {
        let disks = resources(&env, "plugin=sim-raid&class=disk").await?;
        Ok(disks
            .iter()
            .all(|d| d["statistics"]["temperature"].is_number())
            .then_some(()))
    })
    .await?;
    let (series,): (i64,) = {
        let rows = store::sql::query(
            &env.db,
            "SELECT count(*) AS n FROM metric_series WHERE object_kind = 'storage_resource'",
            [],
        )
        .await?;
        (rows.first().map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0),)
    };
    assert!(series >= 12, "statistics are time series: {series}");

    // A failed disk of the OSTs' pool raises an alert naming the file
    // system; mending it clears the alert.
    let fault = |change: &str| {
        std::process::Command::new(&raid)
            .args(["--state", &path_text(&raid_state), "fault", "disk", "7", change])
            .status()
    };
    assert!(fault("fail")?.success());
    let alert = wait_for(SOON, "the failed disk's alert", || async {
        storage_alert(&env, "storage_disk_failed").await
    })
    .await?;
    let message = alert["message"].as_str().unwrap_or_default();
    assert!(message.contains("file system demo"), "{message}");
    assert!(message.contains("demo-OST0000"), "{message}");
    assert_eq!(alert["severity"], "error");
    assert!(fault("ok")?.success());
    wait_for(SOON, "the disk's alert to clear", || async {
        Ok(storage_alert(&env, "storage_disk_failed")
            .await?
            .is_none()
            .then_some(()))
    })
    .await?;

    // A configure action runs as a job: a new LUN on the OSTs' pool.
    let pools = resources(&env, "plugin=sim-raid&class=pool").await?;
    let pool = pools
        .iter()
        .find(|p| p["local_id"] == "pool-1")
        .and_then(|p| p["id"].as_str())
        .unwrap_or_default()
        .to_owned();
    let act = format!("/api/storage_resource/{pool}/action");
    for (body, field) in [
        (json!({"action": "explode"}), "action"),
        (
            json!({"action": "create_lun", "args": {"colour": "red"}}),
            "args.colour",
        ),
    ] {
        let (status, envelope) = env.post(&act, &body).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {envelope}");
        assert_eq!(envelope["errors"][0]["field"], field, "{envelope}");
    }
    let lun = json!({"action": "create_lun", "args": {"name": "scratch", "size": 1_099_511_627_776_u64}});
    let (status, envelope) = env.post(&act, &lun).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let luns = resources(&env, "plugin=sim-raid&class=lun").await?;
    assert_eq!(luns.len(), 9, "the new LUN shows as soon as its job ends");
    assert!(luns.iter().any(|l| l["attributes"]["name"] == "scratch"), "{luns:?}");
    // The same name again: the array refuses, the job fails saying why.
    let (_, envelope) = env.post(&act, &lun).await?;
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "failed", "{done}");
    assert!(
        done.to_string().contains("scratch"),
        "the refusal names the LUN: {done}"
    );

    shutdown.cancel();
    service.await??;
    assert!(
        plugin(&env, "sim-raid").await?.is_object(),
        "the plugins' state outlives the service"
    );
    env.stop().await
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
