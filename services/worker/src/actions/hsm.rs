//! `set_hsm_control`, `hsm_request`, `start_copytool`, `stop_copytool`
//! and `remove_copytool`: Lustre HSM. The coordinator is set persistently
//! from the MGS and read back on every MDT; a request is issued with `lfs`
//! on a mounted client and followed (`lfs hsm_state`, the MDT's
//! `hsm.actions`) to its end; a copytool is `lhsmtool_posix --daemon
//! --pid-file …` on its client host, its output in a log file rather than
//! on the SSH channel, found again with `pgrep -a -f` so a redelivered
//! step neither starts a second one nor loses the first. Each records what the
//! servers show after it acted.

use std::time::{Duration, Instant};

use lustre::hsm::{self, HsmAction, HsmControl};
use serde_json::{json, Value};
use uuid::Uuid;

use super::servers::Server;
use super::step;
use super::targets::FilesystemRow;
use crate::error::{db_error, ActionError};
use crate::shared::Shared;

/// How long a request may take before the step gives up following it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(1800);
/// How long the coordinator has to show a new control word.
const CONTROL_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a started copytool has to show in `pgrep` (it registers with
/// the coordinator after `daemon()`, and exits if that fails).
const START_CHECK: Duration = Duration::from_secs(3);
const POLL: Duration = Duration::from_millis(500);
/// The longest wait between two looks at a request that is taking long.
const POLL_MAX: Duration = Duration::from_secs(5);

/// The wait before look number `n` (0-based) at a request: 500 ms, then
/// half as long again each time up to 5 s, so a quick request is seen
/// done at once and a long one costs a few commands a minute (each look
/// is an `lfs hsm_state` on the client and four `lctl get_param` per MDT).
fn request_poll(n: u32) -> Duration {
    let mut wait = POLL;
    for _ in 0..n {
        wait = wait.saturating_mul(3) / 2;
        if wait >= POLL_MAX {
            return POLL_MAX;
        }
    }
    wait
}

/// The hosts the file system's MDTs are mounted on, with the MDT names.
async fn mdt_hosts(shared: &Shared, filesystem_id: Uuid) -> Result<Vec<(String, Server)>, ActionError> {
    let targets = store::targets::views(
        &shared.db,
        store::targets::TargetSelection::Matching {
            filesystem_id: Some(filesystem_id),
            kind: Some("mdt".into()),
            state: None,
            host_id: None,
        },
    )
    .await
    .map_err(db_error("read the MDTs"))?;
    let mut out = Vec::new();
    for t in targets {
        let Some(host_id) = t.active_host_id else {
            return Err(ActionError::Refused(format!("{} is not mounted anywhere", t.name)));
        };
        out.push((t.name.clone(), Server::load(shared, host_id).await?));
    }
    if out.is_empty() {
        return Err(ActionError::Refused("the file system has no MDT".into()));
    }
    Ok(out)
}

/// Reads every MDT's coordinator and records it; returns the status.
async fn read_status(shared: &Shared, filesystem_id: Uuid) -> Result<store::hsm::StatusRow, ActionError> {
    let mut controls = Vec::new();
    let (mut agents, mut actions, mut active) = (String::new(), String::new(), String::new());
    for (mdt, host) in mdt_hosts(shared, filesystem_id).await? {
        let param = |p: &str| format!("mdt.{mdt}.{p}");
        let control = host
            .check(shared, &["lctl", "get_param", "-n", &param("hsm_control")])
            .await?;
        controls.push(control.trim().to_string());
        agents.push_str(
            &host
                .check(shared, &["lctl", "get_param", "-n", &param("hsm.agents")])
                .await?,
        );
        actions.push_str(
            &host
                .check(shared, &["lctl", "get_param", "-n", &param("hsm.actions")])
                .await?,
        );
        active.push_str(
            &host
                .check(shared, &["lctl", "get_param", "-n", &param("hsm.active_requests")])
                .await?,
        );
    }
    controls.dedup();
    let status = store::hsm::StatusRow {
        control: if controls.len() == 1 {
            controls.remove(0)
        } else {
            format!("mixed ({})", controls.join(", "))
        },
        agents,
        actions,
        active_requests: active,
        read_at: chrono::Utc::now(),
    };
    store::hsm::record_status(&shared.db, filesystem_id, &status)
        .await
        .map_err(db_error("record the HSM status"))?;
    Ok(status)
}

/// `set_hsm_control`: `enabled`, `disabled` and `shutdown` are set with
/// `lctl set_param -P` from the MGS every time, even when the MDTs already
/// show the word (it may have been set there without `-P`, which an MDT
/// restart forgets), then awaited on every MDT; `purge` is run once on
/// each MDT's host without `-P` (a persistent purge would replay at every
/// MDT start, cancelling whatever was queued).
pub async fn set_control(shared: &Shared, filesystem_id: Uuid, control: HsmControl) -> Result<Value, ActionError> {
    let fs = FilesystemRow::load(shared, filesystem_id).await?;
    let setting = format!("mdt.{}-MDT*.hsm_control={}", fs.name, control.as_str());
    let mut ran = Vec::new();
    let Some(want) = control.shown() else {
        let mut done: Vec<String> = Vec::new();
        for (_, host) in mdt_hosts(shared, filesystem_id).await? {
            if done.contains(&host.name) {
                continue;
            }
            host.check(shared, &["lctl", "set_param", &setting]).await?;
            ran.push(format!("{}: lctl set_param {setting}", host.name));
            done.push(host.name.clone());
        }
        let status = read_status(shared, filesystem_id).await?;
        return Ok(json!({ "filesystem": fs.name, "control": status.control, "ran": ran }));
    };
    let before = read_status(shared, filesystem_id).await?;
    if control == HsmControl::Disabled && before.control == "stopped" {
        return Err(ActionError::Refused(format!(
            "the HSM coordinator of {} is stopped; enable it first (a stopped coordinator cannot be disabled)",
            fs.name
        )));
    }
    let views = store::targets::views(&shared.db, store::targets::TargetSelection::Id(fs.mgs_id))
        .await
        .map_err(db_error("read the MGS"))?;
    let Some(host_id) = views.first().and_then(|t| t.active_host_id) else {
        return Err(ActionError::Refused(format!("the MGS of {} is not mounted", fs.name)));
    };
    let host = Server::load(shared, host_id).await?;
    host.check(shared, &["lctl", "set_param", "-P", &setting]).await?;
    ran.push(format!("lctl set_param -P {setting}"));
    let started = Instant::now();
    loop {
        let status = read_status(shared, filesystem_id).await?;
        if status.control == want {
            return Ok(json!({ "filesystem": fs.name, "control": status.control, "ran": ran }));
        }
        if started.elapsed() > CONTROL_TIMEOUT {
            return Err(ActionError::Refused(format!(
                "the MDTs of {} still show hsm_control={} after {}s",
                fs.name,
                status.control,
                CONTROL_TIMEOUT.as_secs()
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// `hsm_request`.
pub async fn request(
    shared: &Shared,
    filesystem_id: Uuid,
    client_mount_id: Uuid,
    action: HsmAction,
    path: &str,
    archive_id: Option<u32>,
) -> Result<Value, ActionError> {
    hsm::check_hsm_path(path).map_err(|e| ActionError::Bug(format!("path: {e}")))?;
    let mount = store::client_mounts::view(&shared.db, client_mount_id)
        .await
        .map_err(db_error("read the client mount"))?
        .ok_or_else(|| ActionError::Bug(format!("client mount {client_mount_id} does not exist")))?;
    let host = Server::load(shared, mount.host_id).await?;
    let file = resolve_under(
        shared,
        &host,
        &mount.mountpoint,
        &hsm::client_path(&mount.mountpoint, path),
    )
    .await?;
    let fid = host.check(shared, &["lfs", "path2fid", &file]).await?;
    let fid = fid.trim().trim_matches(|c| c == '[' || c == ']').to_string();
    let state = |out: &str| {
        hsm::parse_hsm_state(out.lines().next().unwrap_or_default())
            .ok_or_else(|| ActionError::Command(format!("{}: cannot read `lfs hsm_state {file}`: {out}", host.name)))
    };
    let record = |flags: u32, id: u32| {
        let fid = fid.clone();
        async move {
            store::hsm::record_file(
                &shared.db,
                filesystem_id,
                path,
                Some(&fid),
                i32::try_from(flags).unwrap_or(i32::MAX),
                i32::try_from(id).unwrap_or(0),
            )
            .await
            .map_err(db_error("record the file's HSM state"))
        }
    };
    let now = state(&host.check(shared, &["lfs", "hsm_state", &file]).await?)?;
    record(now.flags, now.archive_id).await?;
    let mut ran = Vec::new();
    // Pending records of ours before the request: a redelivered step
    // follows the request already made rather than making another.
    let word = action.coordinator_word();
    let pending = |text: &str| {
        hsm::parse_actions(text).into_iter().any(|r| {
            r.fid == fid && Some(r.action.as_str()) == word && matches!(r.status.as_str(), "WAITING" | "STARTED")
        })
    };
    let status = read_status(shared, filesystem_id).await?;
    if !action.done(now.flags) && !pending(&status.actions) {
        let id_text = archive_id.map(|id| id.to_string());
        let mut argv = vec!["lfs", action.lfs_command()];
        if let Some(id) = &id_text {
            argv.extend(["-a", id.as_str()]);
        }
        argv.push(file.as_str());
        host.check(shared, &argv).await?;
        ran.push(super::servers::shown(&argv));
    }
    let started = Instant::now();
    let mut status = status;
    let mut looks: u32 = 0;
    loop {
        let now = state(&host.check(shared, &["lfs", "hsm_state", &file]).await?)?;
        record(now.flags, now.archive_id).await?;
        // The request holds no MDT lock: an MDT may be stopped or failing
        // over while it is followed. The coordinator keeps its queue, so
        // the step looks again rather than failing.
        match read_status(shared, filesystem_id).await {
            Ok(s) => status = s,
            Err(ActionError::Refused(why)) => {
                tracing::info!(file = %file, "cannot read the coordinator now: {why}");
            }
            Err(e) => return Err(e),
        }
        if action.done(now.flags) {
            return Ok(json!({
                "host": host.name,
                "file": file,
                "fid": fid,
                "flags": format!("{:#x}", now.flags),
                "states": now.words(),
                "archive_id": now.archive_id,
                "ran": ran,
            }));
        }
        let ours: Vec<_> = hsm::parse_actions(&status.actions)
            .into_iter()
            .filter(|r| r.fid == fid && Some(r.action.as_str()) == word)
            .collect();
        if let Some(last) = ours.last() {
            if matches!(last.status.as_str(), "FAILED" | "CANCELED") {
                return Err(ActionError::Command(format!(
                    "the coordinator reports the {} of {file} (cookie {}) {}",
                    last.action, last.cookie, last.status
                )));
            }
        }
        if started.elapsed() > REQUEST_TIMEOUT {
            let last = ours.last().map_or("no record".to_string(), |r| r.status.clone());
            return Err(ActionError::Refused(format!(
                "the {} of {file} is not done after {}s (coordinator: {last}, hsm_control {})",
                action.as_str(),
                REQUEST_TIMEOUT.as_secs(),
                status.control
            )));
        }
        tokio::time::sleep(request_poll(looks)).await;
        looks = looks.saturating_add(1);
    }
}

/// `realpath -e -- FILE` on the client host: `FILE` with its symbolic
/// links resolved, which must still lie under `mountpoint`. A path is
/// joined to the mount point as given; a symlinked directory in it could
/// lead into another file system mounted on the same host, and the
/// command would then act there. (Another file system mounted below the
/// mount point is not caught.)
pub(super) async fn resolve_under(
    shared: &Shared,
    host: &Server,
    mountpoint: &str,
    file: &str,
) -> Result<String, ActionError> {
    let out = host.exec(shared, &["realpath", "-e", "--", file]).await?;
    if out.exit_status != Some(0) {
        return Err(ActionError::Refused(format!(
            "{}: cannot resolve {file}: {}",
            host.name,
            out.stderr.trim()
        )));
    }
    let resolved = out.stdout.trim_end_matches('\n');
    if !inside(resolved, mountpoint) {
        return Err(ActionError::Refused(format!(
            "{}: {file} resolves to {resolved}, outside the client mount {mountpoint} (a symbolic link leads out of the file system); nothing was done to it",
            host.name
        )));
    }
    Ok(resolved.to_string())
}

/// Whether `resolved` is `mountpoint` or names something below it (a
/// data job may name the file system's root).
fn inside(resolved: &str, mountpoint: &str) -> bool {
    let mountpoint = mountpoint.trim_end_matches('/');
    !resolved.contains('\n')
        && (resolved == mountpoint
            || resolved
                .strip_prefix(mountpoint)
                .is_some_and(|rest| rest.starts_with('/')))
}

/// What a copytool runs as.
struct Tool {
    filesystem_id: Uuid,
    host: Server,
    argv: Vec<String>,
    log: String,
}

async fn tool(shared: &Shared, id: Uuid) -> Result<Tool, ActionError> {
    let ct = store::hsm::copytool(&shared.db, id)
        .await
        .map_err(db_error("read the copytool"))?
        .ok_or_else(|| ActionError::Bug(format!("copytool {id} does not exist")))?;
    let host = Server::load(shared, ct.host_id).await?;
    Ok(Tool {
        filesystem_id: ct.filesystem_id,
        host,
        argv: hsm::copytool_argv(id, &ct.archive_path, ct.archive_id, &ct.mountpoint),
        log: hsm::copytool_log(id),
    })
}

impl Tool {
    /// The shell line that starts it detached from the SSH channel: stdin
    /// from `/dev/null`, stdout and stderr appended to its log. 2.15's
    /// `ct_run` calls `daemon(1, 1)`, which keeps the descriptors: on the
    /// channel they would hold it open until the daemon ends. Every word
    /// is quoted.
    fn start_line(&self) -> Result<String, ActionError> {
        let quoted = |argv: &[&str]| {
            chroma_ssh::command_line(argv).map_err(|e| ActionError::Bug(format!("copytool command line: {e}")))
        };
        let argv: Vec<&str> = self.argv.iter().map(String::as_str).collect();
        Ok(format!(
            "{} </dev/null >>{} 2>&1",
            quoted(&argv)?,
            quoted(&[self.log.as_str()])?
        ))
    }
}

/// The pid of the copytool running as `argv`, per `pgrep -a -f`.
async fn running(shared: &Shared, t: &Tool) -> Result<Option<u32>, ActionError> {
    let out = t.host.exec(shared, &["pgrep", "-a", "-f", "lhsmtool_posix"]).await?;
    Ok(hsm::copytool_pid(&out.stdout, &t.argv))
}

async fn record_tool(shared: &Shared, id: Uuid, state: &str, pid: Option<u32>) -> Result<(), ActionError> {
    let pid = pid.and_then(|p| i32::try_from(p).ok());
    step::update(&shared.db, "record the copytool", |fence| {
        store::hsm::record_copytool(&shared.db, fence, id, state, pid)
    })
    .await?;
    Ok(())
}

/// `start_copytool`.
pub async fn start(shared: &Shared, id: Uuid) -> Result<Value, ActionError> {
    let t = tool(shared, id).await?;
    let mut ran = Vec::new();
    let pid = match running(shared, &t).await? {
        Some(pid) => pid,
        None => {
            let line = t.start_line()?;
            t.host.check(shared, &["sh", "-c", line.as_str()]).await?;
            ran.push(format!("sh -c {line}"));
            let since = Instant::now();
            let mut seen = None;
            // It must still be there a moment later: a refused
            // registration ends the daemon after the shell returned.
            while since.elapsed() < START_CHECK {
                tokio::time::sleep(POLL).await;
                seen = running(shared, &t).await?;
                if seen.is_none() {
                    break;
                }
            }
            seen.ok_or_else(|| {
                ActionError::Refused(format!(
                    "{}: `{}` exited right after starting (the coordinator refused it: is HSM enabled on the file system? see {})",
                    t.host.name,
                    t.argv.join(" "),
                    t.log
                ))
            })?
        }
    };
    record_tool(shared, id, "started", Some(pid)).await?;
    let _ = read_status(shared, t.filesystem_id).await;
    Ok(json!({ "host": t.host.name, "pid": pid, "ran": ran }))
}

/// `stop_copytool` (`remove` false) and `remove_copytool`.
pub async fn stop(shared: &Shared, id: Uuid, remove: bool) -> Result<Value, ActionError> {
    let t = tool(shared, id).await?;
    let mut ran = Vec::new();
    let since = Instant::now();
    while let Some(pid) = running(shared, &t).await? {
        if since.elapsed() > CONTROL_TIMEOUT {
            return Err(ActionError::Refused(format!(
                "{}: copytool {pid} is still running after kill",
                t.host.name
            )));
        }
        let pid = pid.to_string();
        if ran.is_empty() {
            t.host.exec(shared, &["kill", pid.as_str()]).await?;
            ran.push(format!("kill {pid}"));
        }
        tokio::time::sleep(POLL).await;
    }
    let state = if remove { "removed" } else { "stopped" };
    record_tool(shared, id, state, None).await?;
    // Not running as asked: nothing is down any more.
    store::alerts::clear(
        &shared.db,
        &store::alerts::AlertKind::CopytoolFailed,
        &lustre::Item::Copytool(id),
    )
    .await
    .map_err(db_error("clear the copytool's alert"))?;
    let _ = read_status(shared, t.filesystem_id).await;
    Ok(json!({ "host": t.host.name, "state": state, "ran": ran }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resolved_path_must_stay_under_the_mount_point() {
        assert!(inside("/mnt/fs1/d/f", "/mnt/fs1"));
        assert!(inside("/mnt/fs1/d/f", "/mnt/fs1/"));
        assert!(!inside("/mnt/fs2/d/f", "/mnt/fs1"));
        assert!(!inside("/mnt/fs10/f", "/mnt/fs1"));
        assert!(inside("/mnt/fs1", "/mnt/fs1"));
        assert!(!inside("/etc/passwd", "/mnt/fs1"));
        assert!(inside("/d/f", "/"));
    }

    #[test]
    fn a_long_request_is_looked_at_less_and_less_often() {
        assert_eq!(request_poll(0), Duration::from_millis(500));
        assert_eq!(request_poll(1), Duration::from_millis(750));
        assert!(request_poll(3) > request_poll(2));
        assert_eq!(request_poll(6), POLL_MAX);
        assert_eq!(request_poll(u32::MAX), POLL_MAX);
        // Thirty minutes of polling: a few hundred looks, not 3600.
        let (mut looks, mut waited) = (0u32, Duration::ZERO);
        while waited < REQUEST_TIMEOUT {
            waited += request_poll(looks);
            looks += 1;
        }
        assert!(looks < 400, "{looks} looks");
    }
}
