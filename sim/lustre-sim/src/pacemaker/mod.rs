//! Pacemaker 2.1 and corosync 3 on the simulated hosts, as strict as real
//! servers: installed but not configured on a fresh host, started with
//! `systemctl`, one CIB per cluster (the hosts whose corosync runs the
//! same `cluster_name` with the same authkey), and a scheduler
//! ([`scheduler`]) that places resources by score, mounts and unmounts
//! `ocf:lustre:Lustre` targets, runs their monitors and fences lost nodes.
//! The command-line tools that read and change it live in
//! `crate::commands` (`crm_mon`, `crm_resource`, `cibadmin`, …).

pub mod cib;
pub mod corosync;
pub mod log;
pub mod scheduler;
pub mod show;
#[cfg(test)]
mod tests;
pub mod xml;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::faults::Faults;
use crate::state::ClusterState;
use corosync::CorosyncConf;
use xml::Element;

/// Pacemaker's version, as `crm_mon --version` prints it.
pub const VERSION: &str = "2.1.5";
/// The DC version Debian's 2.1.5 build reports (`dc-version`).
pub const DC_VERSION: &str = "2.1.5-a3f44794f94";
/// The CIB feature set of 2.1.5.
pub const FEATURE_SET: &str = "3.16.1";
/// Pacemaker's INFINITY score.
pub const INFINITY: i64 = 1_000_000;

/// Every host's HA stack and every cluster's CIB.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ha {
    /// Per host: its corosync and pacemaker units.
    #[serde(default)]
    pub hosts: BTreeMap<String, HostHa>,
    /// Per cluster name: the CIB and what Pacemaker knows.
    #[serde(default)]
    pub clusters: BTreeMap<String, HaCluster>,
}

/// A systemd unit's state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// Running (`is-active` says `active`).
    pub active: bool,
    /// Its last start failed (`is-active` says `failed`).
    pub failed: bool,
    /// Starts at boot.
    pub enabled: bool,
}

/// One host's HA stack.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostHa {
    /// `corosync.service`.
    pub corosync: Unit,
    /// `pacemaker.service`.
    pub pacemaker: Unit,
    /// The configuration corosync read when it started.
    pub conf: Option<CorosyncConf>,
    /// The authkey corosync read when it started.
    pub authkey: Option<String>,
}

/// A cluster: its CIB configuration and the status Pacemaker keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HaCluster {
    /// The CIB's `<configuration>` element.
    pub config: Element,
    /// The CIB's `epoch` (bumped on each configuration change).
    pub epoch: u64,
    /// The last configuration change.
    pub last_change: Option<Change>,
    /// Runtime state of each resource, by id.
    pub resources: BTreeMap<String, RscRuntime>,
    /// Fencing actions taken, oldest first.
    pub fence_history: Vec<FenceEvent>,
    /// Nodes lost without a clean shutdown and not yet fenced (unclean).
    pub lost: BTreeSet<String>,
    /// The DC's node name.
    pub dc: Option<String>,
    /// The last operation call id.
    pub call_id: u64,
    /// "Resource start-up disabled…" was logged for the current state.
    pub no_stonith_logged: bool,
}

/// Who changed the CIB last (`<last_change>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Seconds since the epoch.
    pub at: u64,
    /// `cibadmin`, `crm_resource`, `crm_attribute`.
    pub client: String,
    /// Node name it ran on.
    pub origin: String,
}

/// What Pacemaker knows about one resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RscRuntime {
    /// Node it is started on.
    pub running_on: Option<String>,
    /// Fail-count per node (INFINITY after a failed start).
    pub fail_counts: BTreeMap<String, i64>,
    /// When the last failure on each node happened (seconds).
    pub last_failure: BTreeMap<String, u64>,
    /// Failed operations, as `crm_mon` lists them under `<failures>`.
    pub failures: Vec<OpRecord>,
    /// The last operation of each kind on each node (`operation_history`).
    pub history: Vec<OpRecord>,
    /// When its monitor runs next (microseconds), while it runs.
    pub next_monitor_us: u64,
    /// When the simulator last looked for it mounted where it should not
    /// be (microseconds).
    pub next_check_us: u64,
    /// The last monitor found it not running: recover it.
    pub recover: bool,
    /// The device path it was last started with (to stop it once it is
    /// deleted from the configuration).
    #[serde(default)]
    pub target: Option<String>,
}

/// One executed operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpRecord {
    /// Node name.
    pub node: String,
    /// `start`, `stop`, `monitor`.
    pub task: String,
    /// Interval in milliseconds (0 for start and stop).
    pub interval_ms: u64,
    /// OCF exit code.
    pub rc: u32,
    /// Call id.
    pub call: u64,
    /// When (seconds since the epoch).
    pub at: u64,
    /// The agent's exit reason.
    pub exit_reason: Option<String>,
}

