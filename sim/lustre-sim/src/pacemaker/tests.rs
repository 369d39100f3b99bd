//! The scheduler's behaviours, on a two-node cluster (oss1, oss2 sharing
//! their devices) with simulated time: each test ticks the scheduler
//! itself rather than waiting.
#![expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]

use crate::commands::test_support::{cluster, run, run_with};
use crate::commands::{install, Context, Output};
use crate::faults::{FaultCommand, Faults};
use crate::state::{now_micros, ClusterState};

const CONF: &str = "totem {\n    version: 2\n    cluster_name: demo\n    transport: knet\n    crypto_cipher: aes256\n    \
    crypto_hash: sha256\n}\n\nnodelist {\n    node {\n        ring0_addr: 10.0.0.2\n        name: oss1.cluster\n        \
    nodeid: 1\n    }\n    node {\n        ring0_addr: 10.0.0.3\n        name: oss2.cluster\n        nodeid: 2\n    }\n}\n\n\
    quorum {\n    provider: corosync_votequorum\n    two_node: 1\n}\n";

const SECOND: u64 = 1_000_000;

fn write(state: &mut ClusterState, host: &str, path: &str, content: &str) {
    let argv: Vec<String> = ["-D", "-m", "0644", "/dev/stdin", path]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut ctx = Context {
        host: host.to_string(),
        state,
        faults: Faults::default(),
    };
    assert_eq!(install::run(&argv, &mut ctx, Some(content)).code, 0);
}

fn ok(state: &mut ClusterState, host: &str, line: &str) -> Output {
    let out = run(state, host, line);
    assert_eq!(out.code, 0, "{line}: {}{}", out.stdout, out.stderr);
    out
}

/// The by-id path of oss1's /dev/sdb (shared with oss2).
fn by_id(state: &mut ClusterState) -> String {
    let links = ok(state, "oss1", "udevadm info --query=symlink --name=/dev/sdb").stdout;
    format!("/dev/{}", links.split(' ').next().unwrap())
}

/// A file system (MGS/MDT on mds1, OST0000 on the oss pair's /dev/sdb),
/// corosync and pacemaker running on oss1 and oss2, and the cluster
/// settled at `t`.
fn ha(t: u64) -> ClusterState {
    let mut state = cluster();
    ok(
        &mut state,
        "mds1",
        "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/sdb",
    );
    ok(&mut state, "mds1", "mount -t lustre /dev/sdb /mnt/mdt0");
    ok(
        &mut state,
        "oss1",
        "mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdb",
    );
    for host in ["oss1", "oss2"] {
        write(&mut state, host, "/etc/corosync/corosync.conf", CONF);
        write(&mut state, host, "/etc/corosync/authkey", "secret");
        ok(&mut state, host, "systemctl enable --now pacemaker");
    }
    tick(&mut state, &Faults::default(), t);
    state
}

fn tick(state: &mut ClusterState, faults: &Faults, t: u64) {
    crate::effects::apply(state, faults, t);
}

/// Adds the target's resource (held Stopped), its location constraints
/// and a stickiness of 1000; with `fencing`, a fence_lustre_sim device.
fn configure(state: &mut ClusterState, fencing: bool) {
    let dev = by_id(state);
    let primitive = format!(
        "<primitive id=\"ost0\" class=\"ocf\" provider=\"lustre\" type=\"Lustre\"><instance_attributes id=\"ost0-ia\">\
         <nvpair id=\"ost0-target\" name=\"target\" value=\"{dev}\"/><nvpair id=\"ost0-mp\" name=\"mountpoint\" \
         value=\"/mnt/ost0\"/></instance_attributes><meta_attributes id=\"ost0-meta\"><nvpair id=\"ost0-role\" \
         name=\"target-role\" value=\"Stopped\"/></meta_attributes><operations><op id=\"ost0-mon\" name=\"monitor\" \
         interval=\"20s\" timeout=\"300s\"/></operations></primitive>"
    );
    ok(
        state,
        "oss1",
        &format!("cibadmin --create -o resources --xml-text '{primitive}'"),
    );
    for (node, score) in [("oss1", 20), ("oss2", 10)] {
        let c = format!(
            "cibadmin --create -o constraints --xml-text '<rsc_location id=\"ost0-{node}\" rsc=\"ost0\" \
             node=\"{node}.cluster\" score=\"{score}\"/>'"
        );
        ok(state, "oss1", &c);
    }
    ok(
        state,
        "oss1",
        "crm_attribute --type rsc_defaults --name resource-stickiness --update 1000",
    );
    if fencing {
        let st = "<primitive id=\"st\" class=\"stonith\" type=\"fence_lustre_sim\"><instance_attributes id=\"st-ia\">\
                  <nvpair id=\"st-hosts\" name=\"pcmk_host_list\" value=\"oss1.cluster,oss2.cluster\"/>\
                  </instance_attributes></primitive>";
        ok(
            state,
            "oss1",
            &format!("cibadmin --create -o resources --xml-text '{st}'"),
        );
    } else {
        ok(
            state,
            "oss1",
            "crm_attribute --type crm_config --name stonith-enabled --update false",
        );
    }
}

