//! Chroma's HA lab from Rust: real Pacemaker/corosync nodes in namespaces
//! on this machine (`ha/lab/lab.sh`, docs/ha-lab.md), each with its own
//! sshd, whose Lustre commands run on lustre-sim and whose
//! `ocf:lustre:Lustre` agent is the project's own (`ha/ocf/Lustre`).
//!
//! The lab does not configure the cluster: a test (or Chroma) writes
//! corosync.conf over ssh and starts the units with `systemctl` (a shim in
//! each node). Needs root, Debian's pacemaker, corosync and openssh-server
//! packages, and a built `lustre-sim` (`cargo build -p lustre-sim`); a
//! missing prerequisite fails [`HaLab::setup`] naming it.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use integration_tests::ha_lab::HaLab;
//! let lab = HaLab::setup("demo", 2, None).await?;
//! let out = lab.ssh(1, "crm_node -n").await?;
//! assert_eq!(out.stdout.trim(), "lab1");
//! lab.teardown().await?;
//! # Ok(()) }
//! ```

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// How long `lab.sh setup` may take (it boots every node and waits for
/// their sshd).
const SETUP_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a graceful teardown may take (Pacemaker stops its resources).
const TEARDOWN_TIMEOUT: Duration = Duration::from_secs(240);
/// How long one command in a node, over ssh or nsenter, may take.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(150);

/// One node of the lab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabNode {
    /// 1-based, as `lab.sh` numbers nodes.
    pub index: usize,
    /// Host name, Pacemaker node name and lustre-sim host name (`lab1`).
    pub name: String,
    /// Address of its sshd (port 22) and corosync ring, reachable from
    /// this machine through the lab's bridge.
    pub address: Ipv4Addr,
    /// Its sshd's host-key fingerprint, `SHA256:…` as `ssh-keygen -lf`
    /// prints it.
    pub fingerprint: String,
}

/// What a command in a node printed and how it exited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabOutput {
    /// Exit status (-1: killed by a signal).
    pub status: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl LabOutput {
    /// Exited 0?
    pub fn success(&self) -> bool {
        self.status == 0
    }

    /// The output if it exited 0, else an error naming `what` with both
    /// streams.
    pub fn checked(self, what: &str) -> anyhow::Result<LabOutput> {
        if self.success() {
            Ok(self)
        } else {
            bail!(
                "{what} exited {}\nstdout: {}\nstderr: {}",
                self.status,
                self.stdout,
                self.stderr
            )
        }
    }
}

/// A running lab; [`HaLab::teardown`] stops it, and so (best effort,
/// keeping the directory for its logs) does dropping it.
#[derive(Debug)]
pub struct HaLab {
    dir: PathBuf,
    script: PathBuf,
    sim: PathBuf,
    nodes: Vec<LabNode>,
    torn_down: bool,
}

/// Where labs live: a root-owned directory outside `/tmp` and the clone.
const LAB_BASE: &str = "/var/lib/chroma-ha-lab";

impl HaLab {
    /// Creates a lab of `nodes` nodes (2..=9) in `/var/lib/chroma-ha-lab/NAME-PID`
    /// and boots them; their sshd accepts the lab's own key and, if given,
    /// `authorized_key` (an OpenSSH public-key line, e.g. Chroma's).
    pub async fn setup(name: &str, nodes: usize, authorized_key: Option<&str>) -> anyhow::Result<HaLab> {
        let bin = crate::processes::binary_dir()?;
        let sim = bin.join("lustre-sim");
        if !sim.exists() {
            bail!(
                "{} is missing: run `cargo build -p lustre-sim` before this test",
                sim.display()
            );
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ha/lab/lab.sh");
        let script = script
            .canonicalize()
            .with_context(|| format!("the lab script {} is missing", script.display()))?;
        let target = bin.parent().context("the binary directory has no parent")?;
        // Outside the clone: sshd's StrictModes refuses an authorized_keys
        // file below a world-writable directory, and a clone may sit in /tmp.
        std::fs::create_dir_all(LAB_BASE).with_context(|| format!("cannot create {LAB_BASE}"))?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(LAB_BASE, std::fs::Permissions::from_mode(0o755))?;
        }
        let dir = Path::new(LAB_BASE).join(format!("{name}-{}", std::process::id()));
        if dir.exists() {
            bail!("{} exists: a lab of an earlier run? tear it down first", dir.display());
        }
        let mut args = vec![
            "setup".to_owned(),
            dir.to_string_lossy().into_owned(),
            nodes.to_string(),
        ];
        let key_file = target.join(format!("ha-lab-{name}-{}.pub", std::process::id()));
        if let Some(key) = authorized_key {
            std::fs::write(&key_file, format!("{}\n", key.trim()))?;
            args.push(key_file.to_string_lossy().into_owned());
        }
        let out = run(
            Command::new(&script).args(&args).env("LUSTRE_SIM", &sim),
            None,
            SETUP_TIMEOUT,
        )
        .await
        .context("failed to run lab.sh setup");
        if authorized_key.is_some() {
            let _ = std::fs::remove_file(&key_file);
        }
        let out = out?;
        if !out.success() {
            bail!(
                "lab.sh setup failed (a missing prerequisite is named here):\n{}",
                out.stderr
            );
        }
        let mut lab = HaLab {
            dir,
            script,
            sim,
            nodes: Vec::new(),
            torn_down: false,
        };
        lab.nodes = parse_nodes(&out.stdout)?;
        if lab.nodes.len() != nodes {
            bail!(
                "lab.sh setup reported {} nodes, not {nodes}:\n{}",
                lab.nodes.len(),
                out.stdout
            );
        }
        Ok(lab)
    }

