//! When each HA-stack alert is active, decided from one round's readings
//! without I/O: the HA daemons of each member (`systemctl is-active`), and
//! the cluster as one member's crm_mon shows it (peers, quorum, fencing,
//! resources). Fencing actions are decided in [`super::fences`].

use lustre::pacemaker::{ClusterStatus, INFINITY};
use lustre::Item;
use serde_json::{json, Value};
use std::collections::HashSet;
use store::alerts::{AlertKind, Raise};

use crate::inventory::{Cluster, Host, TargetRow};
use crate::parse::Reading;

/// The alerts about a cluster's HA stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// corosync or Pacemaker is not running on a member (`host/ID`).
    DaemonStopped,
    /// A member is not an online node of its cluster (`host/ID`).
    PeerMissing,
    /// The cluster has no quorum (`ha_cluster/ID`).
    NoQuorum,
    /// Fencing is enabled without a device: nothing starts (`ha_cluster/ID`).
    FencingMissing,
    /// Fencing is disabled (`ha_cluster/ID`).
    FencingDisabled,
    /// A target's resource failed, is blocked or has a fail-count (`target/ID`).
    ResourceFailed,
    /// A member was fenced (`host/ID`).
    NodeFenced,
}

impl Kind {
    /// The alert kind it is raised as.
    pub const fn alert(self) -> AlertKind {
        match self {
            Kind::DaemonStopped => AlertKind::HaDaemonStopped,
            Kind::PeerMissing => AlertKind::HaPeerMissing,
            Kind::NoQuorum => AlertKind::HaNoQuorum,
            Kind::FencingMissing => AlertKind::HaFencingMissing,
            Kind::FencingDisabled => AlertKind::HaFencingDisabled,
            Kind::ResourceFailed => AlertKind::HaResourceFailed,
            Kind::NodeFenced => AlertKind::HaNodeFenced,
        }
    }
}

/// One alert's condition as a round saw it: raise it when `active`, clear
/// it otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub kind: Kind,
    pub item: lustre::Item,
    pub active: bool,
    pub message: String,
    pub details: Value,
}

impl Verdict {
    /// The alert to raise.
    pub fn raise(&self) -> Raise {
        Raise {
            kind: self.kind.alert(),
            item: self.item.clone(),
            message: self.message.clone(),
            details: self.details.clone(),
        }
    }
}

/// A member of a cluster and what its poll read (`None`: it did not answer).
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    pub host: &'a Host,
    pub reading: Option<&'a Reading>,
}

impl<'a> Member<'a> {
    /// Its Pacemaker node name.
    pub fn node(&self) -> Option<&'a str> {
        self.host.ha_node.as_deref().or(self.host.nodename.as_deref())
    }

    /// The cluster as its crm_mon showed it, if that named a DC.
    pub fn status(&self) -> Option<&'a ClusterStatus> {
        self.reading?.pacemaker.as_ref().filter(|s| s.dc.is_some())
    }

    fn item(&self) -> lustre::Item {
        Item::Host(self.host.id)
    }
}

/// Whose view of the cluster a round goes by: a member whose crm_mon
/// answered with a DC; in a split cluster a partition with quorum first,
/// then the DC itself.
pub fn view<'a>(members: &[Member<'a>]) -> Option<(Member<'a>, &'a ClusterStatus)> {
    members
        .iter()
        .filter_map(|m| m.status().map(|s| (*m, s)))
        .max_by_key(|(m, s)| (s.quorate, m.node().is_some() && s.dc.as_deref() == m.node()))
}

