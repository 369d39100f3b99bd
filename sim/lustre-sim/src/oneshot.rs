//! One command, one process: `lustre-sim exec HOST -- COMMAND ARGS…` loads
//! the persisted state, runs one command of `HOST` through the same
//! dispatch the SSH server uses ([`crate::commands::dispatch`], with the
//! faults applied as [`crate::exec::Simulator`] applies them), saves the
//! state if it changed and reports what the command printed.
//!
//! This is how real machines run the simulator's commands: the HA lab's
//! nodes have `mount`, `lctl`, `mkfs.lustre`, … wrappers that call it, so
//! Pacemaker's resource agent and Chroma's agent see one shared set of
//! simulated devices. Load, run and save happen under an exclusive lock on
//! [`LOCK_FILE`], so two hosts' concurrent commands never lose an update.
//!
//! Do not point a serving simulator (`lustre-sim serve`) and `exec` at the
//! same state directory at once: the server keeps the state in memory.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;

use crate::commands::{self, Context, Output};
use crate::faults::Faults;
use crate::layout::Layout;
use crate::state::{now_micros, ClusterState, StateStore};

/// File in the state directory that `exec` holds locked while it runs.
pub const LOCK_FILE: &str = "exec.lock";

/// Exit status of a command on a host that a `down` fault took down
/// (what `ssh` returns when it cannot connect).
pub const HOST_DOWN_STATUS: u32 = 255;

/// The layout named on the command line: a `--config` file, the default
/// layout of `--hosts`, or none (an existing state directory).
pub fn layout_from(config: Option<&Path>, hosts: &[String]) -> anyhow::Result<Option<Layout>> {
    match (config, hosts.is_empty()) {
        (Some(path), _) => Layout::from_file(path).map(Some),
        (None, false) => Ok(Some(Layout::default_for(hosts))),
        (None, true) => Ok(None),
    }
}

/// Runs `argv` on `host` against the state in `state_dir` (created from
/// `layout` when the directory holds none), saving any change.
pub fn exec(state_dir: &Path, layout: Option<&Layout>, host: &str, argv: &[String]) -> anyhow::Result<Output> {
    let store = StateStore::new(state_dir)?;
    let faults = Faults::load(state_dir).unwrap_or_else(|e| {
        tracing::warn!(error = %format!("{e:#}"), "ignoring unreadable faults file");
        Faults::default()
    });
    if faults.host(host).down {
        return Ok(Output::fail(
            format!("lustre-sim: host {host} is down\n"),
            HOST_DOWN_STATUS,
        ));
    }
    let slow_ms = faults.host(host).slow_ms;
    if slow_ms > 0 {
        std::thread::sleep(Duration::from_millis(slow_ms));
    }
    let _lock = lock(state_dir)?;
    let (mut state, mut changed) = match store.load()? {
        Some(state) => {
            check_hosts(&state, layout)?;
            (state, false)
        }
        None => {
            let layout = layout.with_context(|| format!("{} holds no cluster; name its hosts", state_dir.display()))?;
            layout.validate()?;
            (ClusterState::from_layout(layout), true)
        }
    };
    if state.host(host).is_none() {
        anyhow::bail!("the cluster in {} has no host {host}", state_dir.display());
    }
    changed |= crate::effects::apply(&mut state, &faults, now_micros());
    let out = run(&mut state, &faults, host, argv, &mut changed);
    if changed {
        store.save(&state)?;
    }
    Ok(out)
}

/// Runs one command as the server does: a pending `fail-next` fault for it
/// fails it once, otherwise it is dispatched.
fn run(state: &mut ClusterState, faults: &Faults, host: &str, argv: &[String], changed: &mut bool) -> Output {
    let Some(name) = argv.first() else {
        return Output::default();
    };
    let base = command_name(argv).unwrap_or(name).to_string();
    let injected = faults
        .host(host)
        .fail_next
        .into_iter()
        .find(|f| f.command == base && !state.consumed_faults.contains(&f.id));
    if let Some(fault) = injected {
        state.consumed_faults.insert(fault.id);
        *changed = true;
        return Output::fail(format!("{base}: Input/output error\n"), 1);
    }
    // Only a command naming /dev/stdin (`install … /dev/stdin PATH`) reads
    // it; any other leaves it alone (it may be a terminal or an open pipe).
    let stdin = argv.iter().any(|a| commands::reads_stdin_word(a)).then(read_stdin);
    let before = (!commands::is_read_only(argv)).then(|| state.clone());
    let mut ctx = Context {
        host: host.to_string(),
        state,
        faults: faults.clone(),
    };
    let out = commands::dispatch_with_stdin(argv, &mut ctx, stdin.as_deref());
    *changed |= before.is_some_and(|before| *ctx.state != before);
    out
}

fn read_stdin() -> String {
    use std::io::Read as _;
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        tracing::warn!(error = %e, "failed to read stdin");
    }
    text
}

/// The base name of the command, looking through `flock` (as the server
/// does for `fail-next` faults).
fn command_name(argv: &[String]) -> Option<&str> {
    let name = argv.first()?;
    let base = name.rsplit('/').next().unwrap_or(name);
    match commands::flock::command(&argv[1..]) {
        Ok(inner) if base == "flock" => command_name(inner),
        _ => Some(base),
    }
}

/// An existing state must hold the hosts the layout names, in order.
fn check_hosts(state: &ClusterState, layout: Option<&Layout>) -> anyhow::Result<()> {
    let Some(layout) = layout else {
        return Ok(());
    };
    let have: Vec<&str> = state.hosts.iter().map(|h| h.name.as_str()).collect();
    let want: Vec<&str> = layout.hosts.iter().map(|h| h.name.as_str()).collect();
    if have != want {
        anyhow::bail!("the state directory holds hosts {have:?}, not {want:?}");
    }
    Ok(())
}

/// Takes the exclusive lock of the state directory (blocking); it is held
/// until the returned file is dropped.
fn lock(state_dir: &Path) -> anyhow::Result<File> {
    let path = state_dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("failed to open {}", path.display()))?;
    file.lock()
        .with_context(|| format!("failed to lock {}", path.display()))?;
    Ok(file)
}

/// Writes what a command printed to this process's stdout and stderr and
/// returns its exit status, for `std::process::exit`.
pub fn print(out: &Output) -> i32 {
    use std::io::Write as _;
    let _ = std::io::stdout().write_all(out.stdout.as_bytes());
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().write_all(out.stderr.as_bytes());
    let _ = std::io::stderr().flush();
    i32::try_from(out.code.min(255)).unwrap_or(255)
}
