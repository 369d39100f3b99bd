//! `probe_host`: reach a host over SSH, pin its host key on first contact
//! (or check the one given when it was added), and record what it is: node
//! name, kernel, Lustre version and the block devices it sees. Running it
//! again refreshes the same rows, so a redelivered step changes nothing.

use chroma_ssh::{Fingerprint, HostKeyPolicy, Session};
use serde_json::{json, Value};
use uuid::Uuid;

use super::lsblk::{self, Disk};
use super::servers::{host_key_changed, Server};
use super::{lnet, preflight, step};
use crate::error::{db_error, ActionError};
use crate::shared::Shared;

pub async fn run(shared: &Shared, host_id: Uuid) -> Result<Value, ActionError> {
    let mut host = Server::load(shared, host_id).await?;
    if host.fingerprint.is_none() {
        host.fingerprint = Some(pin_host_key(shared, &host).await?);
    }
    let nodename = host.check(shared, &["hostname"]).await?.trim().to_owned();
    let kernel = host.check(shared, &["uname", "-r"]).await?.trim().to_owned();
    // A server without Lustre installed is still a host; it has no version.
    let lustre = host.exec(shared, &["lctl", "--version"]).await?;
    let lustre_version = lustre.success().then(|| lustre_version(&lustre.stdout)).flatten();
    let devices = lsblk::disks(shared, &host).await?;
    let ha = ha_stack(shared, &host).await?;
    record(shared, host_id, &nodename, &kernel, lustre_version.as_deref(), &devices).await?;
    record_ha(shared, host_id, &ha).await?;
    let lnet = lnet::refresh(shared, &host).await?;
    let preflight = preflight::run(shared, &host, &kernel).await?;
    Ok(json!({
        "nodename": nodename,
        "fingerprint": host.fingerprint.as_ref().map(Fingerprint::as_str),
        "kernel": kernel,
        "lustre_version": lustre_version,
        "volumes": devices.len(),
        "lnet": lnet,
        "pacemaker": ha.pacemaker.version(),
        "corosync": ha.corosync.version(),
        "ha_node": ha.node,
        "preflight": preflight,
    }))
}

/// Whether a tool is installed, as its version command tells.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Known {
    /// Its version's first line.
    Installed(String),
    /// `command not found` (127).
    Missing,
    /// It answered something else: what was recorded before stands.
    Unknown,
}

impl Known {
    fn version(&self) -> Option<String> {
        match self {
            Known::Installed(v) => Some(v.clone()),
            _ => None,
        }
    }
}

/// `Installed` with the first line a version command printed, `Missing`
/// when the command does not exist.
fn installed(out: chroma_ssh::ExecOutput) -> Known {
    match out.exit_status {
        Some(127) => Known::Missing,
        Some(0) => match out.stdout.lines().next().map(str::trim).filter(|l| !l.is_empty()) {
            Some(line) => Known::Installed(line.to_owned()),
            None => Known::Unknown,
        },
        _ => Known::Unknown,
    }
}

/// What a host has of the HA stack.
struct HaStack {
    pacemaker: Known,
    corosync: Known,
    /// Its Pacemaker node name, when Pacemaker runs there already.
    node: Option<String>,
}

/// Whether Pacemaker and corosync are installed (`crm_mon --version`,
/// `corosync -v`), and the node name of a Pacemaker already running.
async fn ha_stack(shared: &Shared, host: &Server) -> Result<HaStack, ActionError> {
    let first_line = |out: chroma_ssh::ExecOutput| {
        out.success()
            .then(|| out.stdout.lines().next().map(|l| l.trim().to_owned()))
            .flatten()
            .filter(|l| !l.is_empty())
    };
    let pacemaker = installed(host.exec(shared, &["crm_mon", "--version"]).await?);
    let corosync = installed(host.exec(shared, &["corosync", "-v"]).await?);
    let node = match pacemaker {
        Known::Installed(_) => first_line(host.exec(shared, &["crm_node", "-n"]).await?),
        _ => None,
    };
    Ok(HaStack {
        pacemaker,
        corosync,
        node,
    })
}

