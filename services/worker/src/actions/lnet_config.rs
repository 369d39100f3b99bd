//! `configure_lnet`: give a server the LNet networks an operator chose.
//! They are written to `/etc/lnet.conf` (what Lustre's `lnet.service`
//! imports at boot, so they survive a reboot) and applied the way that
//! service starts LNet: the Lustre modules unloaded (`lustre_rmmod`; LNet
//! cannot change under ptlrpc), `modprobe lnet`, `lnetctl lnet configure`
//! (no `--all`: networks come from the file, not the module options),
//! `lnetctl import /etc/lnet.conf`. The NIDs LNet then shows are recorded.
//! Every command is safe to repeat, so a redelivered step does it again.

use lustre::lnet::{lnet_conf, LnetNetwork, LNET_CONF};
use serde_json::{json, Value};
use uuid::Uuid;

use super::servers::Server;
use super::{lnet, mounts, step};
use crate::error::ActionError;
use crate::shared::Shared;

/// `lnet.service`'s start, after the module is loaded: configure LNet
/// without networks, then import the file's.
pub async fn bring_up_from_file(shared: &Shared, host: &Server) -> Result<(), ActionError> {
    host.check(shared, &["modprobe", "lnet"]).await?;
    host.check(shared, &["lnetctl", "lnet", "configure"]).await?;
    host.check(shared, &["lnetctl", "import", LNET_CONF]).await?;
    Ok(())
}

/// The networks of `networks` that got no NID, for the error.
fn missing(networks: &[LnetNetwork], nids: &[String]) -> Vec<String> {
    networks
        .iter()
        .filter(|n| {
            !nids
                .iter()
                .any(|nid| nid.rsplit_once('@').is_some_and(|(_, net)| net == n.net))
        })
        .map(|n| n.net.clone())
        .collect()
}

pub async fn run(shared: &Shared, host_id: Uuid, networks: &[LnetNetwork]) -> Result<Value, ActionError> {
    let host = Server::load(shared, host_id).await?;
    mounts::require_none(shared, &host, "change LNet").await?;
    let previous = host.exec(shared, &["cat", LNET_CONF]).await?;
    let previous = previous.success().then_some(previous.stdout);
    host.write_file(shared, LNET_CONF, "0644", lnet_conf(networks).as_bytes())
        .await?;
    let nids = match apply(shared, &host, networks).await {
        Ok(nids) => nids,
        Err(why) => return Err(undo(shared, &host, previous, why).await),
    };
    let recorded =
        serde_json::to_value(networks).map_err(|e| ActionError::Bug(format!("cannot record the networks: {e}")))?;
    step::update(&shared.db, "record the LNet networks", |fence| {
        store::hosts::record_lnet_networks(&shared.db, fence, host_id, recorded, &nids)
    })
    .await?;
    Ok(json!({ "host": host.name, "networks": networks, "nids": nids, "file": LNET_CONF }))
}

/// Reloads LNet from the file; the NIDs it then has, every network with one.
async fn apply(shared: &Shared, host: &Server, networks: &[LnetNetwork]) -> Result<Vec<String>, ActionError> {
    host.check(shared, &["lustre_rmmod"]).await?;
    bring_up_from_file(shared, host).await?;
    let nids = lnet::show(shared, host)
        .await?
        .ok_or_else(|| ActionError::Command(format!("LNet on {} is not up after importing {LNET_CONF}", host.name)))?;
    let lacking = missing(networks, &nids);
    if !lacking.is_empty() {
        return Err(ActionError::Command(format!(
            "LNet on {} has no NID on {} after importing {LNET_CONF} (is the interface up, with an address?)",
            host.name,
            lacking.join(", ")
        )));
    }
    Ok(nids)
}

/// After a failed change: the file as it was (when there was one), LNet
/// taken down cleanly (half-configured is worse than down; starting it
/// again uses the file as it was), and its state recorded, so Chroma and
/// the server agree. Returns the error to report: `why`, with what was
/// undone.
async fn undo(shared: &Shared, host: &Server, previous: Option<String>, why: ActionError) -> ActionError {
    let file = match previous {
        Some(content) => match host.write_file(shared, LNET_CONF, "0644", content.as_bytes()).await {
            Ok(()) => format!("{LNET_CONF} is back as it was"),
            Err(e) => format!("{LNET_CONF} could not be put back: {e}"),
        },
        None => format!("{LNET_CONF} did not exist before and holds the refused networks"),
    };
    let unloaded = match host.exec(shared, &["lustre_rmmod"]).await {
        Ok(out) if out.success() => "LNet taken down".to_owned(),
        Ok(out) => host.failed(&["lustre_rmmod"], &out).to_string(),
        Err(e) => e.to_string(),
    };
    let state = match lnet::refresh(shared, host).await {
        Ok(seen) => format!("LNet now: {seen}"),
        Err(e) => format!("LNet's state could not be read: {e}"),
    };
    let message = format!("{why}; {file}; {unloaded}; {state}");
    match why {
        ActionError::Refused(_) => ActionError::Refused(message),
        ActionError::Bug(_) => ActionError::Bug(message),
        _ => ActionError::Command(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_network_without_a_nid_is_named() {
        let networks = vec![
            LnetNetwork {
                net: "tcp".into(),
                interfaces: vec!["eth0".into()],
            },
            LnetNetwork {
                net: "o2ib".into(),
                interfaces: vec!["ib0".into()],
            },
        ];
        assert_eq!(missing(&networks, &["10.0.0.1@tcp".into()]), vec!["o2ib".to_owned()]);
        assert!(missing(&networks, &["10.0.0.1@tcp".into(), "10.2.0.1@o2ib".into()]).is_empty());
    }
}
