//! The `mkfs.lustre` command line of a target: its kind, file system,
//! index, MGS and service NIDs.

use super::servers::Server;
use super::targets::{FilesystemRow, TargetRow};
use crate::error::ActionError;
use crate::shared::Shared;

/// What `mkfs.lustre` needs besides the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MkfsSpec {
    pub kind: String,
    pub fsname: Option<String>,
    pub index: Option<i32>,
    /// Each MGS server's NIDs comma-joined (`10.0.0.1@tcp,192.168.0.1@o2ib`),
    /// primary first (none for an MGT).
    pub mgs_nids: Vec<String>,
    /// The NIDs of the primary and of each failover host, comma-joined per
    /// host: a server on tcp and o2ib is reachable on both.
    pub service_nids: Vec<String>,
    pub reformat: bool,
    /// `mke2fs` options (`-I 1024 -E stride=32,…`), built from checked
    /// numbers only: mkfs.lustre pastes them into a shell command.
    pub mkfsoptions: Option<String>,
}

/// The `mkfs.lustre` argv for `spec` on `device`.
pub fn mkfs_argv(spec: &MkfsSpec, device: &str) -> Vec<String> {
    let mut argv = vec!["mkfs.lustre".to_owned()];
    if spec.kind == "mgt" {
        argv.push("--mgs".to_owned());
    } else {
        argv.push(format!("--{}", spec.kind));
        argv.extend(spec.fsname.iter().map(|name| format!("--fsname={name}")));
        argv.extend(spec.index.iter().map(|index| format!("--index={index}")));
        argv.push(format!("--mgsnode={}", spec.mgs_nids.join(":")));
    }
    argv.extend(spec.service_nids.iter().map(|nid| format!("--servicenode={nid}")));
    if let Some(options) = &spec.mkfsoptions {
        argv.push(format!("--mkfsoptions={options}"));
    }
    if spec.reformat {
        argv.push("--reformat".to_owned());
    }
    argv.push(device.to_owned());
    argv
}

/// The `mkfs.lustre` argv of a ZFS target: `--backfstype=zfs`, its
/// dataset, and the vdev its pool is created on (none when the pool
/// exists: mkfs.lustre then only creates the dataset).
pub fn zfs_mkfs_argv(spec: &MkfsSpec, dataset: &str, vdev: Option<&str>) -> Vec<String> {
    let mut argv = mkfs_argv(spec, dataset);
    argv.insert(1, "--backfstype=zfs".to_owned());
    argv.extend(vdev.map(str::to_owned));
    argv
}

/// Gathers the file-system name and the NIDs the target is formatted with;
/// `reformat` adds `--reformat`.
pub async fn spec(
    shared: &Shared,
    target: &TargetRow,
    hosts: &[Server],
    reformat: bool,
) -> Result<MkfsSpec, ActionError> {
    let service_nids = node_nids(hosts)?;
    let (fsname, mgs_nids) = match target.filesystem_id {
        None => (None, Vec::new()),
        Some(fs_id) => {
            let fs = FilesystemRow::load(shared, fs_id).await?;
            let mgs = TargetRow::load(shared, fs.mgs_id).await?;
            (Some(fs.name), node_nids(&mgs.hosts(shared).await?)?)
        }
    };
    Ok(MkfsSpec {
        kind: target.kind.clone(),
        fsname,
        index: target.index,
        mgs_nids,
        service_nids,
        reformat,
        mkfsoptions: target
            .format
            .as_ref()
            .and_then(lustre::format::FormatOptions::mkfsoptions),
    })
}

/// Every NID of each host, comma-joined per host (Lustre's form for one
/// node with several NIDs); fails naming a host where LNet is not up.
fn node_nids(hosts: &[Server]) -> Result<Vec<String>, ActionError> {
    hosts
        .iter()
        .map(|h| h.require_nids().map(|nids| nids.join(",")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: &str) -> MkfsSpec {
        MkfsSpec {
            kind: kind.into(),
            fsname: Some("fs1".into()),
            index: Some(3),
            mgs_nids: vec!["10.0.0.1@tcp".into(), "10.0.0.4@tcp".into()],
            service_nids: vec!["10.0.0.2@tcp".into(), "10.0.0.3@tcp".into()],
            reformat: false,
            mkfsoptions: None,
        }
    }

    #[test]
    fn formats_an_ost_with_its_mgs_and_service_nodes() {
        assert_eq!(
            mkfs_argv(&spec("ost"), "/dev/sdb"),
            [
                "mkfs.lustre",
                "--ost",
                "--fsname=fs1",
                "--index=3",
                "--mgsnode=10.0.0.1@tcp:10.0.0.4@tcp",
                "--servicenode=10.0.0.2@tcp",
                "--servicenode=10.0.0.3@tcp",
                "/dev/sdb",
            ]
        );
    }

    #[test]
    fn a_node_with_several_nids_is_named_by_all_of_them() {
        let multi = MkfsSpec {
            mgs_nids: vec!["10.0.0.1@tcp,192.168.1.1@o2ib".into(), "10.0.0.4@tcp".into()],
            service_nids: vec!["10.0.0.2@tcp,192.168.1.2@o2ib".into()],
            ..spec("ost")
        };
        let argv = mkfs_argv(&multi, "/dev/sdb");
        assert!(argv.contains(&"--mgsnode=10.0.0.1@tcp,192.168.1.1@o2ib:10.0.0.4@tcp".to_owned()));
        assert!(argv.contains(&"--servicenode=10.0.0.2@tcp,192.168.1.2@o2ib".to_owned()));
    }

    #[test]
    fn passes_ldiskfs_options_as_one_argument() {
        let tuned = MkfsSpec {
            mkfsoptions: Some("-I 1024 -E stride=32,stripe_width=256".into()),
            ..spec("mdt")
        };
        let argv = mkfs_argv(&tuned, "/dev/sdc");
        assert!(argv.contains(&"--mkfsoptions=-I 1024 -E stride=32,stripe_width=256".to_owned()));
    }

    #[test]
    fn formats_an_mgt_without_file_system_and_reformats_when_asked() {
        let mgt = MkfsSpec {
            fsname: None,
            index: None,
            mgs_nids: vec![],
            service_nids: vec!["10.0.0.1@tcp".into()],
            reformat: true,
            ..spec("mgt")
        };
        assert_eq!(
            mkfs_argv(&mgt, "/dev/sdb"),
            [
                "mkfs.lustre",
                "--mgs",
                "--servicenode=10.0.0.1@tcp",
                "--reformat",
                "/dev/sdb"
            ]
        );
        let mdt = mkfs_argv(&spec("mdt"), "/dev/sdc");
        assert_eq!(mdt[1], "--mdt");
    }
}