fn set_role(state: &mut ClusterState, role: &str) {
    ok(
        state,
        "oss1",
        &format!("crm_resource --resource ost0 --set-parameter target-role --meta --parameter-value {role}"),
    );
}

fn located(state: &mut ClusterState) -> String {
    let out = ok(state, "oss2", "crm_resource --resource ost0 --locate");
    format!("{}{}", out.stdout, out.stderr)
}

fn mounted_on(state: &ClusterState) -> Option<String> {
    let serial = state.resolve_device("oss1", "/dev/sdb").unwrap();
    state.mount_of(&serial).map(|m| m.host.clone())
}

#[test]
fn without_pacemaker_the_tools_do_not_exist_and_a_fresh_server_runs_nothing() {
    let mut state = cluster();
    state.host_mut("mds1").unwrap().no_pacemaker = true;
    for tool in [
        "crm_mon -1 --as-xml",
        "cibadmin --query",
        "crm_node -n",
        "corosync -v",
        "stonith_admin -L",
    ] {
        let out = run(&mut state, "mds1", tool);
        assert_eq!(out.code, 127, "{tool}");
        assert!(out.stderr.ends_with(": command not found\n"), "{}", out.stderr);
    }
    let unit = run(&mut state, "mds1", "systemctl start pacemaker");
    assert_eq!(
        (unit.code, unit.stderr.as_str()),
        (
            5,
            "Failed to start pacemaker.service: Unit pacemaker.service not found.\n"
        )
    );
    // Installed but not configured: nothing runs, the tools fail like the real ones.
    assert_eq!(
        run(&mut state, "oss1", "crm_mon --version").stdout.lines().next(),
        Some("Pacemaker 2.1.5")
    );
    let node = run(&mut state, "oss1", "crm_node -n");
    assert_eq!(
        (node.code, node.stderr.as_str()),
        (102, "error: Could not connect to controller: Connection refused\n")
    );
    assert_eq!(run(&mut state, "oss1", "crm_mon -1 --output-as=xml").code, 102);
    let active = run(&mut state, "oss1", "systemctl is-active corosync");
    assert_eq!((active.code, active.stdout.as_str()), (3, "inactive\n"));
    // No configuration: corosync fails, and pacemaker with it.
    let start = run(&mut state, "oss1", "systemctl start pacemaker");
    assert_eq!(start.code, 1);
    assert!(
        start
            .stderr
            .starts_with("A dependency job for pacemaker.service failed."),
        "{}",
        start.stderr
    );
    assert_eq!(
        run(&mut state, "oss1", "systemctl is-active corosync").stdout,
        "failed\n"
    );
}

