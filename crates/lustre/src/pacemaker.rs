//! Pacemaker and corosync as Chroma drives them, without I/O: what
//! `crm_mon --output-as=xml` says about a cluster, the CIB elements Chroma
//! creates (a target's `ocf:lustre:Lustre` primitive, its location
//! constraints, fencing devices) and the corosync configuration it writes.
//!
//! Formats were read from Pacemaker 2.1's `lib/pengine/pe_output.c` and
//! `lib/pacemaker/pcmk_output.c` (crm_mon's XML) and corosync 3's
//! `corosync.conf(5)`; see docs/lustre-sim-formats.md.

use uuid::Uuid;

/// Pacemaker's `INFINITY` score, as crm_mon prints fail-counts.
pub const INFINITY: u32 = 1_000_000;

/// Location score of a target's primary server (IML used 20 and 10).
pub const PRIMARY_SCORE: u32 = 20;
/// Location score of each failover server.
pub const FAILOVER_SCORE: u32 = 10;
/// Stickiness of each target's resource, so a target stays where it runs
/// (a failed-over target is not pulled back by its primary's higher score
/// when the move constraint is cleared). Set on the primitive rather than
/// as a cluster-wide `rsc_defaults`, which Chroma leaves to the operator.
pub const STICKINESS: u32 = 1000;

/// A cluster node as crm_mon shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub online: bool,
    pub unclean: bool,
    pub is_dc: bool,
}

/// A primitive as crm_mon shows it (also one inside a group or clone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceStatus {
    pub id: String,
    /// `ocf:lustre:Lustre`, `stonith:fence_ipmilan`.
    pub agent: String,
    /// `Started`, `Stopped`, …
    pub role: String,
    pub active: bool,
    pub failed: bool,
    pub blocked: bool,
    pub managed: bool,
    /// Nodes it runs on.
    pub nodes: Vec<String>,
}

impl ResourceStatus {
    /// A fencing device.
    pub fn is_fencing(&self) -> bool {
        self.agent.starts_with("stonith:")
    }

    /// Started and settled on exactly `node`: not a start still pending
    /// (Pacemaker records pending actions, and shows a starting resource
    /// active with role `Starting`), not failed.
    pub fn runs_on(&self, node: &str) -> bool {
        self.runs_somewhere() && self.nodes.len() == 1 && self.nodes[0] == node
    }

    /// Started and settled on some node.
    pub fn runs_somewhere(&self) -> bool {
        self.active && self.role == "Started" && !self.failed && !self.nodes.is_empty()
    }
}

/// A resource's fail-count on a node (`node_history`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailCount {
    pub node: String,
    pub resource: String,
    /// [`INFINITY`] for a failed start.
    pub count: u32,
}

/// A fencing action in crm_mon's `fence_history`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FenceAction {
    pub target: String,
    pub action: String,
    pub status: String,
    pub delegate: Option<String>,
}

/// A whole `crm_mon -1 --output-as=xml` answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterStatus {
    /// The designated controller, when one is elected.
    pub dc: Option<String>,
    pub quorate: bool,
    /// `cluster_options stonith-enabled`; `None` when not shown.
    pub stonith_enabled: Option<bool>,
    pub nodes: Vec<Node>,
    pub resources: Vec<ResourceStatus>,
    pub fail_counts: Vec<FailCount>,
    pub fences: Vec<FenceAction>,
}

