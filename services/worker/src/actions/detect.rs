//! `detect_filesystems`: find the Lustre file systems already running on
//! managed hosts. Every host lists its Lustre mounts (`mount -t lustre`)
//! and device labels (`blkid -o export`); a host with the MGS mounted is
//! asked for its configuration logs (`lctl llog_catlist`), and each file
//! system's client log (`lctl llog_print FS-client`) names its MDTs, OSTs
//! and settings. Each target is matched to a known volume by its label,
//! and what Chroma does not know yet is recorded as monitored-only
//! ([`super::detect_record`]). A target a Pacemaker primitive runs is
//! recorded as that resource ([`super::detect_pacemaker`]).

use futures::future::join_all;
use serde_json::Value;
use uuid::Uuid;

use super::detect_pacemaker::{self, read_cib, HostCib};
use super::detect_record::{self, Detected, DetectedFs};
use super::mounts::{self, LustreMount};
use super::servers::Server;
use super::{blkid, llog};
use crate::error::{db_error, ActionError};
use crate::shared::Shared;

/// What one host showed.
pub(super) struct Scan {
    pub host: Server,
    pub mounts: Vec<LustreMount>,
    /// `(device, label)`.
    pub labels: Vec<(String, String)>,
    /// Its Pacemaker's Lustre primitives, or why it has none.
    pub cib: Result<HostCib, ActionError>,
}

/// `(host, device)` pairs.
type Devices = Vec<(Uuid, String)>;

/// Known volume paths: `(volume, host, path)`, hosts in a stable order.
pub(super) type VolumeNodes = Vec<(Uuid, Uuid, String)>;

pub async fn run(shared: &Shared) -> Result<Value, ActionError> {
    let hosts = managed_hosts(shared).await?;
    let results = join_all(hosts.into_iter().map(|h| scan(shared, h))).await;
    let mut scans = Vec::new();
    let mut notes = Vec::new();
    for result in results {
        match result {
            Ok(scan) => {
                if let Err(why) = &scan.cib {
                    notes.push(why.to_string());
                }
                scans.push(scan);
            }
            Err(why) => notes.push(format!("not scanned: {why}")),
        }
    }
    let nodes = volume_nodes(shared).await?;
    let mut found = Vec::new();
    for scan in &scans {
        let Some(mgs) = scan.mounts.iter().find(|m| m.mgs) else {
            continue;
        };
        match read_mgs(shared, scan, mgs, &scans, &nodes).await {
            Ok((filesystems, more)) => {
                found.extend(filesystems);
                notes.extend(more);
            }
            Err(why) => notes.push(why.to_string()),
        }
    }
    notes.extend(detect_pacemaker::adopt(&mut found, &scans, &nodes));
    detect_record::record(shared, &found, notes).await
}

/// Hosts Chroma manages.
async fn managed_hosts(shared: &Shared) -> Result<Vec<Server>, ActionError> {
    let ids = store::hosts::managed_ids(&shared.db)
        .await
        .map_err(db_error("read the hosts"))?;
    Server::load_all(shared, &ids).await
}

async fn scan(shared: &Shared, host: Server) -> Result<Scan, ActionError> {
    let mounts = mounts::list(shared, &host).await?;
    let labels = blkid::labels(shared, &host).await?;
    let cib = read_cib(shared, &host).await;
    Ok(Scan {
        host,
        mounts,
        labels,
        cib,
    })
}

async fn volume_nodes(shared: &Shared) -> Result<VolumeNodes, ActionError> {
    let nodes = store::volumes::nodes_on_live_hosts(&shared.db)
        .await
        .map_err(db_error("read the volumes"))?;
    Ok(nodes.into_iter().map(|n| (n.volume_id, n.host_id, n.path)).collect())
}