#[test]
fn a_running_cluster_names_its_nodes_and_keeps_quorum_with_two_node() {
    let t = now_micros();
    let mut state = ha(t);
    assert_eq!(ok(&mut state, "oss2", "crm_node -n").stdout, "oss2.cluster\n");
    assert_eq!(
        ok(&mut state, "oss1", "crm_node -l").stdout,
        "1 oss1.cluster member\n2 oss2.cluster member\n"
    );
    assert_eq!(ok(&mut state, "oss1", "hostname -f").stdout, "oss1.cluster\n");
    let xml = ok(&mut state, "oss1", "crm_mon -1 --as-xml").stdout;
    assert!(
        xml.starts_with("<crm_mon version=\"2.1.5\">\n  <summary>\n    <stack type=\"corosync\"/>\n"),
        "{xml}"
    );
    assert!(xml.contains("<current_dc present=\"true\" version=\"2.1.5-a3f44794f94\" name=\"oss1.cluster\" id=\"1\" with_quorum=\"true\""), "{xml}");
    assert!(
        xml.contains("<cluster_options stonith-enabled=\"true\" symmetric-cluster=\"true\" no-quorum-policy=\"stop\"")
    );
    let q = ok(
        &mut state,
        "oss1",
        "crm_attribute --type crm_config --name dc-version --query",
    );
    assert_eq!(q.stdout, "scope=crm_config  name=dc-version value=2.1.5-a3f44794f94\n");
    let unset = run(
        &mut state,
        "oss1",
        "crm_attribute --type crm_config --name stonith-enabled --query",
    );
    assert_eq!(unset.code, 105);
    // A different authkey: oss2 forms no membership with oss1.
    write(&mut state, "oss2", "/etc/corosync/authkey", "other");
    ok(&mut state, "oss2", "systemctl restart corosync");
    ok(&mut state, "oss2", "systemctl start pacemaker");
    assert_eq!(
        ok(&mut state, "oss1", "crm_node -l").stdout,
        "1 oss1.cluster member\n2 oss2.cluster lost\n"
    );
}

#[test]
fn stonith_enabled_without_a_device_starts_nothing() {
    let t = now_micros();
    let mut state = ha(t);
    configure(&mut state, true);
    ok(
        &mut state,
        "oss1",
        "cibadmin --delete --xml-text '<primitive id=\"st\"/>'",
    );
    set_role(&mut state, "Started");
    tick(&mut state, &Faults::default(), t + SECOND);
    assert_eq!(mounted_on(&state), None);
    assert_eq!(located(&mut state), "resource ost0 is NOT running\n");
    let logged = state.journals["oss1"]
        .entries
        .iter()
        .any(|e| e.message == " error: Resource start-up disabled since no STONITH resources have been defined");
    assert!(logged);
}

#[test]
fn a_stop_sticks_across_monitor_intervals() {
    let t = now_micros();
    let mut state = ha(t);
    configure(&mut state, true);
    set_role(&mut state, "Started");
    tick(&mut state, &Faults::default(), t + SECOND);
    assert_eq!(mounted_on(&state).as_deref(), Some("oss1"));
    assert_eq!(located(&mut state), "resource ost0 is running on: oss1.cluster\n");
    set_role(&mut state, "Stopped");
    for i in 2..8 {
        tick(&mut state, &Faults::default(), t + i * 20 * SECOND);
        assert_eq!(mounted_on(&state), None, "tick {i}");
    }
    let xml = ok(&mut state, "oss1", "crm_mon -1 --output-as=xml").stdout;
    assert!(
        xml.contains(
            "<resource id=\"ost0\" resource_agent=\"ocf:lustre:Lustre\" role=\"Stopped\" target_role=\"Stopped\""
        ),
        "{xml}"
    );
}

#[test]
fn a_target_unmounted_behind_pacemakers_back_is_remounted_at_the_next_monitor() {
    let t = now_micros();
    let mut state = ha(t);
    configure(&mut state, true);
    set_role(&mut state, "Started");
    tick(&mut state, &Faults::default(), t + SECOND);
    ok(&mut state, "oss1", "umount /mnt/ost0");
    tick(&mut state, &Faults::default(), t + 10 * SECOND);
    assert_eq!(mounted_on(&state), None, "not before the monitor interval");
    tick(&mut state, &Faults::default(), t + 22 * SECOND);
    assert_eq!(mounted_on(&state).as_deref(), Some("oss1"));
    let xml = ok(&mut state, "oss1", "crm_mon -1 --as-xml").stdout;
    assert!(
        xml.contains("<resource_history id=\"ost0\" orphan=\"false\" migration-threshold=\"1000000\" fail-count=\"1\""),
        "{xml}"
    );
    assert!(
        xml.contains("<failure op_key=\"ost0_monitor_20000\" node=\"oss1.cluster\" exitstatus=\"not running\""),
        "{xml}"
    );
    let journal: Vec<&str> = state.journals["oss1"]
        .entries
        .iter()
        .map(|e| e.message.as_str())
        .collect();
    assert!(journal.contains(&" notice: Result of monitor operation for ost0 on oss1.cluster: not running"));
}