impl ClusterStatus {
    /// Parses crm_mon's XML (`--output-as=xml` or the legacy `--as-xml`);
    /// text before the first `<` is ignored.
    pub fn parse(text: &str) -> Result<ClusterStatus, String> {
        let start = text.find('<').ok_or("crm_mon printed no XML")?;
        let doc = roxmltree::Document::parse(&text[start..]).map_err(|e| format!("crm_mon XML: {e}"))?;
        let mut status = ClusterStatus::default();
        let flag = |n: roxmltree::Node, name: &str| n.attribute(name) == Some("true");
        for n in doc.descendants() {
            match n.tag_name().name() {
                "current_dc" if flag(n, "present") => {
                    status.dc = n.attribute("name").map(str::to_owned);
                    status.quorate = flag(n, "with_quorum");
                }
                "cluster_options" => status.stonith_enabled = n.attribute("stonith-enabled").map(|v| v == "true"),
                "node" if n.parent().is_some_and(|p| p.has_tag_name("nodes")) => status.nodes.push(Node {
                    name: n.attribute("name").unwrap_or_default().to_owned(),
                    online: flag(n, "online"),
                    unclean: flag(n, "unclean"),
                    is_dc: flag(n, "is_dc"),
                }),
                "resource" if n.ancestors().any(|a| a.has_tag_name("resources")) => {
                    status.resources.push(ResourceStatus {
                        id: n.attribute("id").unwrap_or_default().to_owned(),
                        agent: n.attribute("resource_agent").unwrap_or_default().replace("::", ":"),
                        role: n.attribute("role").unwrap_or_default().to_owned(),
                        active: flag(n, "active"),
                        failed: flag(n, "failed"),
                        blocked: flag(n, "blocked"),
                        managed: n.attribute("managed") != Some("false"),
                        nodes: n
                            .children()
                            .filter(|c| c.has_tag_name("node"))
                            .filter_map(|c| c.attribute("name").map(str::to_owned))
                            .collect(),
                    })
                }
                "resource_history" => {
                    let count = n.attribute("fail-count").and_then(|c| c.parse::<u32>().ok());
                    let node = n.parent().and_then(|p| p.attribute("name"));
                    if let (Some(count), Some(node), Some(id)) = (count, node, n.attribute("id")) {
                        if count > 0 {
                            status.fail_counts.push(FailCount {
                                node: node.to_owned(),
                                resource: id.to_owned(),
                                count: count.min(INFINITY),
                            });
                        }
                    }
                }
                "fence_event" => status.fences.push(FenceAction {
                    target: n.attribute("target").unwrap_or_default().to_owned(),
                    action: n.attribute("action").unwrap_or_default().to_owned(),
                    status: n.attribute("status").unwrap_or_default().to_owned(),
                    delegate: n.attribute("delegate").map(str::to_owned),
                }),
                _ => {}
            }
        }
        Ok(status)
    }

    /// Resource `id`, if the cluster has it.
    pub fn resource(&self, id: &str) -> Option<&ResourceStatus> {
        self.resources.iter().find(|r| r.id == id)
    }

    /// Node `name`, if it is a member.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// Fencing devices configured.
    pub fn fence_devices(&self) -> usize {
        self.resources.iter().filter(|r| r.is_fencing()).count()
    }

    /// Why Pacemaker would start no resource, if it would not: no DC, no
    /// quorum, or fencing enabled without a device.
    pub fn blocked_reason(&self) -> Option<String> {
        if self.dc.is_none() {
            return Some("the cluster has no designated controller (is Pacemaker running?)".into());
        }
        if !self.quorate {
            return Some("the cluster has no quorum".into());
        }
        self.fencing_missing()
    }

    /// Why Pacemaker will start nothing until an operator acts, if so:
    /// fencing enabled without a device. (No controller or no quorum may
    /// pass by themselves: an election follows every lost node.)
    pub fn fencing_missing(&self) -> Option<String> {
        (self.dc.is_some() && self.stonith_enabled != Some(false) && self.fence_devices() == 0).then(|| {
            "fencing is enabled (stonith-enabled=true) and no fencing device is configured, so Pacemaker starts nothing"
                .to_owned()
        })
    }

    /// The fail-counts of resource `id`.
    pub fn fail_counts_of(&self, id: &str) -> Vec<&FailCount> {
        self.fail_counts.iter().filter(|f| f.resource == id).collect()
    }
}

