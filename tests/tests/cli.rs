//! The `chroma` command line end to end, driven the way an operator would:
//! the built `target/debug/chroma` binary against the API in-process and a
//! simulated cluster (an MGS/MDS and an OSS failover pair). It logs in,
//! adds the servers, creates a file system, stops and starts it, fails an
//! OST over and back, fails two over and the file system back at once, and
//! removes it; along the way it checks the exit codes (0 done, 1 refused or
//! failed, 2 bad usage, 3 not logged in) and that each message reaches the
//! operator.

use integration_tests::TestEnv;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// How long one `chroma` call may take: it waits for the work it starts.
const CALL: Duration = Duration::from_secs(180);

/// What one `chroma` call did.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Fails unless the call exited with `code`.
    fn expect(self, code: i32, args: &[&str]) -> anyhow::Result<Self> {
        anyhow::ensure!(
            self.code == Some(code),
            "`chroma {}` exited {:?}, not {code}\n--- stdout\n{}\n--- stderr\n{}",
            args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        );
        Ok(self)
    }
}

/// An operator's shell: the server's URL and a config file of its own.
struct Operator {
    binary: PathBuf,
    url: String,
    config: PathBuf,
}

impl Operator {
    fn new(url: &str, config: PathBuf) -> anyhow::Result<Self> {
        Ok(Self {
            binary: integration_tests::cli::chroma_binary()?,
            url: url.to_owned(),
            config,
        })
    }

