//! Building a Pacemaker cluster out of servers that share storage, as
//! Intel Manager for Lustre's `ConfigureCorosync2Job` and
//! `ConfigurePacemakerJob` did, with Pacemaker's and corosync's own tools
//! only: corosync's configuration and authkey written on every member,
//! corosync and Pacemaker started, node names read back with
//! `crm_node -n`, cluster properties and fencing set with
//! `crm_attribute` and `cibadmin`. Each step checks what is there first,
//! so a redelivered step resumes.

use lustre::pacemaker::{self, CorosyncNode};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;
use uuid::Uuid;

use super::super::servers::Server;
use super::super::step;
use super::crm::{self, Look};
use crate::error::{db_error, ActionError};
use crate::shared::Shared;

/// How long a new cluster may take until every member is online (the
/// first election waits for Pacemaker's `dc-deadtime`, 20 s by default).
const FORM_WAIT: Duration = Duration::from_secs(180);

/// The fencing an operator asked for.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Fencing {
    /// Run without fencing (`stonith-enabled=false`): only for test or
    /// non-production clusters, and alerted as such.
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub devices: Vec<FenceDevice>,
}

/// One fencing device: the agent that powers `host_id` off.
#[derive(Debug, Clone, Deserialize)]
pub struct FenceDevice {
    pub host_id: Uuid,
    /// `fence_ipmilan`, `fence_lustre_sim`, …
    pub agent: String,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

/// A cluster with its members.
struct ClusterRow {
    name: String,
    fencing: Fencing,
    authkey: Vec<u8>,
    /// Members with their corosync ring address, by host id.
    members: Vec<(Server, String)>,
}

impl ClusterRow {
    async fn load(shared: &Shared, id: Uuid) -> Result<ClusterRow, ActionError> {
        let row = store::ha::cluster_setup(&shared.db, id)
            .await
            .map_err(db_error("read the HA cluster"))?
            .ok_or_else(|| ActionError::Bug(format!("HA cluster {id} does not exist")))?;
        let fencing = serde_json::from_value(row.fencing)
            .map_err(|e| ActionError::Bug(format!("bad fencing of HA cluster {id}: {e}")))?;
        let members = store::ha::cluster_members(&shared.db, id)
            .await
            .map_err(db_error("read the HA cluster's members"))?;
        let mut servers = Vec::new();
        for m in members {
            servers.push((Server::load(shared, m.host_id).await?, m.ring0));
        }
        if servers.is_empty() {
            return Err(ActionError::Refused(format!("HA cluster {id} has no members")));
        }
        Ok(ClusterRow {
            name: row.name,
            fencing,
            authkey: row.authkey,
            members: servers,
        })
    }

