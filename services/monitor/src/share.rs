//! Several monitors split the servers between them. The unit of work is
//! a group of servers that must be read together: servers sharing a
//! target (it may run on any of them), an HA cluster (its alerts weigh
//! every member's view) or a file system (its totals sum over all its
//! targets; its parameters, quotas and copytools are read through its MGS
//! and clients). Each group has a lease in PostgreSQL
//! (`store::leases`); a monitor polls, streams the journals of, and
//! raises the alerts of only the groups it holds, so no server is polled
//! by two monitors in one round. A monitor that holds every group works on
//! the whole inventory exactly as a single monitor always did.

use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

use crate::inventory::Inventory;

/// One group of servers read together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The lease's name: `servers/` and the group's least member id.
    pub key: String,
    pub hosts: Vec<Uuid>,
    pub clusters: Vec<Uuid>,
    pub filesystems: Vec<Uuid>,
}

/// A union-find over ids.
#[derive(Default)]
struct Groups {
    parent: HashMap<Uuid, Uuid>,
}

impl Groups {
    fn root(&mut self, id: Uuid) -> Uuid {
        let mut at = id;
        loop {
            let up = *self.parent.entry(at).or_insert(at);
            if up == at {
                break;
            }
            at = up;
        }
        // Shorten the path walked.
        let mut walk = id;
        while walk != at {
            let up = self.parent.get(&walk).copied().unwrap_or(at);
            self.parent.insert(walk, at);
            walk = up;
        }
        at
    }

    fn join(&mut self, a: Uuid, b: Uuid) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            // The least id is the root, so a group's name does not depend
            // on the order it was joined in.
            let (low, high) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent.insert(high, low);
        }
    }
}

/// The groups of `inventory`'s servers and clusters, given what ties
/// servers to file systems (`store::leases::server_ties`).
pub fn units(inventory: &Inventory, ties: &[(Uuid, Uuid)]) -> Vec<Unit> {
    let mut groups = Groups::default();
    let hosts: HashSet<Uuid> = inventory.hosts.iter().map(|h| h.id).collect();
    for host in &inventory.hosts {
        groups.root(host.id);
        if let Some(cluster) = host.ha_cluster_id {
            groups.join(host.id, cluster);
        }
    }
    for cluster in &inventory.clusters {
        groups.root(cluster.id);
    }
    for target in &inventory.targets {
        let mut on = target.hosts().filter(|h| hosts.contains(h));
        if let Some(first) = on.next() {
            on.for_each(|h| groups.join(first, h));
        }
    }
    for (host, fs) in ties {
        if hosts.contains(host) {
            groups.join(*host, *fs);
        }
    }
    let mut out: BTreeMap<Uuid, Unit> = BTreeMap::new();
    let members = inventory
        .hosts
        .iter()
        .map(|h| (h.id, true))
        .chain(inventory.clusters.iter().map(|c| (c.id, false)));
    for (id, is_host) in members {
        let root = groups.root(id);
        let unit = out.entry(root).or_insert_with(|| Unit {
            key: format!("servers/{root}"),
            hosts: Vec::new(),
            clusters: Vec::new(),
            filesystems: Vec::new(),
        });
        if is_host {
            unit.hosts.push(id);
        } else {
            unit.clusters.push(id);
        }
    }
    let mut filesystems: Vec<Uuid> = ties
        .iter()
        .filter(|(h, _)| hosts.contains(h))
        .map(|(_, fs)| *fs)
        .collect();
    filesystems.sort();
    filesystems.dedup();
    for fs in filesystems {
        let root = groups.root(fs);
        if let Some(u) = out.get_mut(&root) {
            u.filesystems.push(fs);
        }
    }
    out.into_values().collect()
}

