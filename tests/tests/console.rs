//! The web console in a real browser: Debian's Chromium, driven by
//! playwright-core from `web/tests/console.mjs`, against the API serving
//! the built console, a scheduler, workers and a monitor polling three
//! lustre-sim servers over SSH. The script logs in, watches the dashboard
//! draw, creates a second file system from the form and watches its
//! command finish, cancels a job, sees a failover alert arrive without a
//! reload, is refused a bad parameter value, follows a target down to its
//! disks and sees a failed disk alerted, grows `demo` by an OST on a fourth
//! server (then drains and removes it), creates, changes and destroys an
//! OST pool, mounts `demo` as a client on a chosen host and unmounts it,
//! enforces quotas and sets a user's limit that the user is over, enables
//! HSM, runs a copytool and archives, releases and restores a file, and
//! saves a screenshot of each page. `scripts/test.sh` builds the console and installs Chromium
//! first; `UPDATE_SCREENSHOTS=1` also writes them to `docs/screenshots/`.

use integration_tests::lustre::{by_hand, filesystem_request, ha_pair, shipped_plugins, LONG};
use integration_tests::processes::binary_dir;
use integration_tests::{TestEnv, ADMIN_PASSWORD};
use reqwest::StatusCode;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The whole browser script, at most.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(900);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_runs_the_cluster_from_a_browser() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    anyhow::ensure!(
        root.join("web/dist/index.html").is_file(),
        "the console is not built: run scripts/web.sh (scripts/test.sh does)"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    anyhow::ensure!(
        Path::new(&chromium).is_file(),
        "no Chromium at {chromium}: install Debian's chromium (scripts/test.sh does) or set CHROMIUM"
    );

    let mut env = TestEnv::start("console").await?;
    let plugins = std::env::temp_dir().join(format!("chroma-plugins-{}", env.name));
    std::fs::create_dir_all(&plugins)?;
    env.settings.plugin_dir = plugins.clone();
    env.scheduler().await?;
    env.worker(8).await?;
    env.monitor(Duration::from_secs(1)).await?;
    // oss3 (its own four volumes, no failover partner) is where the browser
    // adds an OST to `demo` and mounts it as a client.
    let (cluster, state) = env.simulated_cluster(&["mds1", "oss1", "oss2", "oss3"]).await?;
    let hosts = env.add_hosts(&cluster).await?;
    // The demo file system, as scripts/run.sh creates it; the browser
    // creates a second one on the devices left.
    // The OSS pair is HA cluster demo-ha, as scripts/run.sh makes it.
    ha_pair(&env, &hosts[1..3], "demo-ha").await?;
    let request = filesystem_request(&env, &hosts, "demo").await?;
    let (status, envelope) = env.post("/api/filesystem", &request).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    files_for_quotas_and_hsm(
        &env,
        &cluster,
        &hosts,
        envelope["response"]["filesystem"]["id"].as_str(),
    )
    .await?;

    // The storage plugins: Linux devices and the simulated RAID array.
    let raid_state = std::env::temp_dir().join(format!("chroma-sim-raid-{}.state", env.name));
    let raid = shipped_plugins(&plugins, &raid_state)?;
    let stop_plugins = CancellationToken::new();
    let plugin_service = tokio::spawn(plugin_host::service::run(env.settings.clone(), stop_plugins.clone()));

    let shots = root.join("target/console-screenshots");
    std::fs::create_dir_all(&shots)?;
    let mut script = tokio::process::Command::new("node");
    script
        .arg(root.join("web/tests/console.mjs"))
        .current_dir(root.join("web"))
        .env("CHROMA_URL", &env.base)
        .env("CHROMA_USERNAME", "admin")
        .env("CHROMA_PASSWORD", ADMIN_PASSWORD)
        .env("CHROMIUM", &chromium)
        .env("LUSTRE_SIM", binary_dir()?.join("lustre-sim"))
        .env("SIM_STATE_DIR", &state)
        .env("SIM_RAID", &raid)
        .env("SIM_RAID_STATE", &raid_state)
        .env("SCREENSHOTS", &shots)
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        script.env("DOCS_SCREENSHOTS", root.join("docs/screenshots"));
    }
    let outcome = tokio::time::timeout(SCRIPT_TIMEOUT, script.status()).await;
    let status = match outcome {
        Ok(status) => status?,
        Err(_) => anyhow::bail!("the browser script ran past {SCRIPT_TIMEOUT:?}"),
    };
    assert!(
        status.success(),
        "the browser script failed ({status}); its output is above"
    );
    stop_plugins.cancel();
    plugin_service.await??;
    env.stop().await
}

/// What the browser's quota and HSM sections work on, made as an operator
/// would on a client: `demo` mounted on mds1 (through the API), a 12 MiB
/// file of uid 1000 (`/u/f`) and a 4 MiB file to archive (`/d/f`), and the
/// archive root `/srv/archive` on oss3, where the browser runs a copytool.
async fn files_for_quotas_and_hsm(
    env: &TestEnv,
    cluster: &lustre_sim::ClusterHandle,
    hosts: &[String],
    fs_id: Option<&str>,
) -> anyhow::Result<()> {
    let fs_id = fs_id.ok_or_else(|| anyhow::anyhow!("demo has no id"))?;
    let mount = serde_json::json!({"host_id": hosts[0], "filesystem_id": fs_id, "mountpoint": "/mnt/demo"});
    let (status, envelope) = env.post("/api/client_mount", &mount).await?;
    anyhow::ensure!(status == StatusCode::ACCEPTED, "client mount: {status} {envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    anyhow::ensure!(done["state"] == "succeeded", "client mount: {done}");
    let argv = |words: &[&str]| words.iter().map(|w| (*w).to_owned()).collect::<Vec<String>>();
    by_hand(
        env,
        &cluster.hosts[0],
        &[
            argv(&["mkdir", "/mnt/demo/u"]),
            argv(&["truncate", "-s", "12M", "/mnt/demo/u/f"]),
            argv(&["chown", "1000:1000", "/mnt/demo/u/f"]),
            argv(&["mkdir", "/mnt/demo/d"]),
            argv(&["truncate", "-s", "4M", "/mnt/demo/d/f"]),
        ],
    )
    .await?;
    by_hand(env, &cluster.hosts[3], &[argv(&["mkdir", "-p", "/srv/archive"])]).await
}

/// The API serves the console's files to anyone (they hold no data), every
/// page of the console as index.html so bookmarks open, and nothing else
/// without a login.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_is_served_beside_the_api() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    anyhow::ensure!(
        root.join("web/dist/index.html").is_file(),
        "the console is not built: run scripts/web.sh (scripts/test.sh does)"
    );
    let env = TestEnv::start("consolefiles").await?;
    let anonymous = reqwest::Client::new();
    for path in [
        "/",
        "/login",
        "/jobs/0190c1e2-0000-7000-8000-000000000000",
        "/configure/servers",
    ] {
        let response = anonymous.get(format!("{}{path}", env.base)).send().await?;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        let headers = response.headers().clone();
        assert_eq!(headers["cache-control"], "no-cache", "GET {path}");
        assert!(
            response.text().await?.contains("<div id=\"root\">"),
            "GET {path} is the console"
        );
    }
    let missing = anonymous
        .get(format!("{}/assets/gone-1234.js", env.base))
        .send()
        .await?;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let (status, _) = env.call(reqwest::Method::POST, "/dashboard", None, None).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "only reading is open outside the API");
    env.stop().await
}
