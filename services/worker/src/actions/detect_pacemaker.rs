//! Which Pacemaker primitive runs each target `detect_filesystems`
//! found: every scanned host's Pacemaker, where it answers, is asked for
//! its `ocf:lustre:Lustre` primitives (`cibadmin --query --scope
//! resources`, their `target` paths resolved with `readlink -f`); hosts
//! showing the same primitives share one CIB; a target mounted at a
//! primitive's `mountpoint`, or whose volume is its `target`, on a host of
//! that cluster is that primitive's. Ambiguous matches take none.

use uuid::Uuid;

use super::detect::{Scan, VolumeNodes};
use super::detect_record::DetectedFs;
use super::servers::Server;
use crate::error::{db_error, ActionError};
use crate::shared::Shared;

/// Records on each detected target the Pacemaker primitive that runs it,
/// if one does; returns notes on what was ambiguous.
pub(super) fn adopt(found: &mut [DetectedFs], scans: &[Scan], nodes: &VolumeNodes) -> Vec<String> {
    let (assigned, notes) = assign(&clusters(scans), &places(found, scans, nodes));
    for fs in found.iter_mut() {
        for t in std::iter::once(&mut fs.mgt).chain(fs.targets.iter_mut()) {
            t.ha_resource = assigned
                .iter()
                .find(|(volume, _)| *volume == t.volume_id)
                .map(|(_, id)| id.clone());
        }
    }
    notes
}

/// An `ocf:lustre:Lustre` primitive: its id and its `target` (device) and
/// `mountpoint` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LustrePrimitive {
    id: String,
    target: Option<String>,
    mountpoint: Option<String>,
}

/// The Lustre primitives one host's Pacemaker knows, and what their
/// `target` paths resolve to there: `(parameter, canonical path)`.
#[derive(Debug, Default)]
pub(super) struct HostCib {
    primitives: Vec<LustrePrimitive>,
    resolved: Vec<(String, String)>,
}

/// One cluster's Lustre primitives, taken once for the hosts that share
/// its CIB.
#[derive(Debug)]
struct ClusterCib {
    hosts: Vec<Uuid>,
    primitives: Vec<LustrePrimitive>,
    /// `(host, target parameter, canonical path there)`.
    resolved: Vec<(Uuid, String, String)>,
}

/// Where a detected target lives: its volume's path on each host, and the
/// directory it is mounted on now, `(host, dir)`.
#[derive(Debug)]
struct Place {
    volume_id: Uuid,
    name: String,
    paths: Vec<(Uuid, String)>,
    mounted: Option<(Uuid, String)>,
}

/// The Lustre primitives `host`'s Pacemaker knows, or why it tells none:
/// no Pacemaker there (`cibadmin` not found, 127), or it does not run (the
/// first line it said).
pub(super) async fn read_cib(shared: &Shared, host: &Server) -> Result<HostCib, ActionError> {
    let argv = ["cibadmin", "--query", "--scope", "resources"];
    let out = host.exec(shared, &argv).await?;
    let primitives = match out.exit_status {
        Some(0) => parse_primitives(&out.stdout)
            .map_err(|e| ActionError::Command(format!("{}: cannot read the Pacemaker resources: {e}", host.name)))?,
        // A CIB without a resources section.
        Some(105) => return Ok(HostCib::default()),
        Some(127) => {
            return Err(ActionError::Command(format!(
                "{}: no Pacemaker (cibadmin not found)",
                host.name
            )))
        }
        _ => {
            let said = [out.stderr.as_str(), out.stdout.as_str()]
                .into_iter()
                .find_map(|text| text.lines().map(str::trim).find(|l| !l.is_empty()))
                .map_or_else(|| format!("`{}` failed", argv.join(" ")), str::to_owned);
            return Err(ActionError::Command(format!(
                "{}: Pacemaker did not answer: {said}",
                host.name
            )));
        }
    };
    let mut paths: Vec<String> = primitives.iter().filter_map(|p| p.target.clone()).collect();
    if !paths.is_empty() {
        paths.extend(volume_paths(shared, host).await?);
    }
    let resolved = resolve_paths(shared, host, paths).await;
    Ok(HostCib { primitives, resolved })
}

/// The device paths of `host`'s volumes as recorded (`/dev/mapper/mpatha`):
/// resolved beside the primitives' links, since a multipath link resolves
/// to `/dev/dm-N`, not to the map's name.
async fn volume_paths(shared: &Shared, host: &Server) -> Result<Vec<String>, ActionError> {
    store::volumes::paths_on_host(&shared.db, host.id)
        .await
        .map_err(db_error(format!("read the volumes of {}", host.name)))
}

