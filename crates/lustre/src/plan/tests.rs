#![expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]

use super::*;
use crate::domain::{FilesystemState, HostState, LnetState, TargetKind, TargetState};

struct Cluster {
    snap: Snapshot,
    mds: Uuid,
    oss1: Uuid,
    oss2: Uuid,
    fs: Uuid,
    mgt: Uuid,
    mdt: Uuid,
    osts: Vec<Uuid>,
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// Three hosts with LNet down; MGT and MDT0 on mds, two OSTs on the
/// oss1/oss2 pair; everything in `state`.
fn cluster(state: TargetState) -> Cluster {
    let (mds, oss1, oss2, fs, mgt, mdt) = (id(1), id(2), id(3), id(10), id(20), id(21));
    let osts = vec![id(22), id(23)];
    let mut snap = Snapshot::default();
    for (h, label) in [(mds, "mds1"), (oss1, "oss1"), (oss2, "oss2")] {
        let facts = HostFacts {
            id: h,
            label: label.into(),
            state: HostState::Managed,
            lnet: LnetState::LnetDown,
            preflight_failed: Vec::new(),
        };
        snap.hosts.insert(h, facts);
    }
    snap.filesystems.insert(
        fs,
        FilesystemFacts {
            id: fs,
            name: "fs1".into(),
            mgs_id: mgt,
            managed: true,
            removed: false,
            has_conf_params: true,
        },
    );
    let mut add = |tid: Uuid, kind, index, primary, failover: Vec<Uuid>, name: &str| {
        let mounted = state == TargetState::Mounted;
        snap.targets.insert(
            tid,
            TargetFacts {
                id: tid,
                name: name.into(),
                kind,
                filesystem_id: (kind != TargetKind::Mgt).then_some(fs),
                index,
                primary_host_id: primary,
                failover_host_ids: failover.clone(),
                active_host_id: mounted.then_some(primary),
                state,
                managed: true,
                pacemaker: !failover.is_empty(),
            },
        );
    };
    add(mgt, TargetKind::Mgt, None, mds, vec![], "MGS");
    add(mdt, TargetKind::Mdt, Some(0), mds, vec![], "fs1-MDT0000");
    add(osts[0], TargetKind::Ost, Some(0), oss1, vec![oss2], "fs1-OST0000");
    add(osts[1], TargetKind::Ost, Some(1), oss2, vec![oss1], "fs1-OST0001");
    if state == TargetState::Mounted {
        for h in snap.hosts.values_mut() {
            h.lnet = LnetState::LnetUp;
        }
    }
    Cluster {
        snap,
        mds,
        oss1,
        oss2,
        fs,
        mgt,
        mdt,
        osts,
    }
}

fn position(plan: &Plan, object: Uuid, to: &str) -> usize {
    plan.jobs
        .iter()
        .position(|j| j.object.ends_with(&object.to_string()) && j.to == to)
        .unwrap_or_else(|| panic!("no job takes {object} to {to}: {plan:#?}"))
}

/// Does job `later` wait, directly or not, for job `earlier`?
fn after(plan: &Plan, later: usize, earlier: usize) -> bool {
    plan.jobs[later]
        .wait_for
        .iter()
        .any(|w| *w == earlier || after(plan, *w, earlier))
}

#[test]
fn creating_a_file_system_formats_registers_in_order_and_starts_it() {
    let c = cluster(TargetState::Unformatted);
    let plan = Plan::new(&c.snap, &Goal::Filesystem(c.fs, FilesystemState::Available)).unwrap();
    for (i, job) in plan.jobs.iter().enumerate() {
        assert!(job.wait_for.iter().all(|w| *w < i), "{job:?} waits for a later job");
        assert_eq!(job.confirmation, None);
    }
    let lnet_starts = plan.jobs.iter().filter(|j| j.to == "lnet_up").count();
    assert_eq!(lnet_starts, 3);
    let mgs_mounted = position(&plan, c.mgt, "mounted");
    let mdt_registered = position(&plan, c.mdt, "registered");
    assert!(after(&plan, mdt_registered, mgs_mounted));
    for ost in &c.osts {
        let registered = position(&plan, *ost, "registered");
        assert!(after(&plan, registered, mdt_registered), "OSTs register after MDT0");
        assert!(after(&plan, registered, position(&plan, *ost, "formatted")));
        assert!(after(
            &plan,
            position(&plan, *ost, "formatted"),
            position(&plan, c.oss2, "lnet_up")
        ));
        assert!(after(&plan, position(&plan, *ost, "mounted"), mgs_mounted));
    }
    // Formats do not wait for one another: they run in parallel.
    let format_mdt = position(&plan, c.mdt, "formatted");
    let format_ost = position(&plan, c.osts[0], "formatted");
    assert!(!after(&plan, format_ost, format_mdt) && !after(&plan, format_mdt, format_ost));
    let conf = plan.jobs.last().unwrap();
    assert_eq!(conf.steps, vec![Action::ApplyConfParams { filesystem_id: c.fs }]);
    for t in [c.mgt, c.mdt, c.osts[0], c.osts[1]] {
        assert!(after(&plan, plan.jobs.len() - 1, position(&plan, t, "mounted")));
    }
    let command = plan.into_command("Create fs1".into());
    assert!(command.jobs.iter().all(|j| j.locks.iter().any(|(_, write)| *write)));
}

#[test]
fn stopping_unmounts_osts_before_mdts_and_leaves_the_mgs() {
    let c = cluster(TargetState::Mounted);
    let plan = Plan::new(&c.snap, &Goal::Filesystem(c.fs, FilesystemState::Stopped)).unwrap();
    assert_eq!(plan.jobs.len(), 3, "{plan:#?}");
    let mdt = position(&plan, c.mdt, "unmounted");
    for ost in &c.osts {
        assert!(after(&plan, mdt, position(&plan, *ost, "unmounted")));
    }
    assert!(plan.jobs.iter().all(|j| !j.object.ends_with(&c.mgt.to_string())));
    let again = Plan::new(&c.snap, &Goal::Filesystem(c.fs, FilesystemState::Available)).unwrap();
    assert!(again.jobs.is_empty(), "an available file system needs no job");
}

#[test]
fn stopping_lnet_under_mounted_targets_needs_confirmation() {
    let c = cluster(TargetState::Mounted);
    let plan = Plan::new(&c.snap, &Goal::Lnet(c.oss1, LnetState::LnetDown)).unwrap();
    assert_eq!(plan.confirmations(), vec!["Stopping LNet on oss1 unmounts fs1-OST0000"]);
    let stop = position(&plan, c.oss1, "lnet_down");
    assert!(after(&plan, stop, position(&plan, c.osts[0], "unmounted")));
    assert_eq!(plan.jobs[stop].confirmation, None);
}

#[test]
fn removing_a_file_system_unmounts_and_removes_its_targets() {
    let c = cluster(TargetState::Mounted);
    let plan = Plan::new(&c.snap, &Goal::Filesystem(c.fs, FilesystemState::Removed)).unwrap();
    let last = plan.jobs.len() - 1;
    assert_eq!(
        plan.jobs[last].steps,
        vec![Action::RemoveFilesystem { filesystem_id: c.fs }]
    );
    for t in [c.mdt, c.osts[0], c.osts[1]] {
        assert!(after(
            &plan,
            position(&plan, t, "removed"),
            position(&plan, t, "unmounted")
        ));
        assert!(after(&plan, last, position(&plan, t, "removed")));
    }
    // The MGS stays: the file system's logs are erased there once every
    // target is down, so the name can be used again.
    let erase = plan
        .jobs
        .iter()
        .position(|j| j.steps == vec![Action::EraseConfiguration { filesystem_id: c.fs }])
        .unwrap();
    assert!(after(&plan, last, erase));
    for t in [c.mdt, c.osts[0], c.osts[1]] {
        assert!(after(&plan, erase, position(&plan, t, "unmounted")));
    }
    let removing_mgs = Plan::new(&c.snap, &Goal::Target(c.mgt, TargetState::Removed)).unwrap();
    assert!(
        !removing_mgs
            .jobs
            .iter()
            .any(|j| matches!(j.steps[..], [Action::EraseConfiguration { .. }])),
        "the logs go with the MGT"
    );
    assert!(removing_mgs
        .confirmations()
        .contains(&"Removing MGS removes file system fs1"));
}

#[test]
fn impossible_requests_are_refused_with_the_reason() {
    let c = cluster(TargetState::Mounted);
    let backwards = Plan::new(&c.snap, &Goal::Target(c.mdt, TargetState::Formatted));
    assert_eq!(
        backwards,
        Err(PlanError::Invalid(
            "fs1-MDT0000 cannot go from mounted to formatted".into()
        ))
    );
    assert!(matches!(
        Plan::new(&c.snap, &Goal::Host(c.oss1, HostState::Removed)),
        Err(PlanError::Conflict(m)) if m.contains("fs1-OST0000")
    ));
    assert!(matches!(
        Plan::new(
            &c.snap,
            &Goal::Failover {
                target: c.mdt,
                host: c.oss1
            }
        ),
        Err(PlanError::Invalid(_))
    ));
    assert!(matches!(
        Plan::new(&c.snap, &Goal::Target(id(99), TargetState::Mounted)),
        Err(PlanError::NotFound(_))
    ));
    let mut watched = cluster(TargetState::Mounted);
    watched.snap.targets.values_mut().for_each(|t| t.managed = false);
    assert!(matches!(
        Plan::new(&watched.snap, &Goal::Target(watched.mdt, TargetState::Unmounted)),
        Err(PlanError::Conflict(m)) if m.contains("monitored only")
    ));
}

#[test]
fn failover_and_failback_move_a_mounted_target() {
    let mut c = cluster(TargetState::Mounted);
    let ost = c.osts[0];
    let over = Plan::new(
        &c.snap,
        &Goal::Failover {
            target: ost,
            host: c.oss2,
        },
    )
    .unwrap();
    assert_eq!(over.jobs.len(), 1);
    assert_eq!(
        over.jobs[0].steps,
        vec![Action::FailoverTarget {
            target_id: ost,
            host_id: c.oss2
        }]
    );
    assert!(Plan::new(&c.snap, &Goal::Failback(ost)).unwrap().jobs.is_empty());
    if let Some(t) = c.snap.targets.get_mut(&ost) {
        t.active_host_id = Some(c.oss2);
    }
    let back = Plan::new(&c.snap, &Goal::Failback(ost)).unwrap();
    assert_eq!(back.jobs[0].steps, vec![Action::FailbackTarget { target_id: ost }]);
    let _ = c.mds;
}

#[test]
fn failing_back_a_file_system_moves_each_target_away_in_parallel() {
    let mut c = cluster(TargetState::Mounted);
    // oss2 died: its OST runs on oss1; oss1 died too and came back with
    // its OST on oss2. The MDT (HA mode none) is on its primary.
    let partner = [c.oss2, c.oss1];
    for (ost, host) in c.osts.iter().zip(partner) {
        if let Some(t) = c.snap.targets.get_mut(ost) {
            t.active_host_id = Some(host);
        }
    }
    let plan = Plan::new(&c.snap, &Goal::FailbackFilesystem(c.fs)).unwrap();
    let steps: Vec<&Action> = plan.jobs.iter().flat_map(|j| &j.steps).collect();
    assert_eq!(
        steps,
        vec![
            &Action::FailbackTarget { target_id: c.osts[0] },
            &Action::FailbackTarget { target_id: c.osts[1] },
        ]
    );
    for job in &plan.jobs {
        assert_eq!(job.wait_for, Vec::<usize>::new(), "{job:?}");
        assert_eq!(job.confirmation, None);
    }
    assert!(plan.jobs[0]
        .locks
        .contains(&(Item::Target(c.osts[0]).to_string(), true)));
    assert!(plan.jobs[1]
        .locks
        .contains(&(Item::Target(c.osts[1]).to_string(), true)));
    let items = Goal::FailbackFilesystem(c.fs).items(&c.snap);
    assert_eq!(items, Goal::Filesystem(c.fs, FilesystemState::Available).items(&c.snap));
    let _ = (c.mgt, c.mdt);
}

#[test]
fn failing_back_a_file_system_on_its_primaries_plans_nothing() {
    let mut c = cluster(TargetState::Mounted);
    assert_eq!(
        Plan::new(&c.snap, &Goal::FailbackFilesystem(c.fs)).unwrap(),
        Plan::default()
    );
    // A target outside Pacemaker is skipped, not refused, even off its
    // primary (as a stale record could show it).
    if let Some(t) = c.snap.targets.get_mut(&c.mdt) {
        t.active_host_id = Some(c.oss1);
    }
    if let Some(t) = c.snap.targets.get_mut(&c.osts[0]) {
        t.state = TargetState::Unmounted;
        t.active_host_id = None;
    }
    assert_eq!(
        Plan::new(&c.snap, &Goal::FailbackFilesystem(c.fs)).unwrap(),
        Plan::default()
    );
    assert!(matches!(
        Plan::new(&c.snap, &Goal::FailbackFilesystem(id(99))),
        Err(PlanError::NotFound(_))
    ));
}

#[test]
fn only_pacemaker_moves_a_target() {
    let mut c = cluster(TargetState::Mounted);
    let ost = c.osts[0];
    if let Some(t) = c.snap.targets.get_mut(&ost) {
        t.pacemaker = false;
    }
    let refused = Plan::new(
        &c.snap,
        &Goal::Failover {
            target: ost,
            host: c.oss2,
        },
    );
    assert!(
        matches!(&refused, Err(PlanError::Conflict(why)) if why.contains("HA mode none")),
        "{refused:?}"
    );
}

#[test]
fn failover_needs_lnet_on_the_destination_and_locks_it() {
    let mut c = cluster(TargetState::Mounted);
    if let Some(h) = c.snap.hosts.get_mut(&c.oss2) {
        h.lnet = LnetState::LnetDown;
    }
    let ost = c.osts[0];
    let plan = Plan::new(
        &c.snap,
        &Goal::Failover {
            target: ost,
            host: c.oss2,
        },
    )
    .unwrap();
    let start = position(&plan, c.oss2, "lnet_up");
    let moved = plan.jobs.len() - 1;
    assert!(after(&plan, moved, start));
    let locks = &plan.jobs[moved].locks;
    assert!(locks.contains(&(crate::Item::Target(ost).to_string(), true)));
    assert!(locks.contains(&(crate::Item::Lnet(c.oss2).to_string(), false)));
}

#[test]
fn an_mgs_is_unmounted_only_after_the_file_systems_it_serves_are_removed() {
    let c = cluster(TargetState::Mounted);
    let plan = Plan::new(&c.snap, &Goal::Target(c.mgt, TargetState::Removed)).unwrap();
    let unmount = position(&plan, c.mgt, "unmounted");
    let fs_removed = position(&plan, c.fs, "removed");
    assert!(after(&plan, unmount, fs_removed), "{plan:#?}");
    assert!(after(&plan, position(&plan, c.mgt, "removed"), unmount));
    // Every job but the MGS's own needs confirmation.
    let unconfirmed: Vec<&str> = plan
        .jobs
        .iter()
        .filter(|j| j.confirmation.is_none())
        .map(|j| j.description.as_str())
        .collect();
    assert_eq!(unconfirmed.len(), 2, "{unconfirmed:?}");
}

#[test]
fn a_second_mdt_registers_after_mdt0_and_starting_reapplies_conf_params() {
    let mut c = cluster(TargetState::Unformatted);
    let mdt1 = id(24);
    let mut facts = c.snap.targets[&c.mdt].clone();
    facts.id = mdt1;
    facts.index = Some(1);
    facts.name = "fs1-MDT0001".into();
    c.snap.targets.insert(mdt1, facts);
    let plan = Plan::new(&c.snap, &Goal::Filesystem(c.fs, FilesystemState::Available)).unwrap();
    assert!(after(
        &plan,
        position(&plan, mdt1, "registered"),
        position(&plan, c.mdt, "registered")
    ));
    let last = plan.jobs.last().unwrap();
    assert_eq!(last.steps, vec![Action::ApplyConfParams { filesystem_id: c.fs }]);
}

#[test]
fn one_target_of_a_live_file_system_cannot_be_removed_alone() {
    let c = cluster(TargetState::Mounted);
    let alone = Plan::new(&c.snap, &Goal::Target(c.mdt, TargetState::Removed));
    assert!(matches!(alone, Err(PlanError::Conflict(m)) if m.contains("remove the file system")));
    let plan = Plan::new(&c.snap, &Goal::Target(c.mgt, TargetState::Unmounted)).unwrap();
    assert_eq!(plan.jobs.len(), 1, "unmounting the MGS touches nothing else");
    assert_eq!(plan.locked_items(), vec![crate::Item::Target(c.mgt).to_string()]);
}

#[test]
fn a_host_that_failed_pre_flight_gets_no_lnet_and_serves_no_target() {
    let mut c = cluster(TargetState::Unformatted);
    let failed = vec!["lustre_tools".to_owned(), "kernel_modules".to_owned()];
    if let Some(h) = c.snap.hosts.get_mut(&c.oss2) {
        h.preflight_failed = failed.clone();
    }
    let err = Plan::new(&c.snap, &Goal::Lnet(c.oss2, LnetState::LnetUp)).unwrap_err();
    let PlanError::Conflict(message) = err else {
        panic!("not a conflict: {err:?}");
    };
    assert!(message.contains("start LNet") && message.contains("oss2"), "{message}");
    assert!(message.contains("lustre_tools, kernel_modules"), "{message}");
    // oss2 is the failover server of fs1-OST0000: it cannot be formatted.
    let err = Plan::new(&c.snap, &Goal::Target(c.osts[0], TargetState::Formatted)).unwrap_err();
    assert!(
        matches!(&err, PlanError::Conflict(m) if m.contains("serve fs1-OST0000")),
        "{err:?}"
    );
    assert!(Plan::new(&c.snap, &Goal::Lnet(c.oss1, LnetState::LnetUp)).is_ok());
    // A registered target whose failover partner fails its checks still
    // mounts on its primary.
    let mut registered = cluster(TargetState::Unmounted);
    if let Some(h) = registered.snap.hosts.get_mut(&registered.oss2) {
        h.preflight_failed = failed.clone();
    }
    assert!(Plan::new(
        &registered.snap,
        &Goal::Target(registered.osts[0], TargetState::Mounted)
    )
    .is_ok());
    assert!(lnet_transitions(HostState::Managed, LnetState::LnetDown, false).is_empty());
    assert_eq!(
        lnet_transitions(HostState::Managed, LnetState::LnetDown, true),
        ["lnet_up"]
    );
}

#[test]
fn writeconf_stops_rewrites_and_starts_mdts_before_osts() {
    let mut c = cluster(TargetState::Mounted);
    let mdt1 = id(24);
    let mut second = c.snap.targets[&c.mdt].clone();
    second.id = mdt1;
    second.index = Some(1);
    second.name = "fs1-MDT0001".into();
    c.snap.targets.insert(mdt1, second);
    let plan = Plan::new(&c.snap, &Goal::Writeconf(c.fs)).unwrap();
    assert!(
        plan.jobs.iter().any(|j| j.confirmation.is_some()),
        "stopping a running file system asks for confirmation"
    );
    assert!(
        after(
            &plan,
            position(&plan, mdt1, "mounted"),
            position(&plan, c.mdt, "mounted")
        ),
        "MDT0000 registers first: its writeconf erases the file system's logs"
    );
    let rewrite = |t: Uuid| {
        plan.jobs
            .iter()
            .position(|j| j.steps == vec![Action::WriteconfTarget { target_id: t }])
            .unwrap()
    };
    for t in [c.mdt, c.osts[0], c.osts[1]] {
        assert!(after(&plan, rewrite(t), position(&plan, t, "unmounted")));
        assert!(after(&plan, position(&plan, t, "mounted"), rewrite(t)));
    }
    assert!(
        !plan
            .jobs
            .iter()
            .any(|j| j.steps == vec![Action::WriteconfTarget { target_id: c.mgt }]),
        "the MGT keeps every file system's logs"
    );
    for ost in &c.osts {
        assert!(after(
            &plan,
            position(&plan, *ost, "mounted"),
            position(&plan, c.mdt, "mounted")
        ));
        assert!(after(&plan, position(&plan, *ost, "mounted"), rewrite(c.osts[0])));
    }
    let last = plan.jobs.len() - 1;
    assert_eq!(
        plan.jobs[last].steps,
        vec![Action::ApplyConfParams { filesystem_id: c.fs }]
    );
    assert!(after(&plan, last, position(&plan, c.osts[1], "mounted")));
}

#[test]
fn lnet_networks_change_only_on_a_server_with_nothing_mounted() {
    let networks = vec![crate::lnet::LnetNetwork {
        net: "o2ib".into(),
        interfaces: vec!["ib0".into()],
    }];
    let goal = |host| Goal::ConfigureLnet {
        host,
        networks: networks.clone(),
    };
    let busy = Plan::new(&cluster(TargetState::Mounted).snap, &goal(id(2)));
    assert!(matches!(busy, Err(PlanError::Conflict(m)) if m.contains("fs1-OST0000 mounted on oss1")));
    let c = cluster(TargetState::Unmounted);
    let plan = Plan::new(&c.snap, &goal(c.oss1)).unwrap();
    assert_eq!(plan.jobs.len(), 1);
    assert!(
        plan.jobs[0].description.contains("o2ib(ib0)"),
        "{}",
        plan.jobs[0].description
    );
    assert!(plan.jobs[0]
        .description
        .contains("fs1 keep this server's old NIDs until a writeconf"));
}

#[test]
fn a_combined_mgs_and_mdt_starts_and_stops_as_one_target() {
    let mut c = cluster(TargetState::Unmounted);
    c.snap.targets.remove(&c.mgt);
    if let Some(fs) = c.snap.filesystems.get_mut(&c.fs) {
        fs.mgs_id = c.mdt;
    }
    let plan = Plan::new(&c.snap, &Goal::Filesystem(c.fs, FilesystemState::Available)).unwrap();
    let mdt = position(&plan, c.mdt, "mounted");
    for ost in &c.osts {
        assert!(
            after(&plan, position(&plan, *ost, "mounted"), mdt),
            "OSTs wait for their MGS"
        );
    }
    let removal = Plan::new(&c.snap, &Goal::Filesystem(c.fs, FilesystemState::Removed)).unwrap();
    assert!(
        !removal
            .jobs
            .iter()
            .any(|j| matches!(j.steps[..], [Action::EraseConfiguration { .. }])),
        "the logs go with the combined MGS"
    );
    let writeconf = Plan::new(&c.snap, &Goal::Writeconf(c.fs)).unwrap();
    let rewrite = writeconf
        .jobs
        .iter()
        .position(|j| j.steps == vec![Action::WriteconfTarget { target_id: c.mdt }])
        .unwrap();
    assert!(after(&writeconf, position(&writeconf, c.mdt, "mounted"), rewrite));
}
