//! The HA lab proves itself against real Pacemaker, without Chroma: over
//! real ssh, corosync is configured and Pacemaker started on two nodes; an
//! `ocf:lustre:Lustre` resource on a lustre-sim target starts on one node,
//! and when Pacemaker stops there, or the node crashes, it moves to the
//! other, as lustre-sim's shared state shows. A crashed node whose
//! Pacemaker is enabled rejoins when it boots.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use integration_tests::ha_lab::HaLab;
use integration_tests::wait_for;

/// Formation of a new cluster (dc-deadtime is seeded at 5 s).
const FORM: Duration = Duration::from_secs(90);
/// A resource start or move.
const MOVE: Duration = Duration::from_secs(60);

/// The resource under test and its device.
const RESOURCE: &str = "lab-MDT0000";
const DEVICE: &str = "/dev/sdb";
const SERIAL: &str = "LABDISK00";

/// The corosync.conf a manager would write for the lab's nodes.
fn corosync_conf(lab: &HaLab) -> String {
    let mut nodes = String::new();
    for node in lab.nodes() {
        nodes.push_str(&format!(
            "    node {{\n        ring0_addr: {}\n        name: {}\n        nodeid: {}\n    }}\n",
            node.address, node.name, node.index
        ));
    }
    format!(
        "totem {{\n    version: 2\n    cluster_name: chroma-lab\n    transport: knet\n    \
         crypto_cipher: aes256\n    crypto_hash: sha256\n}}\n\
         nodelist {{\n{nodes}}}\n\
         quorum {{\n    provider: corosync_votequorum\n    two_node: 1\n}}\n\
         logging {{\n    to_stderr: yes\n    to_syslog: no\n    timestamp: on\n}}\n"
    )
}

/// `crm_mon` as XML from node `i`.
async fn crm_mon(lab: &HaLab, i: usize) -> anyhow::Result<String> {
    Ok(lab
        .ssh(i, "crm_mon -1 --output-as=xml")
        .await?
        .checked("crm_mon")?
        .stdout)
}

/// The node `crm_resource --locate` names, if the resource runs.
async fn located(lab: &HaLab, i: usize) -> anyhow::Result<Option<String>> {
    let out = lab
        .ssh(i, &format!("crm_resource --resource {RESOURCE} --locate"))
        .await?;
    Ok(out
        .stdout
        .trim()
        .strip_prefix(&format!("resource {RESOURCE} is running on: "))
        .map(str::to_owned))
}

/// Waits until the resource runs on `node`, per Pacemaker (asked on
/// `ask`) and per lustre-sim.
async fn wait_running_on(lab: &HaLab, ask: usize, node: &str) -> anyhow::Result<()> {
    wait_for(MOVE, &format!("{RESOURCE} running on {node}"), || async {
        let pacemaker = located(lab, ask).await?;
        let sim = lab.mounted_on(SERIAL).await?;
        Ok((pacemaker.as_deref() == Some(node) && sim.as_deref() == Some(node)).then_some(()))
    })
    .await
}