    fn servers(&self) -> Vec<Server> {
        self.members.iter().map(|(s, _)| s.clone()).collect()
    }
}

/// The name a member gets in corosync's node list: its fully qualified
/// host name, as Pacemaker then calls it.
async fn node_name(shared: &Shared, host: &Server) -> Result<String, ActionError> {
    let fqdn = host.check(shared, &["hostname", "-f"]).await?.trim().to_owned();
    if !pacemaker::corosync_safe(&fqdn) {
        return Err(ActionError::Refused(format!(
            "{}: `hostname -f` gave {fqdn:?}, which cannot name a cluster node",
            host.name
        )));
    }
    Ok(fqdn)
}

/// `configure_corosync`: writes the same configuration and authkey on
/// every member, enables corosync and Pacemaker, and (re)starts corosync
/// where its configuration changed.
pub async fn configure_corosync(shared: &Shared, cluster_id: Uuid) -> Result<Value, ActionError> {
    let cluster = ClusterRow::load(shared, cluster_id).await?;
    let mut nodes = Vec::new();
    for (i, (host, ring0)) in cluster.members.iter().enumerate() {
        if !pacemaker::corosync_safe(ring0) {
            return Err(ActionError::Refused(format!(
                "ring address {ring0:?} of {} is not an address",
                host.name
            )));
        }
        nodes.push(CorosyncNode {
            name: node_name(shared, host).await?,
            ring0_addr: ring0.clone(),
            nodeid: u32::try_from(i + 1).map_err(|e| ActionError::Bug(e.to_string()))?,
        });
    }
    let conf = pacemaker::corosync_conf(&cluster.name, &nodes);
    // A member whose corosync runs with another configuration is never
    // restarted under its targets (Pacemaker needs corosync: a restart
    // would stop everything it runs there); nothing is written anywhere
    // then, and the operator is told.
    let mut running = Vec::new();
    for (host, _) in &cluster.members {
        let present = host.exec(shared, &["cat", "/etc/corosync/corosync.conf"]).await?;
        let same = present.success() && present.stdout == conf;
        let active = host
            .exec(shared, &["systemctl", "is-active", "corosync"])
            .await?
            .success();
        if active && !same {
            return Err(ActionError::Refused(format!(
                "corosync runs on {} with a configuration other than the one for HA cluster {}; Chroma does not \
                 restart it under running resources: stop Pacemaker and corosync there (moving its targets first), \
                 then run the setup again",
                host.name, cluster.name
            )));
        }
        running.push(active);
    }
    let mut started = Vec::new();
    for ((host, _), active) in cluster.members.iter().zip(running) {
        host.write_file(shared, "/etc/corosync/authkey", "0400", &cluster.authkey)
            .await?;
        host.write_file(shared, "/etc/corosync/corosync.conf", "0644", conf.as_bytes())
            .await?;
        host.check(shared, &["systemctl", "enable", "corosync", "pacemaker"])
            .await?;
        if !active {
            host.check(shared, &["systemctl", "start", "corosync"]).await?;
            started.push(host.name.clone());
        }
    }
    let names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
    Ok(json!({ "cluster": cluster.name, "nodes": names, "started": started }))
}

/// `start_pacemaker`: starts Pacemaker on every member, waits until each
/// is an online member of one cluster with a designated controller, and
/// records each host's node name as `crm_node -n` gives it.
pub async fn start_pacemaker(shared: &Shared, cluster_id: Uuid) -> Result<Value, ActionError> {
    let cluster = ClusterRow::load(shared, cluster_id).await?;
    let servers = cluster.servers();
    for host in &servers {
        host.check(shared, &["systemctl", "start", "pacemaker"]).await?;
    }
    let mut names = Vec::new();
    for host in &servers {
        let name = wait_node_name(shared, host).await?;
        step::update(&shared.db, "record the host's Pacemaker node name", |fence| {
            store::hosts::record_ha_node(&shared.db, fence, host.id, &name)
        })
        .await?;
        names.push(name);
    }
    let expected = names.clone();
    let dc = crm::wait_for(shared, &servers, FORM_WAIT, |status| {
        let missing: Vec<&String> = expected
            .iter()
            .filter(|n| !status.node(n).is_some_and(|node| node.online))
            .collect();
        match (&status.dc, missing.is_empty()) {
            (Some(dc), true) => Ok(Look::Done(dc.clone())),
            (None, _) => Ok(Look::NotYet("no designated controller elected yet".into())),
            (_, false) => Ok(Look::NotYet(format!(
                "not online yet: {}",
                missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ))),
        }
    })
    .await?;
    Ok(json!({ "cluster": cluster.name, "nodes": names, "dc": dc }))
}

/// `crm_node -n` once the host's Pacemaker answers it.
async fn wait_node_name(shared: &Shared, host: &Server) -> Result<String, ActionError> {
    let deadline = tokio::time::Instant::now() + FORM_WAIT;
    loop {
        let out = host.exec(shared, &["crm_node", "-n"]).await?;
        let name = out.stdout.trim();
        if out.success() && !name.is_empty() {
            return Ok(name.to_owned());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(host.failed(&["crm_node", "-n"], &out));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Sets cluster property `name` to `value` unless it has it.
async fn property(shared: &Shared, via: &Server, name: &str, value: &str) -> Result<bool, ActionError> {
    let query = ["crm_attribute", "--type", "crm_config", "--name", name, "--query"];
    let now = via.exec(shared, &query).await?;
    if now.success() && now.stdout.split_whitespace().any(|w| w == format!("value={value}")) {
        return Ok(false);
    }
    via.check(
        shared,
        &[
            "crm_attribute",
            "--type",
            "crm_config",
            "--name",
            name,
            "--update",
            value,
        ],
    )
    .await?;
    Ok(true)
}

/// The fencing devices a setup run made: all it wants, and those it
/// created or deleted.
struct DeviceChanges {
    wanted: Vec<String>,
    changed: Vec<String>,
}

/// Makes the cluster's fencing devices the ones asked for: each wanted one
/// written afresh (a changed BMC password must reach Pacemaker; with one
/// device per node, the other nodes' devices stay while one is rewritten),
/// and devices Chroma made that are no longer asked for deleted. Each
/// device's XML goes on standard input, never on a command line: its
/// parameters hold the BMC's password, command lines are visible to every
/// process on the server and kept in the step's transcript, and
/// `cibadmin`'s answers (which may echo the XML) are not kept either.
async fn fencing_devices(
    shared: &Shared,
    cluster: &ClusterRow,
    servers: &[Server],
    via: &Server,
) -> Result<DeviceChanges, ActionError> {
    let (_, status) = crm::status_any(shared, servers).await?;
    let present: Vec<String> = status
        .resources
        .iter()
        .filter(|r| r.is_fencing())
        .map(|r| r.id.clone())
        .collect();
    let mut wanted = Vec::new();
    let mut changed = Vec::new();
    for device in &cluster.fencing.devices {
        let host = servers.iter().find(|s| s.id == device.host_id).ok_or_else(|| {
            ActionError::Bug(format!(
                "fencing device for host {} which is not a member",
                device.host_id
            ))
        })?;
        let node = host.node_name()?;
        let id = pacemaker::fence_id(node);
        let params: Vec<(String, String)> = device.params.clone().into_iter().collect();
        let xml = pacemaker::fence_primitive(node, &device.agent, &params);
        if present.contains(&id) {
            delete_element(shared, via, "primitive", &id).await?;
        }
        let argv = ["cibadmin", "--create", "-o", "resources", "--xml-pipe"];
        via.exec_secret(shared, &argv, xml.as_bytes()).await?;
        changed.push(id.clone());
        wanted.push(id);
    }
    // Chroma's devices are named `fence-NODE`; any other is the operator's.
    let members: Vec<String> = servers
        .iter()
        .filter_map(|s| s.ha_node.as_deref().map(pacemaker::fence_id))
        .collect();
    for id in present.iter().filter(|id| members.contains(id) && !wanted.contains(id)) {
        delete_element(shared, via, "primitive", id).await?;
        changed.push(format!("{id} (deleted)"));
    }
    Ok(DeviceChanges { wanted, changed })
}

/// Deletes CIB element `tag` `id` (nothing if it is gone already).
async fn delete_element(shared: &Shared, via: &Server, tag: &str, id: &str) -> Result<(), ActionError> {
    let xml = pacemaker::element_ref(tag, id);
    via.check(shared, &["cibadmin", "--delete", "--xml-text", &xml]).await?;
    Ok(())
}

/// `configure_pacemaker`: cluster properties, then fencing as asked (a
/// device per node, or fencing disabled), then what Pacemaker shows is
/// recorded and the cluster is `configured`.
pub async fn configure_pacemaker(shared: &Shared, cluster_id: Uuid) -> Result<Value, ActionError> {
    let cluster = ClusterRow::load(shared, cluster_id).await?;
    let servers = cluster.servers();
    let (via, _) = crm::status_any(shared, &servers).await?;
    let mut changed = Vec::new();
    // Two nodes keep quorum with one (corosync's two_node), so a cluster
    // that loses quorum stops its resources rather than risking both
    // halves mounting the same target.
    for (name, value) in [("no-quorum-policy", "stop"), ("symmetric-cluster", "true")] {
        if property(shared, &via, name, value).await? {
            changed.push(name.to_owned());
        }
    }
    let devices = fencing_devices(shared, &cluster, &servers, &via).await?;
    changed.extend(devices.changed);
    let devices = devices.wanted;
    let stonith = if cluster.fencing.disabled { "false" } else { "true" };
    if property(shared, &via, "stonith-enabled", stonith).await? {
        changed.push("stonith-enabled".into());
    }
    let (_, status) = crm::status_any(shared, &servers).await?;
    let seen = store::ha::ConfiguredStatus {
        stonith_enabled: status.stonith_enabled,
        fence_devices: i32::try_from(status.fence_devices()).unwrap_or(i32::MAX),
        quorate: status.quorate,
    };
    step::update(&shared.db, "record the HA cluster", |fence| {
        store::ha::record_configured(&shared.db, fence, cluster_id, seen)
    })
    .await?;
    Ok(json!({
        "cluster": cluster.name,
        "changed": changed,
        "fencing_devices": devices,
        "stonith_enabled": status.stonith_enabled,
        "blocked": status.blocked_reason(),
    }))
}
