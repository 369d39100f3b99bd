//! `start_lnet` and `stop_lnet`, and the LNet check of `probe_host`.
//! `lnetctl net show` prints YAML with one `- nid: NID` per local network
//! interface; it fails while LNet is down, and prints nothing (exit 0)
//! while the `lnet` module is not loaded. A host's NIDs are every NID but
//! the loopback `0@lo`.
//!
//! LNet lives in kernel modules: `lnetctl` needs `modprobe lnet` first (as
//! IML's `load_lnet` did), and once a target was mounted ptlrpc holds LNet
//! up, so `lnetctl lnet unconfigure` answers EBUSY; stopping LNet means
//! unloading the Lustre modules with `lustre_rmmod`, which takes LNet down
//! with them.

use serde_json::{json, Value};
use uuid::Uuid;

use super::servers::Server;
use super::{mounts, step};
use crate::error::{db_error, ActionError};
use crate::shared::Shared;

const NET_SHOW: [&str; 3] = ["lnetctl", "net", "show"];
const MODPROBE_LNET: [&str; 2] = ["modprobe", "lnet"];
const CONFIGURE: [&str; 4] = ["lnetctl", "lnet", "configure", "--all"];
const LUSTRE_RMMOD: [&str; 1] = ["lustre_rmmod"];
const LOOPBACK: &str = "0@lo";

/// The NIDs in `lnetctl net show` output, without `0@lo`.
pub fn parse_nids(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|line| line.trim().trim_start_matches("- ").strip_prefix("nid:"))
        .map(|nid| nid.trim().trim_matches('"').to_owned())
        .filter(|nid| !nid.is_empty() && nid != LOOPBACK)
        .collect()
}

/// The host's NIDs, or `None` while LNet is down there (or its module is
/// not even loaded: lnetctl then prints nothing and succeeds).
pub async fn show(shared: &Shared, host: &Server) -> Result<Option<Vec<String>>, ActionError> {
    let output = host.exec(shared, &NET_SHOW).await?;
    let up = output.success() && !output.stdout.trim().is_empty();
    Ok(up.then(|| parse_nids(&output.stdout)))
}

/// Records `lnet_up` with `nids`, or `lnet_down` keeping the NIDs; fenced
/// by the step attempt.
async fn record(shared: &Shared, host_id: Uuid, nids: Option<&[String]>) -> Result<(), ActionError> {
    let what = "record the LNet state";
    match nids {
        Some(nids) => {
            step::update(&shared.db, what, |fence| {
                store::hosts::record_lnet_up(&shared.db, fence, host_id, nids)
            })
            .await?
        }
        None => {
            step::update(&shared.db, what, |fence| {
                store::hosts::record_lnet_down(&shared.db, fence, host_id)
            })
            .await?
        }
    };
    Ok(())
}

/// Reads and records LNet's state on a reachable host (for `probe_host`).
pub async fn refresh(shared: &Shared, host: &Server) -> Result<Value, ActionError> {
    let nids = show(shared, host).await?;
    record(shared, host.id, nids.as_deref()).await?;
    Ok(json!({ "lnet_up": nids.is_some(), "nids": nids.unwrap_or_else(|| host.nids.clone()) }))
}

/// `start_lnet`: loads the `lnet` module (`modprobe` does nothing when it
/// is loaded), then, unless LNet already has NIDs, configures it: from
/// `/etc/lnet.conf` when Chroma wrote the host's networks there
/// ([`super::lnet_config`]), else `lnetctl lnet configure --all` (the
/// module options' networks). Records the NIDs; `lnet_up`. A redelivered
/// step finds LNet up and only records it again.
pub async fn start(shared: &Shared, host_id: Uuid) -> Result<Value, ActionError> {
    let host = Server::load(shared, host_id).await?;
    host.check(shared, &MODPROBE_LNET).await?;
    let before = show(shared, &host).await?.filter(|nids| !nids.is_empty());
    let configured = before.is_none();
    if configured {
        if has_networks(shared, host_id).await? {
            super::lnet_config::bring_up_from_file(shared, &host).await?;
        } else {
            host.check(shared, &CONFIGURE).await?;
        }
    }
    let output = host.exec(shared, &NET_SHOW).await?;
    if !output.success() {
        return Err(host.failed(&NET_SHOW, &output));
    }
    let nids = parse_nids(&output.stdout);
    if nids.is_empty() {
        return Err(ActionError::Command(format!(
            "LNet on {} has no network besides {LOOPBACK} after configuring it",
            host.name
        )));
    }
    record(shared, host_id, Some(&nids)).await?;
    Ok(json!({ "host": host.name, "configured": configured, "nids": nids }))
}

/// Whether Chroma configured the host's LNet networks (`/etc/lnet.conf`).
async fn has_networks(shared: &Shared, host_id: Uuid) -> Result<bool, ActionError> {
    store::hosts::has_lnet_networks(&shared.db, host_id)
        .await
        .map_err(db_error("read the host's LNet networks"))
}

/// `stop_lnet`: refuses while Lustre targets are mounted on the host, else
/// unloads the Lustre modules and LNet with `lustre_rmmod` (a bare
/// `lnetctl lnet unconfigure` gets EBUSY once ptlrpc is loaded); with
/// nothing loaded it does nothing. `lnet_down`.
pub async fn stop(shared: &Shared, host_id: Uuid) -> Result<Value, ActionError> {
    let host = Server::load(shared, host_id).await?;
    mounts::require_none(shared, &host, "stop LNet").await?;
    let up = show(shared, &host).await?.is_some();
    host.check(shared, &LUSTRE_RMMOD).await?;
    if show(shared, &host).await?.is_some() {
        return Err(ActionError::Command(format!(
            "LNet on {} is still up after lustre_rmmod",
            host.name
        )));
    }
    record(shared, host_id, None).await?;
    Ok(json!({ "host": host.name, "unconfigured": up, "modules_unloaded": true }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nids_from_net_show() {
        // What lustre-sim (and lnetctl 2.15) prints.
        let out = "net:\n    - net type: lo\n      local NI(s):\n        - nid: 0@lo\n          status: up\n\
                   \x20   - net type: tcp\n      local NI(s):\n        - nid: 10.0.0.2@tcp\n          status: up\n\
                   \x20         interfaces:\n              0: eth0\n";
        assert_eq!(parse_nids(out), vec!["10.0.0.2@tcp".to_owned()]);
    }

    #[test]
    fn reads_several_networks_and_ignores_the_rest() {
        let out = "net:\n    - net type: lo\n      local NI(s):\n        - nid: 0@lo\n\
                   \x20   - net type: o2ib\n      local NI(s):\n        - nid: 192.168.1.5@o2ib\n\
                   \x20         status: up\n        - nid: 192.168.2.5@o2ib\n          status: down\n";
        assert_eq!(parse_nids(out), vec!["192.168.1.5@o2ib", "192.168.2.5@o2ib"]);
        assert!(parse_nids("net:\n    - net type: lo\n      local NI(s):\n        - nid: 0@lo\n").is_empty());
        assert!(parse_nids("").is_empty());
    }
}