/// One fencing action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FenceEvent {
    /// `reboot` or `off`.
    pub action: String,
    /// Node fenced.
    pub target: String,
    /// Node whose fencer executed it.
    pub delegate: String,
    /// The DC that asked for it.
    pub origin: String,
    /// `pacemaker-controld.PID`.
    pub client: String,
    /// Device used.
    pub device: String,
    /// It worked.
    pub succeeded: bool,
    /// Why it failed.
    pub exit_reason: Option<String>,
    /// When it completed (seconds).
    pub completed: u64,
}

/// The OCF exit codes' names, as crm_mon prints them.
pub fn rc_text(rc: u32) -> &'static str {
    match rc {
        0 => "ok",
        1 => "error",
        2 => "invalid parameter",
        3 => "unimplemented feature",
        4 => "insufficient privileges",
        5 => "not installed",
        6 => "not configured",
        7 => "not running",
        _ => "unknown",
    }
}

/// Parses a score: `INFINITY`, `+INFINITY`, `-INFINITY`, an integer
/// (clamped to ±INFINITY).
pub fn parse_score(text: &str) -> Option<i64> {
    match text.trim() {
        "INFINITY" | "+INFINITY" | "inf" => Some(INFINITY),
        "-INFINITY" | "-inf" => Some(-INFINITY),
        t => t.parse::<i64>().ok().map(|s| s.clamp(-INFINITY, INFINITY)),
    }
}

/// Adds scores as Pacemaker does: ±INFINITY absorb, -INFINITY wins.
pub fn add_scores(a: i64, b: i64) -> i64 {
    if a <= -INFINITY || b <= -INFINITY {
        -INFINITY
    } else if a >= INFINITY || b >= INFINITY {
        INFINITY
    } else {
        (a + b).clamp(-INFINITY, INFINITY)
    }
}

/// Parses an interval: `20`, `20s`, `1min`, `500ms`, `1h` → milliseconds.
pub fn parse_interval_ms(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n.parse().ok()?;
    let factor = match unit.trim() {
        "" | "s" | "sec" | "secs" => 1000,
        "ms" | "msec" => 1,
        "m" | "min" | "mins" => 60_000,
        "h" | "hr" | "hrs" => 3_600_000,
        _ => return None,
    };
    Some(n * factor)
}

/// A host's FQDN (`hostname -f`).
pub fn fqdn(host: &str) -> String {
    format!("{host}.cluster")
}

/// Is Pacemaker/corosync installed on `host`?
pub fn installed(state: &ClusterState, host: &str) -> bool {
    state.host(host).is_some_and(|h| !h.no_pacemaker)
}

/// The host's IP address (from its NID).
pub fn host_ip(state: &ClusterState, host: &str) -> String {
    state
        .host(host)
        .map(|h| h.nid.split('@').next().unwrap_or("").to_string())
        .unwrap_or_default()
}

/// The nodelist entry of `host` in `conf`, if any: by name (FQDN or short
/// name) or by address (IP, FQDN or short name).
pub fn conf_node<'a>(state: &ClusterState, conf: &'a CorosyncConf, host: &str) -> Option<&'a corosync::ConfNode> {
    let names = [fqdn(host), host.to_string(), host_ip(state, host)];
    conf.nodes
        .iter()
        .find(|n| n.name.as_ref().is_some_and(|name| names.contains(name)) || names.contains(&n.ring0_addr))
}

/// The Pacemaker node name of `host` under `conf`: the nodelist `name`,
/// else its address when not an IP, else the host's FQDN.
pub fn node_name_in(state: &ClusterState, conf: &CorosyncConf, host: &str) -> String {
    match conf_node(state, conf, host) {
        Some(n) => match &n.name {
            Some(name) => name.clone(),
            None if n.ring0_addr.parse::<std::net::IpAddr>().is_err() => n.ring0_addr.clone(),
            None => fqdn(host),
        },
        None => fqdn(host),
    }
}

/// One node of a cluster as Pacemaker sees it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeView {
    /// Node name.
    pub name: String,
    /// Corosync node id.
    pub id: u32,
    /// The simulated host it is (if any host matches the nodelist entry).
    pub host: Option<String>,
    /// In the corosync membership of the partition.
    pub member: bool,
    /// Pacemaker runs there and is a member: it can run resources.
    pub online: bool,
    /// Lost without a clean shutdown and not fenced yet.
    pub unclean: bool,
}

/// A cluster as its members see it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterView {
    /// `cluster_name`.
    pub name: String,
    /// Every nodelist node, in nodelist order.
    pub nodes: Vec<NodeView>,
    /// The partition has quorum.
    pub quorate: bool,
}

impl ClusterView {
    /// The node by name.
    pub fn node(&self, name: &str) -> Option<&NodeView> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// The node a host is.
    pub fn node_of_host(&self, host: &str) -> Option<&NodeView> {
        self.nodes.iter().find(|n| n.host.as_deref() == Some(host))
    }

    /// Names of the nodes that can run resources.
    pub fn online(&self) -> Vec<String> {
        self.nodes.iter().filter(|n| n.online).map(|n| n.name.clone()).collect()
    }
}