/// The id of a target's primitive: its service name and the last twelve
/// hex digits of its id (the random part of a v7 UUID), so two file
/// systems' `MGS` or `fs1-OST0000` never collide in one CIB.
pub fn resource_id(target_name: &str, target_id: Uuid) -> String {
    let hex = target_id.simple().to_string();
    format!("{target_name}_{}", &hex[hex.len() - 12..])
}

/// Escapes text for an XML attribute value.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn nvpairs(owner: &str, set: &str, pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| {
            format!(
                "<nvpair id=\"{}\" name=\"{}\" value=\"{}\"/>",
                escape(&format!("{owner}-{set}-{name}")),
                escape(name),
                escape(value)
            )
        })
        .collect()
}

/// A target's `ocf:lustre:Lustre` primitive: its stable device path and
/// mount point, held `Stopped` until Chroma starts it, sticky where it
/// runs, monitored every `monitor_secs`.
pub fn target_primitive(id: &str, device: &str, mountpoint: &str, monitor_secs: u32) -> String {
    let e = escape(id);
    format!(
        "<primitive id=\"{e}\" class=\"ocf\" provider=\"lustre\" type=\"Lustre\">\
         <instance_attributes id=\"{e}-instance_attributes\">{}</instance_attributes>\
         <meta_attributes id=\"{e}-meta_attributes\">{}</meta_attributes>\
         <operations>\
         <op id=\"{e}-start-0\" name=\"start\" interval=\"0\" timeout=\"300s\"/>\
         <op id=\"{e}-stop-0\" name=\"stop\" interval=\"0\" timeout=\"300s\"/>\
         <op id=\"{e}-monitor-{monitor_secs}s\" name=\"monitor\" interval=\"{monitor_secs}s\" timeout=\"300s\"/>\
         </operations></primitive>",
        nvpairs(
            id,
            "instance_attributes",
            &[("target", device), ("mountpoint", mountpoint)]
        ),
        nvpairs(
            id,
            "meta_attributes",
            &[
                ("target-role", "Stopped"),
                ("resource-stickiness", &STICKINESS.to_string())
            ]
        ),
    )
}

/// The id of the location constraint that puts resource `id` on `node`.
pub fn location_id(resource: &str, node: &str) -> String {
    format!("{resource}-on-{node}")
}

/// A location constraint preferring `node` for resource `id` by `score`.
pub fn location(resource: &str, node: &str, score: u32) -> String {
    format!(
        "<rsc_location id=\"{}\" rsc=\"{}\" node=\"{}\" score=\"{score}\"/>",
        escape(&location_id(resource, node)),
        escape(resource),
        escape(node)
    )
}

/// The id of a ZFS target's pool primitive.
pub fn pool_resource_id(resource: &str) -> String {
    format!("{resource}-zpool")
}

/// An `ocf:heartbeat:ZFS` primitive for a ZFS target's `pool`: imported
/// (`importforce`, its default: `multihost=on`'s activity check refuses a
/// pool live elsewhere) where the target's primitive runs, exported where
/// it stops. [`pool_colocation`] ties it to the target, [`pool_order`]
/// starts it first and stops it last. It is created `Stopped` (unbound
/// until its constraints exist, Pacemaker would start it anywhere) and
/// released once they do.
pub fn pool_primitive(resource: &str, pool: &str, monitor_secs: u32) -> String {
    let id = pool_resource_id(resource);
    let e = escape(&id);
    format!(
        "<primitive id=\"{e}\" class=\"ocf\" provider=\"heartbeat\" type=\"ZFS\">\
         <instance_attributes id=\"{e}-instance_attributes\">{}</instance_attributes>\
         <meta_attributes id=\"{e}-meta_attributes\">{}</meta_attributes>\
         <operations>\
         <op id=\"{e}-start-0\" name=\"start\" interval=\"0\" timeout=\"60s\"/>\
         <op id=\"{e}-stop-0\" name=\"stop\" interval=\"0\" timeout=\"60s\"/>\
         <op id=\"{e}-monitor-{monitor_secs}s\" name=\"monitor\" interval=\"{monitor_secs}s\" timeout=\"30s\"/>\
         </operations></primitive>",
        nvpairs(&id, "instance_attributes", &[("pool", pool)]),
        nvpairs(&id, "meta_attributes", &[("target-role", "Stopped")]),
    )
}