/// Runs `body` on a fresh two-node lab, tearing it down afterwards (its
/// directory is kept, with the logs, when `body` fails); prints the
/// timings `body` reports.
async fn with_lab<F, Fut>(name: &str, body: F) -> anyhow::Result<()>
where
    F: FnOnce(HaLab) -> Fut,
    Fut: std::future::Future<Output = (HaLab, anyhow::Result<String>)>,
{
    let started = Instant::now();
    let lab = HaLab::setup(name, 2, None).await?;
    let setup = started.elapsed();
    let (lab, result) = body(lab).await;
    match result {
        Ok(timings) => {
            let t = Instant::now();
            lab.teardown().await?;
            eprintln!("setup {setup:?}; {timings}; teardown {:?}", t.elapsed());
            Ok(())
        }
        Err(e) => {
            eprintln!("lab logs kept in {}", lab.dir().display());
            drop(lab);
            Err(e)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pacemaker_moves_a_lustre_target_when_its_node_stops_pacemaker() -> anyhow::Result<()> {
    with_lab("stop", |lab| async move {
        let result = stop_moves_the_target(&lab).await;
        (lab, result)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pacemaker_moves_a_lustre_target_when_its_node_crashes_and_the_node_rejoins() -> anyhow::Result<()> {
    with_lab("crash", |lab| async move {
        let result = crash_moves_the_target(&lab).await;
        (lab, result)
    })
    .await
}

async fn stop_moves_the_target(lab: &HaLab) -> anyhow::Result<String> {
    let formed = form_cluster(lab).await?;
    let (from, to, start) = start_target(lab).await?;
    let t = Instant::now();
    lab.stop_pacemaker(from).await?;
    let stopped = t.elapsed();
    let other = 3 - from;
    let out = lab.ssh(from, "systemctl is-active pacemaker corosync").await?;
    assert_eq!(out.stdout, "inactive\nactive\n", "{out:?}");
    wait_running_on(lab, other, &to).await?;
    let failover = t.elapsed();
    no_failures(lab, other).await?;
    Ok(format!(
        "cluster formed {formed:?}; start {start:?}; stop-pacemaker returned {stopped:?}; failover {failover:?}"
    ))
}

async fn crash_moves_the_target(lab: &HaLab) -> anyhow::Result<String> {
    let formed = form_cluster(lab).await?;
    let (from, to, start) = start_target(lab).await?;
    let other = 3 - from;
    // Enabled, so the node's Pacemaker starts again when it boots.
    lab.ssh(from, "systemctl enable pacemaker")
        .await?
        .checked("systemctl enable pacemaker")?;
    let t = Instant::now();
    lab.crash_node(from).await?;
    wait_running_on(lab, other, &to).await?;
    let failover = t.elapsed();
    let t = Instant::now();
    lab.start_node(from).await?;
    wait_for(FORM, "the crashed node back online", || async {
        let xml = crm_mon(lab, other).await?;
        Ok((xml.matches(r#"online="true""#).count() == 2).then_some(()))
    })
    .await?;
    let rejoined = t.elapsed();
    // Pacemaker leaves the target where it runs (no preference was set).
    wait_running_on(lab, other, &to).await?;
    no_failures(lab, other).await?;
    Ok(format!(
        "cluster formed {formed:?}; start {start:?}; crash failover {failover:?}; reboot and rejoin {rejoined:?}"
    ))
}

/// Configures corosync on both nodes and starts Pacemaker, as a manager
/// would, over ssh; waits for quorum and disables stonith. Returns how
/// long the cluster took to form.
async fn form_cluster(lab: &HaLab) -> anyhow::Result<Duration> {
    for node in lab.nodes() {
        let name = lab.ssh(node.index, "hostname").await?.checked("hostname")?;
        assert_eq!(name.stdout.trim(), node.name);
        assert!(node.fingerprint.starts_with("SHA256:"), "{node:?}");
    }
    let conf = corosync_conf(lab);
    let authkey: Vec<u8> = (0..256).map(|_| rand::random::<u8>()).collect();
    for node in lab.nodes() {
        lab.ssh_with_input(node.index, "cat > /etc/corosync/corosync.conf", Some(conf.as_bytes()))
            .await?
            .checked("writing corosync.conf")?;
        lab.ssh_with_input(node.index, "umask 077 && cat > /etc/corosync/authkey", Some(&authkey))
            .await?
            .checked("writing authkey")?;
    }
    let t = Instant::now();
    for node in lab.nodes() {
        let out = lab.ssh(node.index, "systemctl is-active pacemaker").await?;
        assert_eq!((out.status, out.stdout.trim()), (3, "inactive"), "{out:?}");
        lab.ssh(node.index, "systemctl start pacemaker")
            .await?
            .checked("systemctl start pacemaker")?;
        let out = lab.ssh(node.index, "systemctl is-active corosync pacemaker").await?;
        assert_eq!(out.stdout, "active\nactive\n", "{out:?}");
    }
    wait_for(FORM, "two nodes online with quorum", || async {
        let xml = crm_mon(lab, 1).await?;
        let online = xml.matches(r#"online="true""#).count();
        Ok((online == 2 && xml.contains(r#"with_quorum="true""#)).then_some(()))
    })
    .await?;
    let formed = t.elapsed();
    lab.ssh(
        1,
        "crm_attribute --type crm_config --name stonith-enabled --update false",
    )
    .await?
    .checked("disabling stonith")?;
    Ok(formed)
}

/// Formats the target through the nodes' wrappers, creates its
/// `ocf:lustre:Lustre` resource and starts it. Returns the node index it
/// runs on, the other node's name, and how long the start took.
async fn start_target(lab: &HaLab) -> anyhow::Result<(usize, String, Duration)> {
    lab.ssh(1, &format!("mkfs.lustre --mgs --mdt --fsname=lab --index=0 {DEVICE}"))
        .await?
        .checked("mkfs.lustre")?;
    let shown = lab.sim_show().await?;
    let device = shown["devices"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["serial"] == SERIAL))
        .context("no LABDISK00 in lustre-sim")?;
    assert_eq!(device["label"], "lab:MDT0000", "{device}");
    let meta = lab
        .ssh(2, "crm_resource --show-metadata ocf:lustre:Lustre")
        .await?
        .checked("the agent's meta-data")?;
    assert!(meta
        .stdout
        .contains(r#"<parameter name="target" unique="1" required="1">"#));
    let primitive = format!(
        r#"<primitive id="{RESOURCE}" class="ocf" provider="lustre" type="Lustre">
  <instance_attributes id="{RESOURCE}-ia">
    <nvpair id="{RESOURCE}-target" name="target" value="{DEVICE}"/>
    <nvpair id="{RESOURCE}-mountpoint" name="mountpoint" value="/mnt/{RESOURCE}"/>
  </instance_attributes>
  <meta_attributes id="{RESOURCE}-meta">
    <nvpair id="{RESOURCE}-target-role" name="target-role" value="Stopped"/>
  </meta_attributes>
  <operations>
    <op id="{RESOURCE}-monitor-5s" name="monitor" interval="5s" timeout="60s"/>
  </operations>
</primitive>"#
    );
    lab.ssh_with_input(
        1,
        "cibadmin --create -o resources --xml-pipe",
        Some(primitive.as_bytes()),
    )
    .await?
    .checked("creating the resource")?;
    let t = Instant::now();
    lab.ssh(
        1,
        &format!("crm_resource --resource {RESOURCE} --meta --set-parameter target-role --parameter-value Started"),
    )
    .await?
    .checked("starting the resource")?;
    let first = wait_for(MOVE, &format!("{RESOURCE} to start"), || located(lab, 2)).await?;
    let (from, to) = match first.as_str() {
        "lab1" => (1, "lab2"),
        "lab2" => (2, "lab1"),
        other => bail!("{RESOURCE} runs on unknown node {other}"),
    };
    wait_running_on(lab, from, &first).await?;
    let start = t.elapsed();
    no_failures(lab, from).await?;
    // The other node's probe (a monitor of a never-started resource)
    // found it not running: 7, which Pacemaker records and accepts.
    let status = lab
        .ssh(1, "cibadmin --query --scope status")
        .await?
        .checked("cibadmin")?;
    let probe = format!(r#"operation_key="{RESOURCE}_monitor_0""#);
    let probes: Vec<&str> = status.stdout.lines().filter(|l| l.contains(&probe)).collect();
    if !probes.iter().any(|l| l.contains(r#"rc-code="7""#)) {
        bail!("no probe returned 7: {probes:#?}");
    }
    Ok((from, to.to_owned(), start))
}

/// Fails if `crm_mon` on node `i` lists failed operations.
async fn no_failures(lab: &HaLab, i: usize) -> anyhow::Result<()> {
    let xml = crm_mon(lab, i).await?;
    if xml.contains("<failures>") {
        bail!("the resource has failed operations:\n{xml}");
    }
    Ok(())
}