    /// The lab's directory: logs under `nN/log/`, `nN/log-pacemaker/`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The nodes, in order (`nodes()[0]` is node 1).
    pub fn nodes(&self) -> &[LabNode] {
        &self.nodes
    }

    /// Node `i` (1-based).
    pub fn node(&self, i: usize) -> anyhow::Result<&LabNode> {
        i.checked_sub(1)
            .and_then(|k| self.nodes.get(k))
            .with_context(|| format!("the lab has no node {i}"))
    }

    /// The lustre-sim state directory every node's wrappers share.
    pub fn sim_state_dir(&self) -> PathBuf {
        self.dir.join("sim")
    }

    /// The lustre-sim layout (JSON): every node sees the devices
    /// `/dev/sdb`…`/dev/sde` (serials `LABDISK00`…`LABDISK03`).
    pub fn sim_layout(&self) -> PathBuf {
        self.dir.join("sim-layout.json")
    }

    /// The lab's own private key, accepted by every node's sshd.
    pub fn identity(&self) -> PathBuf {
        self.dir.join("id_ed25519")
    }

    /// A known_hosts file naming every node (by name and address).
    pub fn known_hosts(&self) -> PathBuf {
        self.dir.join("known_hosts")
    }

    /// An ssh_config for `ssh -F`: hosts `lab1`… with the lab's key and
    /// strict host-key checking.
    pub fn ssh_config(&self) -> PathBuf {
        self.dir.join("ssh_config")
    }

    /// Runs a shell command line on node `i` over real ssh (root, the
    /// lab's key, the node's host key verified).
    pub async fn ssh(&self, i: usize, command: &str) -> anyhow::Result<LabOutput> {
        self.ssh_with_input(i, command, None).await
    }

    /// Like [`HaLab::ssh`], with `input` on the command's stdin.
    pub async fn ssh_with_input(&self, i: usize, command: &str, input: Option<&[u8]>) -> anyhow::Result<LabOutput> {
        let node = self.node(i)?;
        run(
            Command::new("ssh")
                .arg("-F")
                .arg(self.ssh_config())
                .arg(&node.name)
                .arg(command),
            input,
            COMMAND_TIMEOUT,
        )
        .await
        .with_context(|| format!("failed to ssh to {}", node.name))
    }

    /// Runs `argv` inside node `i` without ssh (nsenter into its
    /// namespaces).
    pub async fn exec(&self, i: usize, argv: &[&str]) -> anyhow::Result<LabOutput> {
        self.node(i)?;
        self.lab(
            &["exec", &self.dir.to_string_lossy(), &i.to_string()],
            argv,
            COMMAND_TIMEOUT,
        )
        .await
    }

    /// `systemctl stop pacemaker` in node `i`: Pacemaker moves its
    /// resources away, then exits (corosync keeps running).
    pub async fn stop_pacemaker(&self, i: usize) -> anyhow::Result<()> {
        self.step("stop-pacemaker", i).await
    }