/// Records the host's HA stack; a version is kept when its command gave
/// no clear answer, and a node name when Pacemaker is only down for now.
async fn record_ha(shared: &Shared, host_id: Uuid, ha: &HaStack) -> Result<(), ActionError> {
    let seen = store::hosts::HaStackSeen {
        pacemaker_version: ha.pacemaker.version(),
        pacemaker_unknown: ha.pacemaker == Known::Unknown,
        corosync_version: ha.corosync.version(),
        corosync_unknown: ha.corosync == Known::Unknown,
        ha_node: ha.node.clone(),
    };
    step::update(&shared.db, "record the host's HA stack", |fence| {
        store::hosts::record_ha_stack(&shared.db, fence, host_id, &seen)
    })
    .await?;
    Ok(())
}

/// First contact: accept the key the server shows and pin it. If another
/// probe pinned a different key meanwhile, that one stands and this one is
/// reported as a changed key.
async fn pin_host_key(shared: &Shared, host: &Server) -> Result<Fingerprint, ActionError> {
    let target = &host.target;
    let (session, seen) = Session::connect(
        target,
        shared.ssh.key(),
        HostKeyPolicy::TrustFirstUse,
        &shared.ssh.config().timeouts,
    )
    .await
    .map_err(|source| ActionError::Ssh {
        context: target.to_string(),
        source: Box::new(source),
    })?;
    let _ = session.close().await;
    // Only the first pin counts: a concurrent probe cannot replace it.
    let stored = store::hosts::pin_fingerprint(&shared.db, host.id, seen.as_str())
        .await
        .map_err(db_error("pin the host key"))?
        .ok_or_else(|| ActionError::Bug(format!("host {} disappeared", host.id)))?;
    if stored != seen.as_str() {
        host_key_changed(shared, host.id, &host.name, &stored, seen.as_str()).await?;
        return Err(ActionError::Refused(format!(
            "host key of {} changed: expected {stored}, server presented {}; refusing to connect",
            host.name,
            seen.as_str()
        )));
    }
    Fingerprint::parse(&stored).map_err(|e| ActionError::Bug(format!("bad stored fingerprint: {e}")))
}

/// `lctl 2.15.3` → `2.15.3`.
fn lustre_version(stdout: &str) -> Option<String> {
    stdout.split_whitespace().last().map(str::to_owned)
}

/// Records the host as managed with its volumes, in one transaction.
async fn record(
    shared: &Shared,
    host_id: Uuid,
    nodename: &str,
    kernel: &str,
    lustre_version: Option<&str>,
    devices: &[Disk],
) -> Result<(), ActionError> {
    use sea_orm::TransactionTrait;
    let fail = db_error("record the host");
    let tx = shared.db.begin().await.map_err(&fail)?;
    step::update(&tx, "record the host", |fence| {
        store::hosts::record_managed(&tx, fence, host_id, nodename, kernel, lustre_version)
    })
    .await?;
    // One row per volume: two paths to one LUN must not make the upsert
    // touch a row twice (PostgreSQL refuses that).
    let mut unique: Vec<&Disk> = Vec::new();
    for d in devices {
        if !unique.iter().any(|u| u.serial == d.serial) {
            unique.push(d);
        }
    }
    // The device node as lsblk and `mount` name it here; actions resolve
    // the stable by-id path when they act (see `lsblk`).
    let seen: Vec<store::volumes::SeenVolume> = unique
        .iter()
        .map(|d| store::volumes::SeenVolume {
            serial: d.serial.clone(),
            size_bytes: d.size,
            path: d.device.clone(),
        })
        .collect();
    store::volumes::replace_on_host(&tx, host_id, &seen)
        .await
        .map_err(&fail)?;
    tx.commit().await.map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_lustre_version() {
        assert_eq!(lustre_version("lctl 2.15.3\n").as_deref(), Some("2.15.3"));
    }
}
