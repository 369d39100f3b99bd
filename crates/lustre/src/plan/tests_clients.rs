#![expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]

//! Planning around Lustre client mounts: the jobs that write a host's
//! fstab exclude one another, and LNet or a file system does not stop
//! under a mounted client.

use super::*;
use crate::domain::{FilesystemState, HostState, LnetState, TargetKind, TargetState};

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

const MDS: u128 = 1;
const CLI: u128 = 2;
const FS: u128 = 10;
const MGT: u128 = 20;
const MDT: u128 = 21;
const MOUNT: u128 = 30;

/// fs1 running on mds1 (MGT and MDT0), LNet up on mds1 and cli1, and fs1
/// mounted on cli1 at /mnt/fs1.
fn running_with_client() -> Snapshot {
    let mut snap = Snapshot::default();
    for (h, label) in [(id(MDS), "mds1"), (id(CLI), "cli1")] {
        let facts = HostFacts {
            id: h,
            label: label.into(),
            state: HostState::Managed,
            lnet: LnetState::LnetUp,
            preflight_failed: Vec::new(),
        };
        snap.hosts.insert(h, facts);
    }
    snap.filesystems.insert(
        id(FS),
        FilesystemFacts {
            id: id(FS),
            name: "fs1".into(),
            mgs_id: id(MGT),
            managed: true,
            removed: false,
            has_conf_params: false,
        },
    );
    for (tid, kind, index, name) in [
        (id(MGT), TargetKind::Mgt, None, "MGS"),
        (id(MDT), TargetKind::Mdt, Some(0), "fs1-MDT0000"),
    ] {
        snap.targets.insert(
            tid,
            TargetFacts {
                id: tid,
                name: name.into(),
                kind,
                filesystem_id: (kind != TargetKind::Mgt).then_some(id(FS)),
                index,
                primary_host_id: id(MDS),
                failover_host_ids: Vec::new(),
                active_host_id: Some(id(MDS)),
                state: TargetState::Mounted,
                managed: true,
                pacemaker: false,
            },
        );
    }
    snap.client_mounts.insert(id(MOUNT), mount(ClientMountState::Mounted));
    snap
}

fn mount(state: ClientMountState) -> ClientMountFacts {
    ClientMountFacts {
        id: id(MOUNT),
        host_id: id(CLI),
        filesystem_id: id(FS),
        mountpoint: "/mnt/fs1".into(),
        state,
    }
}

fn position(plan: &Plan, action: &Action) -> usize {
    plan.jobs
        .iter()
        .position(|j| j.steps.contains(action))
        .unwrap_or_else(|| panic!("no job runs {action:?}: {plan:#?}"))
}

#[test]
fn client_mount_jobs_write_lock_the_hosts_fstab() {
    let mut snap = running_with_client();
    snap.client_mounts.clear();
    let fstab = (Item::Fstab(id(CLI)).to_string(), true);
    for (state, want) in [
        (ClientMountState::Unmounted, ClientMountState::Mounted),
        (ClientMountState::Mounted, ClientMountState::Unmounted),
        (ClientMountState::Mounted, ClientMountState::Removed),
    ] {
        let goal = Goal::ClientMount {
            mount: mount(state),
            want,
        };
        let plan = Plan::new(&snap, &goal).unwrap();
        let job = plan.jobs.last().unwrap();
        assert!(job.locks.contains(&fstab), "{want:?}: {:?}", job.locks);
    }
}

#[test]
fn stopping_lnet_unmounts_the_hosts_clients_first() {
    let snap = running_with_client();
    let plan = Plan::new(&snap, &Goal::Lnet(id(CLI), LnetState::LnetDown)).unwrap();
    let unmount = position(
        &plan,
        &Action::UnmountClient {
            client_mount_id: id(MOUNT),
        },
    );
    let stop = position(&plan, &Action::StopLnet { host_id: id(CLI) });
    assert!(plan.jobs[stop].wait_for.contains(&unmount), "{plan:#?}");
    assert_eq!(
        plan.confirmations(),
        vec!["Stopping LNet on cli1 unmounts the client of fs1 on cli1 at /mnt/fs1"]
    );
    // LNet on the server is another host's: its clients stay.
    let plan = Plan::new(&snap, &Goal::Lnet(id(MDS), LnetState::LnetDown)).unwrap();
    assert!(
        plan.jobs.iter().all(|j| !j.object.starts_with("client_mount/")),
        "{plan:#?}"
    );
}

#[test]
fn stopping_or_removing_a_file_system_unmounts_its_clients_first() {
    let snap = running_with_client();
    for (want, verb) in [
        (FilesystemState::Stopped, "Stopping"),
        (FilesystemState::Removed, "Removing"),
    ] {
        let plan = Plan::new(&snap, &Goal::Filesystem(id(FS), want)).unwrap();
        let unmount = position(
            &plan,
            &Action::UnmountClient {
                client_mount_id: id(MOUNT),
            },
        );
        let mdt = position(&plan, &Action::UnmountTarget { target_id: id(MDT) });
        assert!(plan.jobs[mdt].wait_for.contains(&unmount), "{plan:#?}");
        assert_eq!(
            plan.jobs[unmount].confirmation.as_deref(),
            Some(format!("{verb} file system fs1 unmounts the client of fs1 on cli1 at /mnt/fs1").as_str())
        );
    }
    // Once the client is unmounted there is nothing to confirm.
    let mut snap = snap;
    snap.client_mounts.insert(id(MOUNT), mount(ClientMountState::Unmounted));
    let plan = Plan::new(&snap, &Goal::Filesystem(id(FS), FilesystemState::Stopped)).unwrap();
    assert!(plan.confirmations().is_empty(), "{plan:#?}");
}