/// Is `host` down (a `down` fault)?
pub fn is_down(faults: &Faults, host: &str) -> bool {
    faults.host(host).down
}

/// Hosts whose corosync runs (and are up).
fn corosync_hosts<'a>(state: &'a ClusterState, faults: &Faults) -> Vec<(&'a str, &'a HostHa)> {
    state
        .hosts
        .iter()
        .filter(|h| !is_down(faults, &h.name))
        .filter_map(|h| {
            let ha = state.ha.hosts.get(&h.name)?;
            (ha.corosync.active && ha.conf.is_some()).then_some((h.name.as_str(), ha))
        })
        .collect()
}

/// The view of cluster `name`: the partition is the hosts running its
/// corosync with the authkey most of them hold (a host with another key
/// does not join; ties go to the first host's key).
pub fn view(state: &ClusterState, faults: &Faults, name: &str) -> Option<ClusterView> {
    let running: Vec<(&str, &HostHa)> = corosync_hosts(state, faults)
        .into_iter()
        .filter(|(_, ha)| ha.conf.as_ref().is_some_and(|c| c.cluster_name == name))
        .collect();
    let conf = running
        .first()
        .and_then(|(_, ha)| ha.conf.clone())
        .or_else(|| last_conf(state, name))?;
    let mut keys: Vec<(usize, &Option<String>)> = Vec::new();
    for (_, ha) in &running {
        match keys.iter_mut().find(|(_, k)| *k == &ha.authkey) {
            Some((n, _)) => *n += 1,
            None => keys.push((1, &ha.authkey)),
        }
    }
    let key = keys
        .iter()
        .max_by(|a, b| a.0.cmp(&b.0).then(std::cmp::Ordering::Greater))
        .map(|(_, k)| (*k).clone());
    let members: Vec<&str> = running
        .iter()
        .filter(|(_, ha)| Some(&ha.authkey) == key.as_ref())
        .map(|(h, _)| *h)
        .collect();
    let cluster = state.ha.clusters.get(name);
    let mut nodes = Vec::new();
    for n in &conf.nodes {
        let host = state
            .hosts
            .iter()
            .find(|h| conf_node(state, &conf, &h.name).is_some_and(|c| c.nodeid == n.nodeid))
            .map(|h| h.name.clone());
        let node_name = host
            .as_deref()
            .map_or_else(|| n.node_name().to_string(), |h| node_name_in(state, &conf, h));
        let member = host.as_deref().is_some_and(|h| members.contains(&h));
        let online = member
            && host
                .as_deref()
                .and_then(|h| state.ha.hosts.get(h))
                .is_some_and(|ha| ha.pacemaker.active);
        let unclean = cluster.is_some_and(|c| c.lost.contains(&node_name));
        nodes.push(NodeView {
            name: node_name,
            id: n.nodeid,
            host,
            member,
            online,
            unclean,
        });
    }
    let votes = nodes.iter().filter(|n| n.member).count();
    let quorate = if conf.two_node {
        votes >= 1
    } else {
        votes * 2 > conf.nodes.len()
    };
    Some(ClusterView {
        name: name.to_string(),
        nodes,
        quorate,
    })
}

/// The configuration a (now stopped) member of `name` last read.
fn last_conf(state: &ClusterState, name: &str) -> Option<CorosyncConf> {
    state
        .ha
        .hosts
        .values()
        .filter_map(|h| h.conf.clone())
        .find(|c| c.cluster_name == name)
}

/// The cluster `host` belongs to while its pacemaker runs: the view, and
/// `host`'s node name. `None` when pacemaker is not running there.
pub fn local(state: &ClusterState, faults: &Faults, host: &str) -> Option<(ClusterView, String)> {
    let ha = state.ha.hosts.get(host)?;
    if !ha.pacemaker.active || !ha.corosync.active {
        return None;
    }
    let conf = ha.conf.as_ref()?;
    let view = view(state, faults, &conf.cluster_name)?;
    let me = view.node_of_host(host)?.name.clone();
    Some((view, me))
}

impl HaCluster {
    /// A new cluster with an empty configuration.
    pub fn new() -> HaCluster {
        let mut config = Element::new("configuration");
        for section in ["crm_config", "nodes", "resources", "constraints"] {
            config.children.push(Element::new(section));
        }
        HaCluster {
            config,
            epoch: 1,
            last_change: None,
            resources: BTreeMap::new(),
            fence_history: Vec::new(),
            lost: BTreeSet::new(),
            dc: None,
            call_id: 0,
            no_stonith_logged: false,
        }
    }

    /// Records a configuration change.
    pub fn changed(&mut self, client: &str, origin: &str, at: u64) {
        self.epoch += 1;
        self.last_change = Some(Change {
            at,
            client: client.to_string(),
            origin: origin.to_string(),
        });
        self.no_stonith_logged = false;
    }

    /// The next operation call id.
    pub fn next_call(&mut self) -> u64 {
        self.call_id += 1;
        self.call_id
    }
}

impl Default for HaCluster {
    fn default() -> Self {
        HaCluster::new()
    }
}