/// The id of [`pool_colocation`].
pub fn pool_colocation_id(resource: &str) -> String {
    format!("{resource}-zpool-with-target")
}

/// The pool runs only where the target's primitive runs (and not at all
/// while it is stopped); the target's location scores place both.
pub fn pool_colocation(resource: &str) -> String {
    format!(
        "<rsc_colocation id=\"{}\" rsc=\"{}\" with-rsc=\"{}\" score=\"INFINITY\"/>",
        escape(&pool_colocation_id(resource)),
        escape(&pool_resource_id(resource)),
        escape(resource)
    )
}

/// The id of [`pool_order`].
pub fn pool_order_id(resource: &str) -> String {
    format!("{resource}-zpool-first")
}

/// The pool is imported before the target mounts and exported after it
/// unmounts.
pub fn pool_order(resource: &str) -> String {
    format!(
        "<rsc_order id=\"{}\" first=\"{}\" then=\"{}\" kind=\"Mandatory\"/>",
        escape(&pool_order_id(resource)),
        escape(&pool_resource_id(resource)),
        escape(resource)
    )
}

/// One CIB element of a ZFS target's pool: its section, tag, id and XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolElement {
    pub scope: &'static str,
    pub tag: &'static str,
    pub id: String,
    pub xml: String,
}

/// The CIB elements of target primitive `resource`'s pool, in the order
/// they are created (the primitive before the constraints naming it);
/// deleted in reverse, since the schema refuses a constraint whose
/// resource is gone.
pub fn pool_elements(resource: &str, pool: &str, monitor_secs: u32) -> [PoolElement; 3] {
    let element = |scope, tag, id, xml| PoolElement { scope, tag, id, xml };
    [
        element(
            "resources",
            "primitive",
            pool_resource_id(resource),
            pool_primitive(resource, pool, monitor_secs),
        ),
        element(
            "constraints",
            "rsc_colocation",
            pool_colocation_id(resource),
            pool_colocation(resource),
        ),
        element(
            "constraints",
            "rsc_order",
            pool_order_id(resource),
            pool_order(resource),
        ),
    ]
}

/// The id of the fencing device for `node`.
pub fn fence_id(node: &str) -> String {
    let safe: String = node
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("fence-{safe}")
}

/// A fencing device (`stonith:AGENT`) that fences `node`, with the
/// operator's parameters.
pub fn fence_primitive(node: &str, agent: &str, params: &[(String, String)]) -> String {
    let id = fence_id(node);
    let mut pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    if !params.iter().any(|(k, _)| k == "pcmk_host_list") {
        pairs.push(("pcmk_host_list", node));
    }
    let e = escape(&id);
    format!(
        "<primitive id=\"{e}\" class=\"stonith\" type=\"{}\">\
         <instance_attributes id=\"{e}-instance_attributes\">{}</instance_attributes>\
         <operations><op id=\"{e}-monitor-60s\" name=\"monitor\" interval=\"60s\"/></operations></primitive>",
        escape(agent),
        nvpairs(&id, "instance_attributes", &pairs),
    )
}

/// Element `tag` with `id`, as `cibadmin --delete --xml-text` takes it.
pub fn element_ref(tag: &str, id: &str) -> String {
    format!("<{tag} id=\"{}\"/>", escape(id))
}

/// A node of a corosync cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorosyncNode {
    pub name: String,
    pub ring0_addr: String,
    pub nodeid: u32,
}

