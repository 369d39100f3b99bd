//! Planning quota grace time jobs.
#![expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]

use super::*;
use crate::domain::{HostState, LnetState, TargetKind, TargetState};

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// fs1 (id 10): MGT 20 and MDT0 21 on host 1, all in `state`.
fn snapshot(state: TargetState) -> Snapshot {
    let mut snap = Snapshot::default();
    snap.hosts.insert(
        id(1),
        HostFacts {
            id: id(1),
            label: "mds1".into(),
            state: HostState::Managed,
            lnet: LnetState::LnetUp,
            preflight_failed: Vec::new(),
        },
    );
    snap.filesystems.insert(
        id(10),
        FilesystemFacts {
            id: id(10),
            name: "fs1".into(),
            mgs_id: id(20),
            managed: true,
            removed: false,
            has_conf_params: false,
        },
    );
    for (tid, kind, index, name) in [
        (id(20), TargetKind::Mgt, None, "MGS"),
        (id(21), TargetKind::Mdt, Some(0), "fs1-MDT0000"),
    ] {
        let facts = TargetFacts {
            id: tid,
            name: name.into(),
            kind,
            filesystem_id: (kind != TargetKind::Mgt).then_some(id(10)),
            index,
            primary_host_id: id(1),
            failover_host_ids: Vec::new(),
            active_host_id: (state == TargetState::Mounted).then_some(id(1)),
            state,
            managed: true,
            pacemaker: false,
        };
        snap.targets.insert(tid, facts);
    }
    snap
}

fn grace(kind: &str) -> Goal {
    Goal::QuotaGrace(QuotaGraceFacts {
        filesystem_id: id(10),
        kind: kind.into(),
        block_secs: Some(183_600),
        inode_secs: None,
        client_mount_id: id(40),
        host_id: id(2),
    })
}

#[test]
fn a_grace_change_is_one_job_locking_the_file_system_and_reading_the_client() {
    let plan = Plan::new(&snapshot(TargetState::Mounted), &grace("user")).unwrap();
    assert_eq!(plan.jobs.len(), 1);
    let job = &plan.jobs[0];
    assert_eq!(
        job.description,
        "Set the user quota grace times on fs1: block 2d3h, inode kept"
    );
    assert_eq!(
        job.steps,
        vec![Action::SetQuotaGrace {
            filesystem_id: id(10),
            client_mount_id: id(40),
            kind: "user".into(),
            block_secs: Some(183_600),
            inode_secs: None,
        }]
    );
    assert!(job.locks.contains(&(Item::Filesystem(id(10)).to_string(), true)));
    for read in [Item::ClientMount(id(40)), Item::Host(id(2)), Item::Target(id(21))] {
        assert!(
            job.locks.contains(&(read.to_string(), false)),
            "{read}: {:?}",
            job.locks
        );
    }
}

#[test]
fn grace_changes_need_a_running_file_system_and_a_kind() {
    let err = Plan::new(&snapshot(TargetState::Unmounted), &grace("user")).unwrap_err();
    assert!(
        matches!(err, PlanError::Conflict(ref m) if m.contains("must be running")),
        "{err}"
    );
    let err = Plan::new(&snapshot(TargetState::Mounted), &grace("owner")).unwrap_err();
    assert!(matches!(err, PlanError::Invalid(_)), "{err}");
}