#[test]
fn a_stopped_target_mounted_by_hand_is_stopped() {
    let t = now_micros();
    let mut state = ha(t);
    configure(&mut state, true);
    tick(&mut state, &Faults::default(), t + SECOND);
    ok(&mut state, "oss2", "mount -t lustre /dev/sdb /mnt/ost0");
    tick(&mut state, &Faults::default(), t + 25 * SECOND);
    assert_eq!(mounted_on(&state), None);
}

#[test]
fn a_failed_start_keeps_the_resource_off_that_node_until_cleanup() {
    let t = now_micros();
    let mut state = ha(t);
    configure(&mut state, true);
    let mut faults = Faults::default();
    faults.apply("oss1", FaultCommand::FailStart("ost0".into()));
    set_role(&mut state, "Started");
    tick(&mut state, &faults, t + SECOND);
    assert_eq!(mounted_on(&state).as_deref(), Some("oss2"));
    let xml = run_with(&mut state, "oss1", "crm_mon -1 --as-xml", &faults).stdout;
    assert!(xml.contains("fail-count=\"1000000\""), "{xml}");
    // Even a move cannot bring it back while the fail-count stands.
    ok(
        &mut state,
        "oss1",
        "crm_resource --resource ost0 --move --node oss1.cluster",
    );
    tick(&mut state, &faults, t + 2 * SECOND);
    assert_eq!(mounted_on(&state).as_deref(), Some("oss2"));
    let cleaned = ok(&mut state, "oss1", "crm_resource --resource ost0 --cleanup").stdout;
    assert_eq!(
        cleaned,
        "Cleaned up ost0 on oss1.cluster\nCleaned up ost0 on oss2.cluster\nWaiting for 1 reply from the controller\n\
         ... got reply (done)\n"
    );
    tick(&mut state, &faults, t + 3 * SECOND);
    assert_eq!(mounted_on(&state).as_deref(), Some("oss1"));
}

#[test]
fn move_and_clear_respect_stickiness() {
    let t = now_micros();
    let mut state = ha(t);
    configure(&mut state, true);
    set_role(&mut state, "Started");
    tick(&mut state, &Faults::default(), t + SECOND);
    let same = run(
        &mut state,
        "oss1",
        "crm_resource --resource ost0 --move --node oss1.cluster",
    );
    assert_eq!(same.code, 108);
    let unknown = run(&mut state, "oss1", "crm_resource --resource ost0 --move --node oss1");
    assert_eq!(
        (unknown.code, unknown.stderr.as_str()),
        (
            105,
            "crm_resource: Node 'oss1' not found\nError performing operation: No such object\n"
        )
    );
    ok(
        &mut state,
        "oss1",
        "crm_resource --resource ost0 --move --node oss2.cluster",
    );
    tick(&mut state, &Faults::default(), t + 2 * SECOND);
    assert_eq!(mounted_on(&state).as_deref(), Some("oss2"));
    let cleared = ok(&mut state, "oss1", "crm_resource --resource ost0 --clear").stdout;
    assert_eq!(cleared, "Removing constraint: cli-prefer-ost0\n");
    tick(&mut state, &Faults::default(), t + 3 * SECOND);
    assert_eq!(
        mounted_on(&state).as_deref(),
        Some("oss2"),
        "stickiness 1000 outweighs the primary's 20"
    );
    // Without --node a move bans the current node.
    let ban = ok(&mut state, "oss1", "crm_resource --resource ost0 --move").stdout;
    assert!(ban.starts_with(
        "WARNING: Creating rsc_location constraint 'cli-ban-ost0-on-oss2.cluster' with a score of -INFINITY"
    ));
    tick(&mut state, &Faults::default(), t + 4 * SECOND);
    assert_eq!(mounted_on(&state).as_deref(), Some("oss1"));
}