    /// Runs `chroma args`, writing `stdin` to it.
    async fn run_with(&self, args: &[&str], stdin: &str) -> anyhow::Result<Run> {
        let mut child = tokio::process::Command::new(&self.binary)
            .args(args)
            .env("CHROMA_URL", &self.url)
            .env("CHROMA_CONFIG", &self.config)
            .env_remove("CHROMA_TOKEN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        if let Some(mut input) = child.stdin.take() {
            input.write_all(stdin.as_bytes()).await?;
        }
        let output = tokio::time::timeout(CALL, child.wait_with_output())
            .await
            .map_err(|_| anyhow::anyhow!("`chroma {}` did not finish within {CALL:?}", args.join(" ")))??;
        Ok(Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    /// Runs `chroma args`; fails unless it exits with `code`.
    async fn exits(&self, code: i32, args: &[&str]) -> anyhow::Result<Run> {
        self.run_with(args, "").await?.expect(code, args)
    }

    /// Runs `chroma args`; fails unless it succeeds.
    async fn ok(&self, args: &[&str]) -> anyhow::Result<Run> {
        self.exits(0, args).await
    }

    /// Runs `chroma args --json`; its output parsed.
    async fn json(&self, args: &[&str]) -> anyhow::Result<Value> {
        let mut args = args.to_vec();
        args.push("--json");
        let run = self.ok(&args).await?;
        serde_json::from_str(&run.stdout)
            .map_err(|e| anyhow::anyhow!("`chroma {}` printed no JSON ({e}): {}", args.join(" "), run.stdout))
    }
}

/// The `objects` of a listing.
fn objects(listing: &Value) -> Vec<Value> {
    listing["objects"].as_array().cloned().unwrap_or_default()
}

/// Serials of the volumes seen by `count` hosts, one of them `host`, sorted.
fn serials(volumes: &Value, host: &str, count: usize) -> Vec<String> {
    let mut found: Vec<String> = objects(volumes)
        .iter()
        .filter(|v| {
            let nodes = v["nodes"].as_array().cloned().unwrap_or_default();
            nodes.len() == count && nodes.iter().any(|n| n["host"] == host)
        })
        .filter_map(|v| v["serial"].as_str().map(str::to_owned))
        .collect();
    found.sort();
    found
}

/// The simulator's devices.
fn devices(state: &Path) -> anyhow::Result<Vec<Value>> {
    Ok(lustre_sim::show(state)?["devices"]
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// Which simulated host has the target `label` mounted.
fn mounted_on(state: &Path, label: &str) -> anyhow::Result<Option<String>> {
    Ok(devices(state)?
        .iter()
        .find(|d| d["label"] == label)
        .and_then(|d| d["mounted_on"].as_str().map(str::to_owned)))
}

/// Target name → state, from `chroma target list --json`.
async fn target_states(operator: &Operator) -> anyhow::Result<Vec<(String, String)>> {
    let listing = operator.json(&["target", "list", "--filesystem", "fs1"]).await?;
    let mut states: Vec<(String, String)> = objects(&listing)
        .iter()
        .map(|t| {
            let text = |key: &str| t[key].as_str().unwrap_or_default().to_owned();
            (text("name"), text("state"))
        })
        .collect();
    states.sort();
    Ok(states)
}

/// Logging in, and what happens without it.
async fn logins(env: &TestEnv, dir: &Path, operator: &Operator) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;

    let login = ["login", "--username", "admin", "--password-stdin"];
    let run = operator
        .run_with(&login, &format!("{}\n", integration_tests::ADMIN_PASSWORD))
        .await?
        .expect(0, &login)?;
    assert!(run.stdout.contains("Logged in"), "{run:?}");
    let mode = std::fs::metadata(&operator.config)?.permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the config file holds a token");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&operator.config)?)?;
    let token = saved["token"].as_str().unwrap_or_default();
    assert!(!token.is_empty(), "no token saved: {saved}");
    assert!(
        !run.stdout.contains(token) && !run.stderr.contains(token),
        "the token was printed"
    );

    // A wrong password: not accepted, and the server says why.
    let stranger = Operator::new(&env.base, dir.join("stranger.json"))?;
    let run = stranger
        .run_with(&login, "not-the-password\n")
        .await?
        .expect(3, &login)?;
    assert!(run.stderr.contains("wrong user name or password"), "{run:?}");
    assert!(!stranger.config.exists(), "a failed login saved something");
    // Never logged in: told to.
    let run = stranger.exits(3, &["host", "list"]).await?;
    assert!(run.stderr.contains("chroma login"), "{run:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_runs_a_file_system_from_the_command_line() -> anyhow::Result<()> {
    let mut env = TestEnv::start("cli").await?;
    env.scheduler().await?;
    env.worker(8).await?;
    let (cluster, state) = env.simulated_cluster(&["mds1", "oss1", "oss2"]).await?;
    let dir = std::env::temp_dir().join(format!("chroma-cli-{}", env.name));
    std::fs::create_dir_all(&dir)?;
    let operator = Operator::new(&env.base, dir.join("chroma").join("cli.json"))?;
    logins(&env, &dir, &operator).await?;

    // The servers.
    for host in &cluster.hosts {
        let port = host.addr.port().to_string();
        let run = operator.ok(&["host", "add", "127.0.0.1", "--port", &port]).await?;
        assert!(run.stdout.contains(&host.name), "{run:?}");
    }
    let hosts = operator.json(&["host", "list"]).await?;
    let mut managed: Vec<String> = objects(&hosts)
        .iter()
        .filter(|h| h["state"] == "managed")
        .filter_map(|h| h["nodename"].as_str().map(str::to_owned))
        .collect();
    managed.sort();
    assert_eq!(managed, ["mds1", "oss1", "oss2"], "{hosts}");

    // A file system: MGT and MDT on mds1's own volumes, four OSTs on the
    // pair's shared ones, primaries alternating.
    let volumes = operator.json(&["volume", "list"]).await?;
    let own = serials(&volumes, "mds1", 1);
    let shared = serials(&volumes, "oss1", 2);
    assert!(own.len() >= 4 && shared.len() >= 4, "{volumes}");
    let osts: Vec<String> = shared[..4]
        .iter()
        .enumerate()
        .map(|(i, serial)| {
            let pair = if i % 2 == 0 { "oss1:oss2" } else { "oss2:oss1" };
            format!("{serial}:{pair}")
        })
        .collect();
    let mut create = vec!["filesystem", "create", "--name", "fs1"];
    create.extend(["--mgt", &own[0], "--mdt", &own[1]]);
    for ost in &osts {
        create.extend(["--ost", ost.as_str()]);
    }
    create.extend(["--param", "sys.timeout=40"]);
    // Pacemaker keeps the pair's OSTs: no file system on it until the
    // pair is an HA cluster that can start resources.
    let refused = operator.exits(1, &create).await?;
    assert!(refused.stderr.contains("belong to no HA cluster"), "{refused:?}");
    operator
        .exits(2, &["ha", "setup", "pair", "oss1", "oss2", "--fence", "oss1"])
        .await?;
    let setup = operator
        .ok(&[
            "ha",
            "setup",
            "pair",
            "oss1",
            "oss2",
            "--fence",
            "oss1=fence_lustre_sim",
            "--fence",
            "oss2=fence_lustre_sim",
        ])
        .await?;
    assert!(setup.stdout.contains("HA cluster pair is set up."), "{setup:?}");
    assert!(setup.stdout.contains("enabled, 2 device(s)"), "{setup:?}");
    assert!(setup.stdout.contains("Pacemaker node oss1.cluster"), "{setup:?}");
    let clusters = operator.json(&["ha", "list"]).await?;
    assert_eq!(objects(&clusters)[0]["quorate"], true, "{clusters}");
    let run = operator.ok(&create).await?;
    // Without a terminal the progress is one line per job change.
    let formats = run.stderr.lines().filter(|l| l.starts_with("✔ Format ")).count();
    assert_eq!(formats, 6, "six formats did not finish: {run:?}");
    assert!(run.stderr.contains("✔ Format MGS on mds1: succeeded"), "{run:?}");
    assert!(!run.stderr.contains('✘'), "a job failed: {run:?}");
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with('✔') && last.ends_with(": succeeded"), "{run:?}");
    assert!(run.stdout.contains("File system fs1 is available."), "{run:?}");
    assert!(run.stdout.contains("mount -t lustre"), "{run:?}");
    let formatted: Vec<Value> = devices(&state)?
        .into_iter()
        .filter(|d| d["format_count"].as_u64().unwrap_or(0) > 0)
        .collect();
    assert_eq!(formatted.len(), 6, "{formatted:?}");
    assert!(
        formatted.iter().all(|d| d["format_count"] == 1),
        "formatted twice: {formatted:?}"
    );
    for (i, primary) in ["oss1", "oss2", "oss1", "oss2"].iter().enumerate() {
        let label = format!("fs1-OST000{i}");
        assert_eq!(mounted_on(&state, &label)?.as_deref(), Some(*primary), "{label}");
    }

    // Stop and start.
    let run = operator.ok(&["filesystem", "stop", "fs1"]).await?;
    assert!(run.stdout.contains("File system fs1 stopped."), "{run:?}");
    assert_eq!(mounted_on(&state, "fs1-OST0000")?, None);
    assert!(target_states(&operator)
        .await?
        .contains(&("fs1-OST0002".into(), "unmounted".into())));
    operator.ok(&["filesystem", "start", "fs1"]).await?;
    let states = target_states(&operator).await?;
    assert_eq!(states.len(), 5, "{states:?}");
    assert!(states.iter().all(|(_, s)| s == "mounted"), "{states:?}");

    // An OST moves to its failover host and back.
    operator.ok(&["target", "failover", "fs1-OST0000"]).await?;
    assert_eq!(mounted_on(&state, "fs1-OST0000")?.as_deref(), Some("oss2"));
    let shown = operator.json(&["target", "show", "fs1-OST0000"]).await?;
    assert_eq!(shown["failed_over"], true, "{shown}");
    operator.ok(&["target", "failback", "fs1-OST0000"]).await?;
    assert_eq!(mounted_on(&state, "fs1-OST0000")?.as_deref(), Some("oss1"));

    // Two OSTs away at once come back with one command; then nothing is left.
    operator.ok(&["target", "failover", "fs1-OST0000"]).await?;
    operator.ok(&["target", "failover", "fs1-OST0001"]).await?;
    assert_eq!(mounted_on(&state, "fs1-OST0001")?.as_deref(), Some("oss1"));
    let dry = operator.ok(&["filesystem", "failback", "fs1", "--dry-run"]).await?;
    assert_eq!(dry.stdout.matches("Fail fs1-OST000").count(), 2, "{dry:?}");
    let run = operator.ok(&["filesystem", "failback", "fs1"]).await?;
    assert!(
        run.stdout.contains("Every target of fs1 is on its primary host."),
        "{run:?}"
    );
    assert_eq!(mounted_on(&state, "fs1-OST0000")?.as_deref(), Some("oss1"));
    assert_eq!(mounted_on(&state, "fs1-OST0001")?.as_deref(), Some("oss2"));
    let run = operator.ok(&["filesystem", "failback", "fs1"]).await?;
    assert!(run.stdout.contains("Nothing to do"), "{run:?}");

    // Bad usage, refusals and a change that asks first.
    operator.exits(2, &["filesystem", "frobnicate"]).await?;
    operator
        .exits(2, &["filesystem", "create", "--name", "fs2", "--mdt", &own[2]])
        .await?;
    let again = [
        "filesystem",
        "create",
        "--name",
        "fs1",
        "--mgs",
        "MGS",
        "--mdt",
        &own[2],
        "--ost",
        &own[3],
    ];
    let run = operator.exits(1, &again).await?;
    assert!(run.stderr.contains("file system fs1 already exists"), "{run:?}");
    let run = operator.exits(1, &["target", "show", "fs1-OST0009"]).await?;
    assert!(run.stderr.contains("no target \"fs1-OST0009\""), "{run:?}");
    let run = operator.exits(1, &["host", "lnet", "oss2", "down"]).await?;
    assert!(run.stderr.contains("again with --yes"), "{run:?}");
    assert_eq!(
        mounted_on(&state, "fs1-OST0001")?.as_deref(),
        Some("oss2"),
        "nothing changed"
    );

    // Removed: forgotten, its targets unmounted.
    let run = operator.ok(&["filesystem", "remove", "fs1", "--yes"]).await?;
    assert!(run.stdout.contains("File system fs1 removed."), "{run:?}");
    let listing = operator.json(&["filesystem", "list"]).await?;
    assert!(
        objects(&listing).iter().all(|f| f["state"] == "removed"),
        "fs1 is still live: {listing}"
    );
    for ost in ["fs1-OST0000", "fs1-OST0001", "fs1-OST0002", "fs1-OST0003"] {
        assert_eq!(mounted_on(&state, ost)?, None, "{ost}");
    }

    std::fs::remove_dir_all(&dir)?;
    cluster.shutdown().await;
    env.stop().await
}