    /// `systemctl start pacemaker` in node `i` (starting corosync first).
    pub async fn start_pacemaker(&self, i: usize) -> anyhow::Result<()> {
        self.step("start-pacemaker", i).await
    }

    /// Powers node `i` off: SIGKILL to its PID 1 kills every process in
    /// it at once; its Lustre mounts end in lustre-sim.
    pub async fn crash_node(&self, i: usize) -> anyhow::Result<()> {
        self.step("crash-node", i).await
    }

    /// Boots node `i` again (after [`HaLab::crash_node`]): fresh /run and
    /// /dev/shm, its disk (CIB, corosync.conf) kept, enabled units started.
    pub async fn start_node(&self, i: usize) -> anyhow::Result<()> {
        self.step("start-node", i).await
    }

    /// `lustre-sim show` of the lab's simulator: hosts, devices, mounts.
    pub async fn sim_show(&self) -> anyhow::Result<serde_json::Value> {
        let out = run(
            Command::new(&self.sim)
                .arg("--state-dir")
                .arg(self.sim_state_dir())
                .arg("show")
                .env("RUST_LOG", "warn"),
            None,
            COMMAND_TIMEOUT,
        )
        .await?
        .checked("lustre-sim show")?;
        serde_json::from_str(&out.stdout).context("lustre-sim show printed no JSON")
    }

    /// The node name a device (by serial, e.g. `LABDISK00`) is mounted
    /// on in lustre-sim, if any.
    pub async fn mounted_on(&self, serial: &str) -> anyhow::Result<Option<String>> {
        let shown = self.sim_show().await?;
        Ok(shown["mounts"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["serial"] == serial)
            .and_then(|m| m["host"].as_str())
            .map(str::to_owned))
    }

    /// Stops every node gracefully and removes the lab's network; the
    /// directory is removed too.
    pub async fn teardown(mut self) -> anyhow::Result<()> {
        self.torn_down = true;
        let dir = self.dir.to_string_lossy().into_owned();
        self.lab(&["teardown", &dir, "--purge"], &[], TEARDOWN_TIMEOUT)
            .await?
            .checked("lab.sh teardown")?;
        Ok(())
    }

    async fn step(&self, verb: &str, i: usize) -> anyhow::Result<()> {
        self.node(i)?;
        self.lab(
            &[verb, &self.dir.to_string_lossy(), &i.to_string()],
            &[],
            COMMAND_TIMEOUT,
        )
        .await?
        .checked(&format!("lab.sh {verb} {i}"))?;
        Ok(())
    }

    async fn lab(&self, args: &[&str], more: &[&str], timeout: Duration) -> anyhow::Result<LabOutput> {
        run(Command::new(&self.script).args(args).args(more), None, timeout)
            .await
            .with_context(|| format!("failed to run lab.sh {}", args.first().copied().unwrap_or_default()))
    }
}

impl Drop for HaLab {
    fn drop(&mut self) {
        if self.torn_down {
            return;
        }
        // Best effort, blocking: a panicking test still leaves no node,
        // netns or bridge behind. The directory stays for its logs.
        eprintln!("tearing down the HA lab in {} (kept for its logs)", self.dir.display());
        let _ = std::process::Command::new(&self.script)
            .arg("teardown")
            .arg(&self.dir)
            .stdin(Stdio::null())
            .status();
    }
}

/// Parses `lab.sh status`'s `node I NAME ADDRESS FINGERPRINT PID` lines.
fn parse_nodes(status: &str) -> anyhow::Result<Vec<LabNode>> {
    status
        .lines()
        .filter(|l| l.starts_with("node "))
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let [_, index, name, address, fingerprint, ..] = words[..] else {
                bail!("unexpected status line {line:?}");
            };
            Ok(LabNode {
                index: index.parse().with_context(|| format!("bad node index in {line:?}"))?,
                name: name.to_owned(),
                address: address.parse().with_context(|| format!("bad address in {line:?}"))?,
                fingerprint: fingerprint.to_owned(),
            })
        })
        .collect()
}

/// Runs a command to its end within `timeout` (killed after it).
async fn run(command: &mut Command, input: Option<&[u8]>, timeout: Duration) -> anyhow::Result<LabOutput> {
    command
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn()?;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin.write_all(input).await?;
        drop(stdin);
    }
    let out = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .with_context(|| format!("no answer within {timeout:?}"))??;
    Ok(LabOutput {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}