#[test]
fn a_lost_node_is_fenced_through_fence_lustre_sim_and_its_targets_move() {
    let t = now_micros();
    let mut state = ha(t);
    configure(&mut state, true);
    set_role(&mut state, "Started");
    tick(&mut state, &Faults::default(), t + SECOND);
    assert_eq!(mounted_on(&state).as_deref(), Some("oss1"));
    let mut faults = Faults::default();
    faults.apply("oss1", FaultCommand::Down);
    tick(&mut state, &faults, t + 2 * SECOND);
    assert_eq!(mounted_on(&state).as_deref(), Some("oss2"));
    let xml = run_with(&mut state, "oss2", "crm_mon -1 --as-xml", &faults).stdout;
    assert!(
        xml.contains("<fence_event action=\"reboot\" target=\"oss1.cluster\""),
        "{xml}"
    );
    assert!(xml.contains("status=\"success\" delegate=\"oss2.cluster\""), "{xml}");
    let journal: Vec<&str> = state.journals["oss2"]
        .entries
        .iter()
        .map(|e| e.message.as_str())
        .collect();
    assert!(
        journal
            .iter()
            .any(|m| m.starts_with(" notice: Peer oss1.cluster was terminated (reboot) by oss2.cluster")),
        "{journal:#?}"
    );
}

#[test]
fn a_lost_node_without_a_fence_device_stays_unclean() {
    let t = now_micros();
    let mut state = ha(t);
    configure(&mut state, true);
    set_role(&mut state, "Started");
    tick(&mut state, &Faults::default(), t + SECOND);
    // A device that cannot fence oss1.
    ok(
        &mut state,
        "oss1",
        "cibadmin --delete --xml-text '<nvpair id=\"st-hosts\"/>'",
    );
    ok(
        &mut state,
        "oss1",
        "crm_resource --resource st --set-parameter pcmk_host_list --parameter-value oss2.cluster",
    );
    let mut faults = Faults::default();
    faults.apply("oss1", FaultCommand::Down);
    tick(&mut state, &faults, t + 2 * SECOND);
    tick(&mut state, &faults, t + 60 * SECOND);
    assert_eq!(mounted_on(&state), None, "nothing moves while oss1 is unclean");
    let xml = run_with(&mut state, "oss2", "crm_mon -1 --as-xml", &faults).stdout;
    assert!(xml.contains("name=\"oss1.cluster\" id=\"1\" online=\"false\" standby=\"false\" standby_onfail=\"false\" maintenance=\"false\" pending=\"false\" unclean=\"true\""), "{xml}");
}

#[test]
fn a_constraint_must_name_a_resource_that_exists() {
    let t = now_micros();
    let mut state = ha(t);
    configure(&mut state, true);
    // Deleting a primitive its location constraints still name fails the
    // schema (Pacemaker 2.1.5 answered exactly this in the HA lab).
    let gone = run(
        &mut state,
        "oss1",
        "cibadmin --delete --xml-text '<primitive id=\"ost0\"/>'",
    );
    assert_eq!(
        (gone.code, gone.stderr.as_str()),
        (
            78,
            "Call cib_delete failed: Update does not conform to the configured schema\n"
        )
    );
    assert!(ok(
        &mut state,
        "oss1",
        "cibadmin --query --xpath \"//primitive[@id='ost0']\""
    )
    .stdout
    .contains("ost0"));
    let nobody = run(
        &mut state,
        "oss1",
        "cibadmin --create -o constraints --xml-text '<rsc_colocation id=\"c\" rsc=\"nope\" with-rsc=\"ost0\" score=\"INFINITY\"/>'",
    );
    assert_eq!(nobody.code, 78);
}

#[test]
fn agent_metadata_needs_no_cluster_and_names_a_missing_agent() {
    let mut state = cluster();
    let zfs = ok(&mut state, "oss1", "crm_resource --show-metadata ocf:heartbeat:ZFS");
    assert!(zfs.stdout.contains("<resource-agent name=\"ZFS\""), "{}", zfs.stdout);
    let none = run(&mut state, "oss1", "crm_resource --show-metadata ocf:heartbeat:Nope");
    assert_eq!(
        (none.code, none.stderr.as_str()),
        (
            105,
            "crm_resource: Metadata query for ocf:heartbeat:Nope failed: No such device or address\n\
             Error performing operation: No such object\n"
        )
    );
}

