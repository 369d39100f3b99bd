//! `start_lnet` and `stop_lnet`, and the LNet check of `probe_host`.
//! `lnetctl net show` prints YAML with one `- nid: NID` per local network
//! interface; it fails while LNet is down. A host's NIDs are every NID but
//! the loopback `0@lo`.

use serde_json::{json, Value};
use uuid::Uuid;

use super::servers::Server;
use super::{mounts, step};
use crate::shared::Shared;

const NET_SHOW: [&str; 3] = ["lnetctl", "net", "show"];
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

/// The host's NIDs, or `None` while LNet is down there.
pub async fn show(shared: &Shared, host: &Server) -> Result<Option<Vec<String>>, String> {
    let output = host.exec(shared, &NET_SHOW).await?;
    Ok(output.success().then(|| parse_nids(&output.stdout)))
}

/// Records `lnet_up` with `nids`, or `lnet_down` keeping the NIDs; fenced
/// by the step attempt.
async fn record(shared: &Shared, host_id: Uuid, nids: Option<&[String]>) -> Result<(), String> {
    let what = "record the LNet state";
    match nids {
        Some(nids) => {
            step::update(
                &shared.db,
                what,
                "UPDATE host SET lnet_state = 'lnet_up', nids = $2 WHERE id = $1",
                vec![host_id.into(), nids.to_vec().into()],
            )
            .await?
        }
        None => {
            step::update(
                &shared.db,
                what,
                "UPDATE host SET lnet_state = 'lnet_down' WHERE id = $1",
                vec![host_id.into()],
            )
            .await?
        }
    };
    Ok(())
}

/// Reads and records LNet's state on a reachable host (for `probe_host`).
pub async fn refresh(shared: &Shared, host: &Server) -> Result<Value, String> {
    let nids = show(shared, host).await?;
    record(shared, host.id, nids.as_deref()).await?;
    Ok(json!({ "lnet_up": nids.is_some(), "nids": nids.unwrap_or_else(|| host.nids.clone()) }))
}

/// `start_lnet`: `lnetctl lnet configure --all` unless LNet already has
/// NIDs, then records them; `lnet_up`.
pub async fn start(shared: &Shared, host_id: Uuid) -> Result<Value, String> {
    let host = Server::load(shared, host_id).await?;
    let before = show(shared, &host).await?.filter(|nids| !nids.is_empty());
    let configured = before.is_none();
    if configured {
        host.check(shared, &["lnetctl", "lnet", "configure", "--all"]).await?;
    }
    let output = host.exec(shared, &NET_SHOW).await?;
    if !output.success() {
        return Err(host.failed(&NET_SHOW, &output));
    }
    let nids = parse_nids(&output.stdout);
    if nids.is_empty() {
        return Err(format!(
            "LNet on {} has no network besides {LOOPBACK} after configuring it",
            host.name
        ));
    }
    record(shared, host_id, Some(&nids)).await?;
    Ok(json!({ "host": host.name, "configured": configured, "nids": nids }))
}

/// `stop_lnet`: refuses while Lustre targets are mounted on the host, else
/// `lnetctl lnet unconfigure` unless LNet is down already; `lnet_down`.
pub async fn stop(shared: &Shared, host_id: Uuid) -> Result<Value, String> {
    let host = Server::load(shared, host_id).await?;
    let mounted = mounts::list(shared, &host).await?;
    if !mounted.is_empty() {
        let names: Vec<String> = mounted
            .iter()
            .map(|m| m.svname.clone().unwrap_or_else(|| m.device.clone()))
            .collect();
        return Err(format!(
            "cannot stop LNet on {}: Lustre targets are mounted there: {}",
            host.name,
            names.join(", ")
        ));
    }
    let up = show(shared, &host).await?.is_some();
    if up {
        host.check(shared, &["lnetctl", "lnet", "unconfigure"]).await?;
    }
    record(shared, host_id, None).await?;
    Ok(json!({ "host": host.name, "unconfigured": up }))
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