/// The `ocf:lustre:Lustre` primitives in CIB XML (anywhere: in groups and
/// clones too).
fn parse_primitives(xml: &str) -> Result<Vec<LustrePrimitive>, roxmltree::Error> {
    let doc = roxmltree::Document::parse(xml)?;
    let lustre = |n: &roxmltree::Node<'_, '_>| {
        n.has_tag_name("primitive")
            && n.attribute("class") == Some("ocf")
            && n.attribute("provider") == Some("lustre")
            && n.attribute("type") == Some("Lustre")
    };
    let primitives = doc.descendants().filter(lustre).filter_map(|n| {
        let param = |name: &str| {
            n.children()
                .filter(|c| c.has_tag_name("instance_attributes"))
                .flat_map(|set| set.children())
                .find(|c| c.has_tag_name("nvpair") && c.attribute("name") == Some(name))
                .and_then(|c| c.attribute("value"))
                .map(str::to_owned)
        };
        Some(LustrePrimitive {
            id: n.attribute("id")?.to_owned(),
            target: param("target"),
            mountpoint: param("mountpoint"),
        })
    });
    Ok(primitives.collect())
}

/// What `paths` (the primitives' `target`s, often `/dev/disk/by-id`
/// links, and the host's volume paths) resolve to on `host` (`readlink
/// -f`); only those that change; nothing when it cannot tell, as the
/// literal paths and mount points still match.
async fn resolve_paths(shared: &Shared, host: &Server, mut paths: Vec<String>) -> Vec<(String, String)> {
    paths.sort_unstable();
    paths.dedup();
    if paths.is_empty() {
        return Vec::new();
    }
    let mut argv = vec!["readlink", "-f", "--"];
    argv.extend(paths.iter().map(String::as_str));
    let Ok(out) = host.exec(shared, &argv).await else {
        return Vec::new();
    };
    let lines: Vec<&str> = out.stdout.lines().collect();
    // A path it cannot resolve prints nothing: the lines would not pair up.
    if !out.success() || lines.len() != paths.len() {
        return Vec::new();
    }
    paths
        .into_iter()
        .zip(lines)
        .filter(|(path, canonical)| path != canonical)
        .map(|(path, canonical)| (path, canonical.to_owned()))
        .collect()
}

/// The clusters of the scanned hosts, each taken once: hosts showing the
/// same primitive ids share a CIB. A host whose Pacemaker did not answer,
/// or knows no Lustre primitive, is in none.
fn clusters(scans: &[Scan]) -> Vec<ClusterCib> {
    fn ids(primitives: &[LustrePrimitive]) -> Vec<&str> {
        let mut ids: Vec<&str> = primitives.iter().map(|p| p.id.as_str()).collect();
        ids.sort_unstable();
        ids
    }
    let mut clusters: Vec<ClusterCib> = Vec::new();
    for scan in scans {
        let Ok(cib) = &scan.cib else { continue };
        if cib.primitives.is_empty() {
            continue;
        }
        let host = scan.host.id;
        let resolved = cib.resolved.iter().map(|(p, c)| (host, p.clone(), c.clone()));
        match clusters.iter_mut().find(|c| ids(&c.primitives) == ids(&cib.primitives)) {
            Some(cluster) => {
                cluster.hosts.push(host);
                cluster.resolved.extend(resolved);
            }
            None => clusters.push(ClusterCib {
                hosts: vec![host],
                primitives: cib.primitives.clone(),
                resolved: resolved.collect(),
            }),
        }
    }
    clusters
}

/// Where each detected target (MGTs once) lives.
fn places(found: &[DetectedFs], scans: &[Scan], nodes: &VolumeNodes) -> Vec<Place> {
    let mut places: Vec<Place> = Vec::new();
    for t in found.iter().flat_map(|fs| std::iter::once(&fs.mgt).chain(&fs.targets)) {
        if places.iter().any(|p| p.volume_id == t.volume_id) {
            continue;
        }
        let paths: Vec<(Uuid, String)> = nodes
            .iter()
            .filter(|(volume, _, _)| *volume == t.volume_id)
            .map(|(_, host, path)| (*host, path.clone()))
            .collect();
        let mounted = t.active.and_then(|host| {
            let scan = scans.iter().find(|s| s.host.id == host)?;
            let mount = scan.mounts.iter().find(|m| {
                m.svname.as_deref() == Some(t.name.as_str())
                    && paths.iter().any(|(h, path)| *h == host && *path == m.device)
            })?;
            Some((host, mount.dir.clone()))
        });
        places.push(Place {
            volume_id: t.volume_id,
            name: t.name.clone(),
            paths,
            mounted,
        });
    }
    places
}