#[test]
fn cibadmin_refuses_duplicate_ids() {
    let t = now_micros();
    let mut state = ha(t);
    configure(&mut state, true);
    let dup = run(&mut state, "oss1", "cibadmin --create -o resources --xml-text '<primitive id=\"ost0\" class=\"ocf\" provider=\"lustre\" type=\"Lustre\"/>'");
    assert_eq!((dup.code, dup.stderr.as_str()), (108, "Call failed: File exists\n"));
    assert!(dup.stdout.starts_with("<failed>\n  <failed_update id=\"ost0\" object_type=\"primitive\" operation=\"cib_create\" reason=\"File exists\">\n"));
    let other = run(&mut state, "oss1", "cibadmin --create -o constraints --xml-text '<rsc_location id=\"ost0\" rsc=\"ost0\" node=\"oss1.cluster\" score=\"5\"/>'");
    assert_eq!(
        (other.code, other.stderr.as_str()),
        (78, "Call failed: Update does not conform to the configured schema\n")
    );
    let missing = run(
        &mut state,
        "oss1",
        "cibadmin --query --xpath \"//primitive[@id='nope']\"",
    );
    assert_eq!(
        (missing.code, missing.stderr.as_str()),
        (105, "Call failed: No such device or address\n")
    );
    let found = ok(
        &mut state,
        "oss1",
        "cibadmin --query --xpath \"//primitive[@id='ost0']\"",
    )
    .stdout;
    assert!(found.starts_with("<primitive id=\"ost0\" class=\"ocf\" provider=\"lustre\" type=\"Lustre\">\n"));
    ok(
        &mut state,
        "oss1",
        "cibadmin --delete --xml-text '<rsc_location id=\"nothing\"/>'",
    );
}

#[test]
fn cibadmin_reads_xml_from_stdin_with_xml_pipe() {
    let t = now_micros();
    let mut state = ha(t);
    configure(&mut state, false);
    let argv: Vec<String> = ["cibadmin", "--create", "-o", "resources", "--xml-pipe"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let xml = "<primitive id=\"fence-x\" class=\"stonith\" type=\"fence_lustre_sim\"><instance_attributes id=\"fx\">\
               <nvpair id=\"fx-p\" name=\"password\" value=\"s3cret\"/></instance_attributes></primitive>";
    let mut ctx = Context {
        host: "oss1".to_string(),
        state: &mut state,
        faults: Faults::default(),
    };
    let out = crate::commands::dispatch_with_stdin(&argv, &mut ctx, Some(xml));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let found = ok(
        &mut state,
        "oss2",
        "cibadmin --query --xpath \"//primitive[@id='fence-x']\"",
    )
    .stdout;
    assert!(found.contains("value=\"s3cret\""), "{found}");
    assert!(crate::exec::reads_stdin("cibadmin --create -o resources --xml-pipe"));
    assert!(!crate::exec::reads_stdin("mkdir -p /mnt/x"));
}

#[test]
fn a_rebooted_node_restarts_its_enabled_units_and_its_targets_move() {
    let t = now_micros();
    let mut state = ha(t);
    configure(&mut state, true);
    set_role(&mut state, "Started");
    tick(&mut state, &Faults::default(), t + SECOND);
    assert_eq!(mounted_on(&state).as_deref(), Some("oss1"));
    let mut faults = Faults::default();
    faults.apply("oss1", FaultCommand::Reboot);
    tick(&mut state, &faults, t + 2 * SECOND);
    tick(&mut state, &faults, t + 3 * SECOND);
    // A clean shutdown: nothing to fence, and stickiness keeps the target
    // on oss2 once oss1 is back.
    assert_eq!(mounted_on(&state).as_deref(), Some("oss2"));
    let oss1 = &state.ha.hosts["oss1"];
    assert!(oss1.corosync.active && oss1.pacemaker.active);
    assert!(state.host("oss1").is_some_and(|h| h.modules.is_empty() && !h.lnet_up));
    let xml = run_with(&mut state, "oss2", "crm_mon -1 --as-xml", &faults).stdout;
    assert!(!xml.contains("<fence_event"), "{xml}");
}