/// The file systems of the MGS mounted on `scan.host`, and notes on what
/// could not be matched.
async fn read_mgs(
    shared: &Shared,
    scan: &Scan,
    mgs: &LustreMount,
    scans: &[Scan],
    nodes: &VolumeNodes,
) -> Result<(Vec<DetectedFs>, Vec<String>), ActionError> {
    let host = &scan.host;
    // An MDT formatted `--mgs --mdt` is its file system's MGS too.
    let (kind, index, name) = match mgs.svname.as_deref().and_then(llog::mdt_index) {
        Some(index) => ("mdt", Some(i32::from(index)), mgs.svname.clone().unwrap_or_default()),
        None => ("mgt", None, "MGS".to_owned()),
    };
    let mgt = resolve(kind, index, &name, &[(host.id, mgs.device.clone())], None, nodes).ok_or_else(|| {
        ActionError::Refused(format!(
            "the MGS on {} is on {}, which is not a known volume",
            host.name, mgs.device
        ))
    })?;
    let logs = llog::parse_catlist(&host.check(shared, &["lctl", "llog_catlist"]).await?);
    let mut found = Vec::new();
    let mut notes = Vec::new();
    for fsname in llog::filesystems(&logs) {
        let log = format!("{fsname}-client");
        let records = llog::parse_records(&host.check(shared, &["lctl", "llog_print", &log]).await?);
        let mut targets = Vec::new();
        for (kind, index, name) in llog::attached_targets(&fsname, &records) {
            let (mounted, labelled) = candidates(scans, &name);
            match resolve(kind, Some(i32::from(index)), &name, &mounted, Some(&labelled), nodes) {
                Some(target) => targets.push(target),
                None => notes.push(format!("{name}: no known volume holds it")),
            }
        }
        found.push(DetectedFs {
            conf_params: llog::conf_params(&fsname, &records),
            name: fsname,
            mgt: mgt.clone(),
            targets,
        });
    }
    Ok((found, notes))
}

/// `(host, device)` pairs where target `name` is mounted, and where a
/// device carries its label.
fn candidates(scans: &[Scan], name: &str) -> (Devices, Devices) {
    let mut mounted = Vec::new();
    let mut labelled = Vec::new();
    for scan in scans {
        let id = scan.host.id;
        let mine = scan.mounts.iter().filter(|m| m.svname.as_deref() == Some(name));
        mounted.extend(mine.map(|m| (id, m.device.clone())));
        let labels = scan.labels.iter().filter(|(_, l)| blkid::labels_target(l, name));
        labelled.extend(labels.map(|(device, _)| (id, device.clone())));
    }
    (mounted, labelled)
}

/// The target on the first known volume among the `mounted` devices (then
/// the `labelled` ones): primary is where it is mounted, else the volume's
/// first host; failover hosts are the volume's other hosts.
fn resolve(
    kind: &'static str,
    index: Option<i32>,
    name: &str,
    mounted: &[(Uuid, String)],
    labelled: Option<&[(Uuid, String)]>,
    nodes: &VolumeNodes,
) -> Option<Detected> {
    let volume_of = |(host, path): &(Uuid, String)| {
        nodes
            .iter()
            .find(|(_, h, p)| h == host && p == path)
            .map(|(volume, _, _)| (*volume, *host))
    };
    let (volume_id, active) = match mounted.iter().find_map(volume_of) {
        Some((volume, host)) => (volume, Some(host)),
        None => (labelled?.iter().find_map(volume_of)?.0, None),
    };
    let mut hosts: Vec<Uuid> = Vec::new();
    for (_, host, _) in nodes.iter().filter(|(v, _, _)| *v == volume_id) {
        if !hosts.contains(host) {
            hosts.push(*host);
        }
    }
    let primary = active.or_else(|| hosts.first().copied())?;
    Some(Detected {
        kind,
        index,
        name: name.to_owned(),
        volume_id,
        primary,
        failovers: hosts.into_iter().filter(|h| *h != primary).collect(),
        active,
        ha_resource: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn a_mounted_target_is_primary_where_it_runs() {
        let nodes: VolumeNodes = vec![
            (id(10), id(1), "/dev/sdb".into()),
            (id(10), id(2), "/dev/sdb".into()),
            (id(11), id(2), "/dev/sdc".into()),
        ];
        let mounted = [(id(2), "/dev/sdb".to_owned())];
        let t = resolve("ost", Some(0), "fs1-OST0000", &mounted, None, &nodes);
        let t = t.unwrap_or_else(|| panic!("not resolved"));
        assert_eq!((t.volume_id, t.primary, t.active), (id(10), id(2), Some(id(2))));
        assert_eq!(t.failovers, vec![id(1)]);
    }

    #[test]
    fn an_unmounted_target_is_found_by_label() {
        let nodes: VolumeNodes = vec![(id(10), id(1), "/dev/sdb".into()), (id(10), id(2), "/dev/sdd".into())];
        let labelled = [(id(2), "/dev/sdd".to_owned())];
        let t = resolve("mdt", Some(0), "fs1-MDT0000", &[], Some(&labelled), &nodes);
        let t = t.unwrap_or_else(|| panic!("not resolved"));
        assert_eq!((t.primary, t.active, t.failovers.clone()), (id(1), None, vec![id(2)]));
        assert!(resolve(
            "mdt",
            Some(0),
            "x",
            &[],
            Some(&[(id(3), "/dev/sdb".to_owned())]),
            &nodes
        )
        .is_none());
    }
}
