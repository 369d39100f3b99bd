//! `set_hsm_control`, `hsm_request`, `start_copytool`, `stop_copytool`
//! and `remove_copytool`: Lustre HSM. The coordinator is set persistently
//! from the MGS and read back on every MDT; a request is issued with `lfs`
//! on a mounted client and followed (`lfs hsm_state`, the MDT's
//! `hsm.actions`) to its end; a copytool is `lhsmtool_posix --daemon` on
//! its client host, found again with `pgrep -a -f` so a redelivered step
//! neither starts a second one nor loses the first. Each records what the
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

/// `set_hsm_control`.
pub async fn set_control(shared: &Shared, filesystem_id: Uuid, control: HsmControl) -> Result<Value, ActionError> {
    let fs = FilesystemRow::load(shared, filesystem_id).await?;
    let want = control.as_str();
    let mut ran = Vec::new();
    let before = read_status(shared, filesystem_id).await?;
    if before.control != want {
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
        let setting = format!("mdt.{}-MDT*.hsm_control={want}", fs.name);
        host.check(shared, &["lctl", "set_param", "-P", &setting]).await?;
        ran.push(format!("lctl set_param -P {setting}"));
    }
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
    let file = hsm::client_path(&mount.mountpoint, path);
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
    loop {
        let now = state(&host.check(shared, &["lfs", "hsm_state", &file]).await?)?;
        record(now.flags, now.archive_id).await?;
        let status = read_status(shared, filesystem_id).await?;
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
        tokio::time::sleep(POLL).await;
    }
}

/// What a copytool runs as.
struct Tool {
    filesystem_id: Uuid,
    host: Server,
    argv: Vec<String>,
}

async fn tool(shared: &Shared, id: Uuid) -> Result<Tool, ActionError> {
    let ct = store::hsm::copytool(&shared.db, id)
        .await
        .map_err(db_error("read the copytool"))?
        .ok_or_else(|| ActionError::Bug(format!("copytool {id} does not exist")))?;
    let host = Server::load(shared, ct.host_id).await?;
    let argv = vec![
        "lhsmtool_posix".to_string(),
        "--daemon".into(),
        "--hsm-root".into(),
        ct.archive_path.clone(),
        "--archive".into(),
        ct.archive_id.to_string(),
        ct.mountpoint.clone(),
    ];
    Ok(Tool {
        filesystem_id: ct.filesystem_id,
        host,
        argv,
    })
}

/// The pid of the copytool running as `argv`, per `pgrep -a -f`.
async fn running(shared: &Shared, t: &Tool) -> Result<Option<u32>, ActionError> {
    let out = t.host.exec(shared, &["pgrep", "-a", "-f", "lhsmtool_posix"]).await?;
    let cmdline = t.argv.join(" ");
    Ok(out.stdout.lines().find_map(|l| {
        let (pid, rest) = l.split_once(' ')?;
        (rest.trim() == cmdline).then(|| pid.parse().ok()).flatten()
    }))
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
            t.host.check(shared, &t.argv).await?;
            ran.push(t.argv.join(" "));
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
                    "{}: `{}` exited right after starting (the coordinator refused it: is HSM enabled on the file system?)",
                    t.host.name,
                    t.argv.join(" ")
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
    let _ = read_status(shared, t.filesystem_id).await;
    Ok(json!({ "host": t.host.name, "state": state, "ran": ran }))
}