/// corosync 3's configuration for `cluster_name` over knet, encrypted and
/// authenticated with `/etc/corosync/authkey`; two nodes keep quorum with
/// one (`two_node`).
pub fn corosync_conf(cluster_name: &str, nodes: &[CorosyncNode]) -> String {
    let mut conf = format!(
        "# Written by Chroma; changes here are overwritten when it configures the cluster.\n\
         totem {{\n    version: 2\n    cluster_name: {cluster_name}\n    transport: knet\n    \
         crypto_cipher: aes256\n    crypto_hash: sha256\n}}\n\nnodelist {{\n"
    );
    for n in nodes {
        conf.push_str(&format!(
            "    node {{\n        ring0_addr: {}\n        name: {}\n        nodeid: {}\n    }}\n",
            n.ring0_addr, n.name, n.nodeid
        ));
    }
    conf.push_str("}\n\nquorum {\n    provider: corosync_votequorum\n");
    if nodes.len() == 2 {
        conf.push_str("    two_node: 1\n");
    }
    conf.push_str("}\n\nlogging {\n    to_syslog: yes\n    timestamp: on\n}\n");
    conf
}

/// Whether `value` may stand in corosync.conf as a node name or address
/// (no spaces, braces, colons beyond IPv6's, or comments).
pub fn corosync_safe(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 253
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic")]
mod tests {
    use super::*;

    const CRM_MON: &str = r#"<pacemaker-result api-version="2.25" request="crm_mon -1 --output-as=xml">
  <summary>
    <stack type="corosync"/>
    <current_dc present="true" version="2.1.5-a3f44794f94" name="oss1.cluster" id="1" with_quorum="true" mixed_version="false"/>
    <nodes_configured number="2"/>
    <resources_configured number="3" disabled="0" blocked="0"/>
    <cluster_options stonith-enabled="true" symmetric-cluster="true" no-quorum-policy="stop" maintenance-mode="false"/>
  </summary>
  <nodes>
    <node name="oss1.cluster" id="1" online="true" standby="false" unclean="false" shutdown="false" is_dc="true" resources_running="2" type="member"/>
    <node name="oss2.cluster" id="2" online="false" standby="false" unclean="true" shutdown="false" is_dc="false" resources_running="0" type="member"/>
  </nodes>
  <resources>
    <resource id="fence-oss1_cluster" resource_agent="stonith:fence_lustre_sim" role="Started" active="true" orphaned="false" blocked="false" managed="true" failed="false" nodes_running_on="1">
      <node name="oss1.cluster" id="1" cached="true"/>
    </resource>
    <group id="g" number_resources="1">
      <resource id="demo-OST0000_0123456789ab" resource_agent="ocf::lustre:Lustre" role="Started" active="true" orphaned="false" blocked="false" managed="true" failed="false" nodes_running_on="1">
        <node name="oss1.cluster" id="1" cached="true"/>
      </resource>
    </group>
    <resource id="demo-OST0001_0123456789ac" resource_agent="ocf:lustre:Lustre" role="Stopped" active="false" orphaned="false" blocked="false" managed="true" failed="false" nodes_running_on="0"/>
  </resources>
  <node_history>
    <node name="oss2.cluster">
      <resource_history id="demo-OST0001_0123456789ac" orphan="false" migration-threshold="1000000" fail-count="1000000"/>
    </node>
  </node_history>
  <fence_history>
    <fence_event action="off" target="oss2.cluster" client="pacemaker-controld.1" origin="oss1.cluster" status="success" delegate="oss1.cluster" completed="2026-12-06 05:00:00Z"/>
  </fence_history>
  <status code="0" message="OK"/>
</pacemaker-result>"#;

    #[test]
    fn reads_nodes_resources_fail_counts_and_fencing() {
        let s = ClusterStatus::parse(CRM_MON).unwrap();
        assert_eq!(s.dc.as_deref(), Some("oss1.cluster"));
        assert!(s.quorate);
        assert_eq!(s.stonith_enabled, Some(true));
        assert_eq!(s.nodes.len(), 2);
        assert!(s.node("oss2.cluster").unwrap().unclean);
        let ost0 = s.resource("demo-OST0000_0123456789ab").unwrap();
        assert_eq!(ost0.agent, "ocf:lustre:Lustre");
        assert_eq!(ost0.nodes, vec!["oss1.cluster"]);
        assert!(!s.resource("demo-OST0001_0123456789ac").unwrap().active);
        assert_eq!(s.fence_devices(), 1);
        assert_eq!(s.fail_counts_of("demo-OST0001_0123456789ac")[0].count, INFINITY);
        assert_eq!(s.fences[0].target, "oss2.cluster");
        assert_eq!(s.blocked_reason(), None);
    }

    #[test]
    fn says_why_nothing_would_start() {
        let mut s = ClusterStatus::parse(CRM_MON).unwrap();
        s.resources.retain(|r| !r.is_fencing());
        assert!(s.blocked_reason().unwrap().contains("no fencing device"));
        s.stonith_enabled = Some(false);
        assert_eq!(s.blocked_reason(), None);
        s.quorate = false;
        assert!(s.blocked_reason().unwrap().contains("quorum"));
        assert!(ClusterStatus::parse("crm_mon: error").is_err());
    }

    #[test]
    fn resource_ids_are_unique_per_target() {
        let a = Uuid::parse_str("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").unwrap();
        let b = Uuid::parse_str("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c").unwrap();
        assert_eq!(resource_id("MGS", a), "MGS_0c1d2e3f4a5b");
        assert_ne!(resource_id("MGS", a), resource_id("MGS", b));
    }

    #[test]
    fn cib_elements_escape_values() {
        let p = target_primitive("fs-OST0000_x", "/dev/disk/by-id/wwn-0x1", "/mnt/fs-OST0000", 20);
        let doc = roxmltree::Document::parse(&p).unwrap();
        let target = doc
            .descendants()
            .find(|n| n.attribute("name") == Some("target"))
            .unwrap();
        assert_eq!(target.attribute("value"), Some("/dev/disk/by-id/wwn-0x1"));
        assert!(p.contains("name=\"target-role\" value=\"Stopped\""));
        assert!(p.contains("interval=\"20s\""));
        let f = fence_primitive("oss1.cluster", "fence_ipmilan", &[("passwd".into(), "a\"<b&".into())]);
        let doc = roxmltree::Document::parse(&f).unwrap();
        let pw = doc
            .descendants()
            .find(|n| n.attribute("name") == Some("passwd"))
            .unwrap();
        assert_eq!(pw.attribute("value"), Some("a\"<b&"));
        assert!(f.contains("name=\"pcmk_host_list\" value=\"oss1.cluster\""));
        assert_eq!(
            location("r", "oss1.cluster", PRIMARY_SCORE),
            "<rsc_location id=\"r-on-oss1.cluster\" rsc=\"r\" node=\"oss1.cluster\" score=\"20\"/>"
        );
    }

    #[test]
    fn corosync_conf_lists_every_node() {
        let nodes = [
            CorosyncNode {
                name: "oss1.cluster".into(),
                ring0_addr: "10.0.0.2".into(),
                nodeid: 1,
            },
            CorosyncNode {
                name: "oss2.cluster".into(),
                ring0_addr: "10.0.0.3".into(),
                nodeid: 2,
            },
        ];
        let conf = corosync_conf("demo", &nodes);
        assert!(conf.contains("cluster_name: demo"));
        assert!(conf.contains("ring0_addr: 10.0.0.3\n        name: oss2.cluster\n        nodeid: 2"));
        assert!(conf.contains("two_node: 1"));
        assert!(corosync_safe("oss1.cluster") && corosync_safe("fe80::1"));
        assert!(!corosync_safe("a b") && !corosync_safe("x}") && !corosync_safe(""));
    }
}