/// Whether primitive `p` of `cluster` runs the target at `place`: on a host
/// of the cluster the target is mounted at the primitive's mount point, or
/// its volume's path is the primitive's device (literally, or both
/// resolved there to one device: a multipath link and `/dev/mapper/NAME`
/// both resolve to `/dev/dm-N`).
fn runs(cluster: &ClusterCib, p: &LustrePrimitive, place: &Place) -> bool {
    let member = |host: &Uuid| cluster.hosts.contains(host);
    let at_mountpoint = place
        .mounted
        .as_ref()
        .is_some_and(|(host, dir)| member(host) && p.mountpoint.as_deref() == Some(dir.as_str()));
    // The same device when both resolve alike on that host.
    let canonical = |host: &Uuid, path: &str| -> String {
        cluster
            .resolved
            .iter()
            .find(|(h, given, _)| h == host && given == path)
            .map_or_else(|| path.to_owned(), |(_, _, canonical)| canonical.clone())
    };
    let on_device = p.target.as_deref().is_some_and(|target| {
        place
            .paths
            .iter()
            .any(|(host, path)| member(host) && canonical(host, target) == canonical(host, path))
    });
    at_mountpoint || on_device
}

/// The Pacemaker resource of each place's target, by volume, and notes on
/// what is ambiguous: a target that several primitives match, or a
/// primitive that several targets match, gets none.
fn assign(clusters: &[ClusterCib], places: &[Place]) -> (Vec<(Uuid, String)>, Vec<String>) {
    let matches: Vec<Vec<&str>> = places
        .iter()
        .map(|place| {
            let mut ids: Vec<&str> = Vec::new();
            for cluster in clusters {
                for p in cluster.primitives.iter().filter(|p| runs(cluster, p, place)) {
                    if !ids.contains(&p.id.as_str()) {
                        ids.push(&p.id);
                    }
                }
            }
            ids
        })
        .collect();
    let mut assigned = Vec::new();
    let mut notes = Vec::new();
    for (place, ids) in places.iter().zip(&matches) {
        match ids.as_slice() {
            [] => {}
            [id] => {
                let others: Vec<&str> = places
                    .iter()
                    .zip(&matches)
                    .filter(|(other, m)| other.volume_id != place.volume_id && m.contains(id))
                    .map(|(other, _)| other.name.as_str())
                    .collect();
                if others.is_empty() {
                    assigned.push((place.volume_id, (*id).to_owned()));
                } else {
                    notes.push(format!(
                        "{}: Pacemaker resource {id} matches {} too; not taken as its resource",
                        place.name,
                        others.join(", ")
                    ));
                }
            }
            many => notes.push(format!(
                "{}: several Pacemaker resources match it ({}); none taken as its resource",
                place.name,
                many.join(", ")
            )),
        }
    }
    (assigned, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn primitive(id: &str, target: &str, mountpoint: &str) -> LustrePrimitive {
        LustrePrimitive {
            id: id.into(),
            target: Some(target.into()),
            mountpoint: Some(mountpoint.into()),
        }
    }

    fn place(volume: u128, name: &str, paths: &[(u128, &str)], mounted: Option<(u128, &str)>) -> Place {
        Place {
            volume_id: id(volume),
            name: name.into(),
            paths: paths.iter().map(|(h, p)| (id(*h), (*p).to_owned())).collect(),
            mounted: mounted.map(|(h, dir)| (id(h), dir.to_owned())),
        }
    }

    #[test]
    fn reads_only_lustre_primitives_from_the_resources_section() {
        let xml = r#"<resources>
            <primitive id="fence-oss1" class="stonith" type="fence_sim">
              <instance_attributes id="f-ia"><nvpair id="f1" name="pcmk_host_list" value="oss1"/></instance_attributes>
            </primitive>
            <primitive id="ip" class="ocf" provider="heartbeat" type="IPaddr2"/>
            <group id="g">
              <primitive id="fs1-OST0000_0123456789ab" class="ocf" provider="lustre" type="Lustre">
                <instance_attributes id="o-ia">
                  <nvpair id="o1" name="target" value="/dev/disk/by-id/scsi-SIMDISK00100"/>
                  <nvpair id="o2" name="mountpoint" value="/mnt/fs1-OST0000"/>
                </instance_attributes>
                <meta_attributes id="o-ma"><nvpair id="o3" name="target-role" value="Started"/></meta_attributes>
              </primitive>
            </group>
          </resources>"#;
        assert_eq!(
            parse_primitives(xml),
            Ok(vec![primitive(
                "fs1-OST0000_0123456789ab",
                "/dev/disk/by-id/scsi-SIMDISK00100",
                "/mnt/fs1-OST0000"
            )])
        );
        assert!(parse_primitives("<resources>").is_err());
    }

    #[test]
    fn a_target_takes_the_primitive_of_its_mount_point_or_device_in_its_cluster() {
        let pair = ClusterCib {
            hosts: vec![id(2), id(3)],
            primitives: vec![
                primitive("ost0", "/dev/disk/by-id/scsi-A", "/mnt/fs1-OST0000"),
                primitive("ost1", "/dev/disk/by-id/scsi-B", "/mnt/fs1-OST0001"),
                primitive("ost2", "/dev/disk/by-id/scsi-C", "/mnt/elsewhere"),
            ],
            resolved: vec![(id(3), "/dev/disk/by-id/scsi-B".into(), "/dev/sdc".into())],
        };
        let places = [
            // Mounted where its primitive mounts it.
            place(
                10,
                "fs1-OST0000",
                &[(2, "/dev/sdb"), (3, "/dev/sdb")],
                Some((2, "/mnt/fs1-OST0000")),
            ),
            // Stopped; its device is the primitive's once resolved on oss2.
            place(11, "fs1-OST0001", &[(2, "/dev/sdd"), (3, "/dev/sdc")], None),
            // Stopped; named by the primitive's literal path.
            place(12, "fs1-OST0002", &[(3, "/dev/disk/by-id/scsi-C")], None),
            // Mounted directly on a host outside the cluster.
            place(13, "MGS", &[(1, "/dev/sdb")], Some((1, "/mnt/fs1-OST0000"))),
        ];
        let (assigned, notes) = assign(&[pair], &places);
        assert_eq!(
            assigned,
            vec![
                (id(10), "ost0".to_owned()),
                (id(11), "ost1".to_owned()),
                (id(12), "ost2".to_owned())
            ]
        );
        assert_eq!(notes, Vec::<String>::new());
        assert_eq!(assign(&[], &places), (vec![], vec![]));
    }

    #[test]
    fn a_multipath_link_and_its_map_name_are_one_device() {
        let link = "/dev/disk/by-id/dm-uuid-mpath-36001405aa";
        let pair = ClusterCib {
            hosts: vec![id(2), id(3)],
            primitives: vec![primitive("ost0", link, "/mnt/fs1-OST0000")],
            resolved: vec![
                (id(3), link.into(), "/dev/dm-3".into()),
                (id(3), "/dev/mapper/mpathd".into(), "/dev/dm-3".into()),
            ],
        };
        let places = [place(10, "fs1-OST0000", &[(3, "/dev/mapper/mpathd")], None)];
        assert_eq!(assign(&[pair], &places).0, vec![(id(10), "ost0".to_owned())]);
    }

    #[test]
    fn an_ambiguous_match_takes_no_primitive() {
        let pair = ClusterCib {
            hosts: vec![id(2)],
            primitives: vec![
                primitive("a", "/dev/sdb", "/mnt/x"),
                primitive("b", "/dev/sdc", "/mnt/y"),
            ],
            resolved: vec![],
        };
        // Mounted at a's mount point from b's device.
        let both = place(10, "fs1-OST0000", &[(2, "/dev/sdc")], Some((2, "/mnt/x")));
        let (assigned, notes) = assign(std::slice::from_ref(&pair), &[both]);
        assert!(assigned.is_empty());
        assert_eq!(
            notes,
            vec!["fs1-OST0000: several Pacemaker resources match it (a, b); none taken as its resource"]
        );
        // Two targets on the one device of a.
        let places = [
            place(10, "fs1-OST0000", &[(2, "/dev/sdb")], None),
            place(11, "fs2-OST0000", &[(2, "/dev/sdb")], None),
        ];
        let (assigned, notes) = assign(&[pair], &places);
        assert!(assigned.is_empty());
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("resource a matches fs2-OST0000 too"), "{notes:?}");
    }
}