/// Every verdict of one cluster but fencing actions. Objects in `busy` (a
/// job is changing them) are left as they are.
pub fn evaluate(
    cluster: &Cluster,
    members: &[Member<'_>],
    targets: &[&TargetRow],
    busy: &HashSet<Item>,
) -> Vec<Verdict> {
    let mut out: Vec<Verdict> = members
        .iter()
        .filter(|m| !busy.contains(&m.item()))
        .filter_map(daemons)
        .collect();
    let Some((observer, status)) = view(members) else {
        return out;
    };
    for member in members {
        if member.host.id != observer.host.id && !busy.contains(&member.item()) {
            out.extend(peer(cluster, *member, observer, status));
        }
    }
    out.extend(quorum(cluster, observer, status));
    out.extend(fencing(cluster, status));
    for target in targets {
        if !busy.contains(&Item::Target(target.id)) {
            out.extend(resource(target, members, status));
        }
    }
    out
}

/// `ha_daemon_stopped`, when the member said how its daemons are.
fn daemons(member: &Member<'_>) -> Option<Verdict> {
    let units = member.reading?.ha_units.as_ref()?;
    let stopped: Vec<&str> = units
        .iter()
        .filter(|(_, state)| state != "active")
        .map(|(unit, _)| match *unit {
            "pacemaker" => "Pacemaker",
            other => other,
        })
        .collect();
    let name = &member.host.name;
    let message = match stopped.as_slice() {
        [one] => format!("{one} is not running on {name}"),
        several => format!("{} are not running on {name}", several.join(" and ")),
    };
    let mut details = json!({ "host_id": member.host.id, "ha_cluster_id": member.host.ha_cluster_id });
    for (unit, state) in units {
        details[*unit] = json!(state);
    }
    Some(Verdict {
        kind: Kind::DaemonStopped,
        item: member.item(),
        active: !stopped.is_empty(),
        message,
        details,
    })
}

/// `ha_peer_missing` of `member` as `observer` sees the cluster.
fn peer(cluster: &Cluster, member: Member<'_>, observer: Member<'_>, status: &ClusterStatus) -> Option<Verdict> {
    let node = member.node()?;
    let why = match status.node(node) {
        None => Some("it is not a node of the cluster"),
        Some(n) if n.unclean => Some("it is unclean: lost without a clean shutdown"),
        Some(n) if !n.online => Some("it is offline"),
        Some(_) => None,
    };
    Some(Verdict {
        kind: Kind::PeerMissing,
        item: member.item(),
        active: why.is_some(),
        message: format!(
            "{} is not an online member of HA cluster {} as {} sees it: {}",
            member.host.name,
            cluster.name,
            observer.host.name,
            why.unwrap_or_default()
        ),
        details: json!({
            "host_id": member.host.id,
            "ha_cluster_id": cluster.id,
            "node": node,
            "seen_by": observer.host.id,
        }),
    })
}

/// `ha_no_quorum`.
fn quorum(cluster: &Cluster, observer: Member<'_>, status: &ClusterStatus) -> Option<Verdict> {
    Some(Verdict {
        kind: Kind::NoQuorum,
        item: Item::HaCluster(cluster.id),
        active: !status.quorate,
        message: format!(
            "HA cluster {} has no quorum as {} sees it: Pacemaker stops its resources and starts none",
            cluster.name, observer.host.name
        ),
        details: json!({ "ha_cluster_id": cluster.id, "dc": status.dc, "seen_by": observer.host.id }),
    })
}

/// `ha_fencing_missing` and `ha_fencing_disabled`. Pacemaker's default
/// for an unset `stonith-enabled` is true.
fn fencing(cluster: &Cluster, status: &ClusterStatus) -> [Verdict; 2] {
    let item = Item::HaCluster(cluster.id);
    let devices = status.fence_devices();
    let enabled = status.stonith_enabled != Some(false);
    let details = json!({ "ha_cluster_id": cluster.id, "stonith_enabled": enabled, "fence_devices": devices });
    [
        Verdict {
            kind: Kind::FencingMissing,
            item: item.clone(),
            active: enabled && devices == 0,
            message: format!(
                "Pacemaker starts no resource on HA cluster {}: fencing is enabled and no fencing device is configured",
                cluster.name
            ),
            details: details.clone(),
        },
        Verdict {
            kind: Kind::FencingDisabled,
            item,
            active: !enabled,
            message: format!(
                "HA cluster {} runs without fencing: a split brain can mount a target on two servers; \
                 acceptable only on a test cluster",
                cluster.name
            ),
            details,
        },
    ]
}

/// `ha_resource_failed` of a target Pacemaker keeps.
fn resource(target: &TargetRow, members: &[Member<'_>], status: &ClusterStatus) -> Option<Verdict> {
    let id = target.ha_resource.as_deref()?;
    let (failed, blocked) = status.resource(id).map_or((false, false), |r| (r.failed, r.blocked));
    let host_of = |node: &str| members.iter().find(|m| m.node() == Some(node)).map(|m| m.host);
    let counts = status.fail_counts_of(id);
    let mut problems = Vec::new();
    if failed {
        problems.push("has failed".to_owned());
    }
    if blocked {
        problems.push("is blocked: Pacemaker does not touch it until it is cleaned up".to_owned());
    }
    if !counts.is_empty() {
        let listed: Vec<String> = counts
            .iter()
            .map(|c| {
                let count = if c.count >= INFINITY {
                    "INFINITY".to_owned()
                } else {
                    c.count.to_string()
                };
                let name = host_of(&c.node).map_or(c.node.as_str(), |h| h.name.as_str());
                format!("{count} on {name}")
            })
            .collect();
        problems.push(format!(
            "has fail-count {}, so Pacemaker keeps it off there until it is cleaned up",
            listed.join(", ")
        ));
    }
    let fail_counts: Vec<Value> = counts
        .iter()
        .map(|c| json!({ "node": c.node, "host_id": host_of(&c.node).map(|h| h.id), "count": c.count }))
        .collect();
    Some(Verdict {
        kind: Kind::ResourceFailed,
        item: Item::Target(target.id),
        active: !problems.is_empty(),
        message: format!(
            "{}'s Pacemaker resource {id} {}; a failover or failback cleans it up \
             (Chroma runs crm_resource --cleanup before moving a target)",
            target.name,
            problems.join("; it ")
        ),
        details: json!({
            "target_id": target.id,
            "ha_cluster_id": members.first().and_then(|m| m.host.ha_cluster_id),
            "resource": id,
            "failed": failed,
            "blocked": blocked,
            "fail_counts": fail_counts,
        }),
    })
}

#[cfg(test)]
#[expect(clippy::expect_used, reason = "a failing test should panic")]
pub(crate) mod tests {
    use super::*;
    use lustre::pacemaker::{FailCount, Node, ResourceStatus};
    use uuid::Uuid;

    pub fn host(n: u128, name: &str, node: &str) -> Host {
        Host {
            id: Uuid::from_u128(n),
            name: name.into(),
            nodename: Some(name.into()),
            ha_node: Some(node.into()),
            ha_cluster_id: Some(Uuid::from_u128(100)),
            target: chroma_ssh::Target::new("10.0.0.1", 22, "root"),
            fingerprint: chroma_ssh::Fingerprint::parse("SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s")
                .expect("a valid fingerprint"),
            lnet_state: "lnet_up".into(),
            journal_cursor: None,
        }
    }

    pub fn cluster() -> Cluster {
        Cluster {
            id: Uuid::from_u128(100),
            name: "demo".into(),
        }
    }

    /// Two healthy nodes, oss1 the DC, one fencing device and one target.
    pub fn status() -> ClusterStatus {
        let node = |name: &str, dc: bool| Node {
            name: name.into(),
            online: true,
            unclean: false,
            is_dc: dc,
        };
        let resource = |id: &str, agent: &str| ResourceStatus {
            id: id.into(),
            agent: agent.into(),
            role: "Started".into(),
            active: true,
            failed: false,
            blocked: false,
            managed: true,
            nodes: vec!["oss1.ha".into()],
        };
        ClusterStatus {
            dc: Some("oss1.ha".into()),
            quorate: true,
            stonith_enabled: Some(true),
            nodes: vec![node("oss1.ha", true), node("oss2.ha", false)],
            resources: vec![
                resource("fence-oss1", "stonith:fence_ipmilan"),
                resource("demo-OST0000_abc", "ocf:lustre:Lustre"),
            ],
            fail_counts: Vec::new(),
            fences: Vec::new(),
        }
    }

    pub fn reading(status: Option<ClusterStatus>, units: [&str; 2]) -> Reading {
        Reading {
            pacemaker: status,
            ha_units: Some(vec![("corosync", units[0].into()), ("pacemaker", units[1].into())]),
            ..Reading::default()
        }
    }

    fn target() -> TargetRow {
        TargetRow {
            id: Uuid::from_u128(7),
            name: "demo-OST0000".into(),
            kind: "ost".into(),
            filesystem_id: None,
            state: "mounted".into(),
            primary_host_id: Uuid::from_u128(1),
            failover_host_ids: vec![Uuid::from_u128(2)],
            active_host_id: Some(Uuid::from_u128(1)),
            ha_resource: Some("demo-OST0000_abc".into()),
        }
    }

    /// Verdicts of a two-node cluster: oss1 read `one`, oss2 read `two`.
    fn verdicts(one: Option<&Reading>, two: Option<&Reading>) -> Vec<Verdict> {
        let (h1, h2) = (host(1, "oss1", "oss1.ha"), host(2, "oss2", "oss2.ha"));
        let members = [
            Member {
                host: &h1,
                reading: one,
            },
            Member {
                host: &h2,
                reading: two,
            },
        ];
        let target = target();
        evaluate(&cluster(), &members, &[&target], &HashSet::new())
    }

    fn find(verdicts: &[Verdict], kind: Kind, item: &str) -> Verdict {
        verdicts
            .iter()
            .find(|v| v.kind == kind && v.item.to_string() == item)
            .cloned()
            .unwrap_or_else(|| panic!("no {kind:?} on {item} in {verdicts:#?}"))
    }

    const OSS1: &str = "host/00000000-0000-0000-0000-000000000001";
    const OSS2: &str = "host/00000000-0000-0000-0000-000000000002";
    const CLUSTER: &str = "ha_cluster/00000000-0000-0000-0000-000000000064";
    const TARGET: &str = "target/00000000-0000-0000-0000-000000000007";

    #[test]
    fn a_healthy_cluster_clears_every_alert() {
        let r = reading(Some(status()), ["active", "active"]);
        let all = verdicts(Some(&r), Some(&r));
        assert!(all.iter().all(|v| !v.active), "{all:#?}");
        for (kind, item) in [
            (Kind::DaemonStopped, OSS1),
            (Kind::DaemonStopped, OSS2),
            (Kind::PeerMissing, OSS2),
            (Kind::NoQuorum, CLUSTER),
            (Kind::FencingMissing, CLUSTER),
            (Kind::FencingDisabled, CLUSTER),
            (Kind::ResourceFailed, TARGET),
        ] {
            find(&all, kind, item);
        }
    }

    #[test]
    fn a_stopped_daemon_is_named() {
        let good = reading(Some(status()), ["active", "active"]);
        let bad = reading(None, ["active", "failed"]);
        let v = find(&verdicts(Some(&good), Some(&bad)), Kind::DaemonStopped, OSS2);
        assert!(v.active);
        assert_eq!(v.message, "Pacemaker is not running on oss2");
        assert_eq!(v.details["pacemaker"], "failed");
        let both = reading(None, ["inactive", "inactive"]);
        let v = find(&verdicts(Some(&good), Some(&both)), Kind::DaemonStopped, OSS2);
        assert_eq!(v.message, "corosync and Pacemaker are not running on oss2");
        let only = reading(None, ["activating", "active"]);
        let v = find(&verdicts(Some(&good), Some(&only)), Kind::DaemonStopped, OSS2);
        assert_eq!(v.message, "corosync is not running on oss2");
    }

    #[test]
    fn a_host_that_did_not_answer_keeps_its_daemon_alert() {
        let good = reading(Some(status()), ["active", "active"]);
        let all = verdicts(Some(&good), None);
        assert!(!all
            .iter()
            .any(|v| v.kind == Kind::DaemonStopped && v.item.to_string() == OSS2));
    }

    #[test]
    fn a_peer_offline_absent_or_unclean_is_missing() {
        let quiet = reading(None, ["active", "active"]);
        for (change, why) in [
            (
                (|s: &mut ClusterStatus| s.nodes[1].online = false) as fn(&mut ClusterStatus),
                "offline",
            ),
            (|s| s.nodes[1].unclean = true, "unclean"),
            (|s| s.nodes.truncate(1), "not a node"),
        ] {
            let mut s = status();
            change(&mut s);
            let seen = reading(Some(s), ["active", "active"]);
            let v = find(&verdicts(Some(&seen), Some(&quiet)), Kind::PeerMissing, OSS2);
            assert!(v.active && v.message.contains(why), "{v:?}");
            assert!(v
                .message
                .starts_with("oss2 is not an online member of HA cluster demo as oss1 sees it"));
        }
        // No member with a DC: nothing is known of peers.
        let none = verdicts(Some(&quiet), Some(&quiet));
        assert!(!none.iter().any(|v| v.kind == Kind::PeerMissing));
    }

    #[test]
    fn the_view_prefers_a_quorate_partition() {
        let mut lonely = status();
        lonely.quorate = false;
        lonely.dc = Some("oss2.ha".into());
        let (h1, h2) = (host(1, "oss1", "oss1.ha"), host(2, "oss2", "oss2.ha"));
        let (r1, r2) = (
            reading(Some(status()), ["active"; 2]),
            reading(Some(lonely), ["active"; 2]),
        );
        let members = [
            Member {
                host: &h2,
                reading: Some(&r2),
            },
            Member {
                host: &h1,
                reading: Some(&r1),
            },
        ];
        assert_eq!(view(&members).map(|(m, _)| m.host.id), Some(h1.id));
    }

    #[test]
    fn no_quorum_is_raised_and_cleared() {
        let mut s = status();
        s.quorate = false;
        let r = reading(Some(s), ["active", "active"]);
        let v = find(&verdicts(Some(&r), None), Kind::NoQuorum, CLUSTER);
        assert!(v.active);
        assert!(v.message.starts_with("HA cluster demo has no quorum as oss1 sees it"));
        let r = reading(Some(status()), ["active", "active"]);
        assert!(!find(&verdicts(Some(&r), None), Kind::NoQuorum, CLUSTER).active);
    }

    #[test]
    fn fencing_enabled_or_unset_without_a_device_starts_nothing() {
        for enabled in [Some(true), None] {
            let mut s = status();
            s.stonith_enabled = enabled;
            s.resources.retain(|r| !r.is_fencing());
            let all = verdicts(Some(&reading(Some(s), ["active", "active"])), None);
            let v = find(&all, Kind::FencingMissing, CLUSTER);
            assert!(v.active);
            assert_eq!(
                v.message,
                "Pacemaker starts no resource on HA cluster demo: fencing is enabled and no fencing device is configured"
            );
            assert!(!find(&all, Kind::FencingDisabled, CLUSTER).active);
        }
    }

    #[test]
    fn disabled_fencing_is_a_warning() {
        let mut s = status();
        s.stonith_enabled = Some(false);
        s.resources.retain(|r| !r.is_fencing());
        let all = verdicts(Some(&reading(Some(s), ["active", "active"])), None);
        let v = find(&all, Kind::FencingDisabled, CLUSTER);
        assert!(v.active && v.raise().kind.severity() == store::alerts::Severity::Warning);
        assert!(v
            .message
            .starts_with("HA cluster demo runs without fencing: a split brain"));
        assert!(!find(&all, Kind::FencingMissing, CLUSTER).active);
    }

    #[test]
    fn a_failed_resource_names_nodes_and_counts() {
        let mut s = status();
        s.resources[1].failed = true;
        s.fail_counts = vec![
            FailCount {
                node: "oss1.ha".into(),
                resource: "demo-OST0000_abc".into(),
                count: INFINITY,
            },
            FailCount {
                node: "oss2.ha".into(),
                resource: "demo-OST0000_abc".into(),
                count: 2,
            },
        ];
        let v = find(
            &verdicts(Some(&reading(Some(s), ["active"; 2])), None),
            Kind::ResourceFailed,
            TARGET,
        );
        assert!(v.active);
        assert!(v.message.contains("demo-OST0000_abc has failed"), "{}", v.message);
        assert!(
            v.message.contains("fail-count INFINITY on oss1, 2 on oss2"),
            "{}",
            v.message
        );
        assert!(v.message.contains("crm_resource --cleanup"), "{}", v.message);
    }

    #[test]
    fn a_blocked_resource_or_a_fail_count_alone_is_raised() {
        let mut s = status();
        s.resources[1].blocked = true;
        let v = find(
            &verdicts(Some(&reading(Some(s), ["active"; 2])), None),
            Kind::ResourceFailed,
            TARGET,
        );
        assert!(v.active && v.message.contains("is blocked"), "{}", v.message);
        let mut s = status();
        s.fail_counts.push(FailCount {
            node: "elsewhere".into(),
            resource: "demo-OST0000_abc".into(),
            count: 1,
        });
        let v = find(
            &verdicts(Some(&reading(Some(s), ["active"; 2])), None),
            Kind::ResourceFailed,
            TARGET,
        );
        assert!(
            v.active && v.message.contains("fail-count 1 on elsewhere"),
            "{}",
            v.message
        );
    }

    #[test]
    fn busy_objects_are_left_alone() {
        let (h1, h2) = (host(1, "oss1", "oss1.ha"), host(2, "oss2", "oss2.ha"));
        let mut s = status();
        s.nodes.truncate(1);
        let r = reading(Some(s), ["active", "failed"]);
        let members = [
            Member {
                host: &h1,
                reading: Some(&r),
            },
            Member {
                host: &h2,
                reading: Some(&r),
            },
        ];
        let busy: HashSet<Item> = [OSS2, TARGET].iter().filter_map(|t| t.parse().ok()).collect();
        assert_eq!(busy.len(), 2);
        let all = evaluate(&cluster(), &members, &[&target()], &busy);
        assert!(
            !all.iter()
                .any(|v| v.item.to_string() == OSS2 || v.item.to_string() == TARGET),
            "{all:#?}"
        );
    }
}