/// The part of `inventory` in the units `holds` says this monitor holds;
/// all of it, unchanged, when it holds every unit.
pub fn scoped(mut inventory: Inventory, units: &[Unit], holds: impl Fn(&str) -> bool) -> Inventory {
    if units.iter().all(|u| holds(&u.key)) {
        return inventory;
    }
    let mine: Vec<&Unit> = units.iter().filter(|u| holds(&u.key)).collect();
    let hosts: HashSet<Uuid> = mine.iter().flat_map(|u| u.hosts.iter().copied()).collect();
    let clusters: HashSet<Uuid> = mine.iter().flat_map(|u| u.clusters.iter().copied()).collect();
    inventory.hosts.retain(|h| hosts.contains(&h.id));
    inventory.targets.retain(|t| hosts.contains(&t.primary_host_id));
    inventory.clusters.retain(|c| clusters.contains(&c.id));
    inventory.filesystems = Some(mine.iter().flat_map(|u| u.filesystems.iter().copied()).collect());
    inventory
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Cluster, Host, TargetRow};

    #[expect(clippy::expect_used, reason = "a fixed, valid fingerprint")]
    fn host(n: u128, cluster: Option<u128>) -> Host {
        Host {
            id: Uuid::from_u128(n),
            name: format!("oss{n}"),
            nodename: None,
            ha_node: None,
            ha_cluster_id: cluster.map(Uuid::from_u128),
            target: chroma_ssh::Target::new("127.0.0.1", 22, "root"),
            fingerprint: chroma_ssh::Fingerprint::parse("SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s")
                .expect("a valid fingerprint"),
            lnet_state: "lnet_up".into(),
            journal_cursor: None,
        }
    }

    fn target(n: u128, primary: u128, failover: &[u128], fs: Option<u128>) -> TargetRow {
        TargetRow {
            id: Uuid::from_u128(n),
            name: format!("t{n}"),
            kind: "ost".into(),
            filesystem_id: fs.map(Uuid::from_u128),
            state: "mounted".into(),
            primary_host_id: Uuid::from_u128(primary),
            failover_host_ids: failover.iter().map(|h| Uuid::from_u128(*h)).collect(),
            active_host_id: None,
            ha_resource: None,
        }
    }

    #[test]
    fn servers_sharing_a_target_a_cluster_or_a_file_system_are_one_unit() {
        let inventory = Inventory {
            hosts: vec![
                host(1, None),
                host(2, None),
                host(3, Some(100)),
                host(4, Some(100)),
                host(5, None),
                host(6, None),
                host(7, None),
            ],
            targets: vec![target(10, 1, &[2], None)],
            clusters: vec![Cluster {
                id: Uuid::from_u128(100),
                name: "c".into(),
            }],
            ..Inventory::default()
        };
        let fs = Uuid::from_u128(200);
        let ties = [(Uuid::from_u128(5), fs), (Uuid::from_u128(6), fs)];
        let units = units(&inventory, &ties);
        let members: Vec<Vec<u128>> = units
            .iter()
            .map(|u| u.hosts.iter().map(|h| h.as_u128()).collect())
            .collect();
        assert_eq!(members, vec![vec![1, 2], vec![3, 4], vec![5, 6], vec![7]]);
        assert_eq!(units[1].clusters, vec![Uuid::from_u128(100)]);
        assert_eq!(units[2].filesystems, vec![fs]);
        assert_eq!(units[0].key, format!("servers/{}", Uuid::from_u128(1)));

        let held = [units[1].key.clone(), units[3].key.clone()];
        let mine = scoped(inventory.clone(), &units, |k| held.iter().any(|h| h == k));
        let hosts: Vec<u128> = mine.hosts.iter().map(|h| h.id.as_u128()).collect();
        assert_eq!(hosts, vec![3, 4, 7]);
        assert!(mine.targets.is_empty());
        assert_eq!(mine.clusters.len(), 1);
        assert_eq!(mine.filesystems, Some(HashSet::new()));
        let all = scoped(inventory, &units, |_| true);
        assert_eq!((all.hosts.len(), all.filesystems), (7, None));
    }
}
