//! End to end over real SSH: a russh client logs in to an in-process
//! simulated cluster and runs the commands Chroma runs.
#![expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lustre_sim::keys::{fingerprint, generate_ed25519};
use lustre_sim::{Cluster, ClusterHandle, FaultCommand, SimConfig};
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::{client, ChannelMsg};

const WAIT: Duration = Duration::from_secs(15);

/// A directory removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("lustre-sim-it-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Records the server's host-key fingerprint and accepts any key.
struct Recorder(Arc<Mutex<Option<String>>>);

impl client::Handler for Recorder {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        if let PublicKeyOrCertificate::PublicKey { key, .. } = key {
            *self.0.lock().unwrap() = Some(fingerprint(key));
        }
        Ok(true)
    }
}

struct Login {
    handle: client::Handle<Recorder>,
    authenticated: bool,
    fingerprint: Option<String>,
}

async fn login(addr: std::net::SocketAddr, key: &PrivateKey) -> anyhow::Result<Login> {
    let seen = Arc::new(Mutex::new(None));
    let config = Arc::new(client::Config::default());
    let mut handle = tokio::time::timeout(WAIT, client::connect(config, addr, Recorder(seen.clone()))).await??;
    let auth = tokio::time::timeout(
        WAIT,
        handle.authenticate_publickey("root", PrivateKeyWithHashAlg::new(Arc::new(key.clone()), None)),
    )
    .await??;
    let fingerprint = seen.lock().unwrap().clone();
    Ok(Login {
        handle,
        authenticated: auth.success(),
        fingerprint,
    })
}

struct Run {
    stdout: String,
    stderr: String,
    code: Option<u32>,
}

async fn exec(login: &Login, command: &str) -> Run {
    let mut channel = login.handle.channel_open_session().await.unwrap();
    channel.exec(true, command).await.unwrap();
    let mut run = Run {
        stdout: String::new(),
        stderr: String::new(),
        code: None,
    };
    let deadline = Instant::now() + WAIT;
    loop {
        let msg = tokio::time::timeout_at(deadline.into(), channel.wait()).await.unwrap();
        match msg {
            Some(ChannelMsg::Data { data }) => run.stdout.push_str(&String::from_utf8_lossy(&data)),
            Some(ChannelMsg::ExtendedData { data, .. }) => run.stderr.push_str(&String::from_utf8_lossy(&data)),
            Some(ChannelMsg::ExitStatus { exit_status }) => run.code = Some(exit_status),
            Some(ChannelMsg::Close) | None => break,
            Some(_) => {}
        }
    }
    run
}

struct Setup {
    dir: TempDir,
    client_key: PrivateKey,
    authorized: PathBuf,
}

fn setup(tag: &str) -> Setup {
    let dir = TempDir::new(tag);
    let client_key = generate_ed25519().unwrap();
    let authorized = dir.0.join("authorized_keys");
    std::fs::write(
        &authorized,
        format!("{} test@chroma\n", client_key.public_key().to_openssh().unwrap()),
    )
    .unwrap();
    Setup {
        dir,
        client_key,
        authorized,
    }
}

async fn start(state_dir: &Path, authorized: &Path) -> ClusterHandle {
    let hosts: Vec<String> = ["mds1", "oss1", "oss2"].iter().map(|s| s.to_string()).collect();
    let config = SimConfig::new(state_dir, &hosts, 0, authorized);
    tokio::time::timeout(WAIT, Cluster::start(config))
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn formats_and_mounts_a_file_system_over_ssh() {
    let s = setup("fs");
    let state_dir = s.dir.0.join("state");
    let cluster = start(&state_dir, &s.authorized).await;
    let mds = login(cluster.host("mds1").unwrap().addr, &s.client_key).await.unwrap();
    let oss1 = login(cluster.host("oss1").unwrap().addr, &s.client_key).await.unwrap();
    let oss2 = login(cluster.host("oss2").unwrap().addr, &s.client_key).await.unwrap();
    assert!(mds.authenticated && oss1.authenticated && oss2.authenticated);
    assert_eq!(
        mds.fingerprint.as_deref(),
        Some(cluster.host("mds1").unwrap().fingerprint.as_str())
    );

    let host = exec(&oss2, "hostname").await;
    assert_eq!((host.stdout.as_str(), host.code), ("oss2\n", Some(0)));

    let mgs = exec(&mds, "mkfs.lustre --mgs /dev/sdb").await;
    assert_eq!(mgs.code, Some(0), "{}", mgs.stderr);
    let mdt = exec(
        &mds,
        "mkfs.lustre --mdt --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdc",
    )
    .await;
    assert_eq!(mdt.code, Some(0), "{}", mdt.stderr);
    let ost = "mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp \
               --servicenode=10.0.0.2@tcp --servicenode=10.0.0.3@tcp /dev/sdb";
    let first = exec(&oss1, ost).await;
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    assert!(first.stdout.contains("Permanent disk data:\nTarget:     fs1:OST0000\n"));
    // The same step redelivered to the partner host must not format again.
    let again = exec(&oss2, ost).await;
    assert_eq!(again.code, Some(17));
    assert!(again
        .stderr
        .contains("was previously formatted for lustre. Use --reformat"));

    let early = exec(&oss1, "mount -t lustre /dev/sdb /mnt/fs1-OST0000").await;
    assert_eq!(early.code, Some(5));
    assert!(early.stderr.contains("Input/output error"));
    for (login, dev, dir) in [
        (&mds, "/dev/sdb", "/mnt/mgs"),
        (&mds, "/dev/sdc", "/mnt/mdt0"),
        (&oss1, "/dev/sdb", "/mnt/ost0"),
    ] {
        let out = exec(login, &format!("mkdir -p {dir} && mount -t lustre {dev} {dir}")).await;
        assert_eq!(out.code, Some(0), "{dev}: {}", out.stderr);
    }
    let busy = exec(&oss2, "mount -t lustre /dev/sdb /mnt/ost0").await;
    assert_eq!(busy.code, Some(16));

    let dl = exec(&oss1, "lctl dl").await;
    assert!(
        dl.stdout.contains(" UP obdfilter fs1-OST0000 fs1-OST0000_UUID "),
        "{}",
        dl.stdout
    );
    let dl = exec(&mds, "lctl dl").await;
    assert!(dl.stdout.contains("  1 UP mgs MGS MGS 9\n"), "{}", dl.stdout);
    assert!(
        dl.stdout.contains(" UP mdt fs1-MDT0000 fs1-MDT0000_UUID "),
        "{}",
        dl.stdout
    );

    let missing = exec(&oss1, "xfs_repair /dev/sdb").await;
    assert_eq!(
        (missing.code, missing.stderr.as_str()),
        (Some(127), "bash: xfs_repair: command not found\n")
    );
    let quote = exec(&oss1, "echo 'unterminated").await;
    assert_eq!(quote.code, Some(2));

    let shown = lustre_sim::show(&state_dir).unwrap();
    let ost_dev = shown["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["label"] == "fs1-OST0000")
        .cloned()
        .unwrap();
    assert_eq!(ost_dev["format_count"], 1);
    assert_eq!(ost_dev["mounted_on"], "oss1");
    assert_eq!(shown["mounts"].as_array().unwrap().len(), 3);
    cluster.shutdown().await;
}

#[tokio::test]
async fn refuses_unknown_keys() {
    let s = setup("auth");
    let cluster = start(&s.dir.0.join("state"), &s.authorized).await;
    let stranger = generate_ed25519().unwrap();
    let login = login(cluster.host("mds1").unwrap().addr, &stranger).await.unwrap();
    assert!(!login.authenticated);
    cluster.shutdown().await;
}

#[tokio::test]
async fn a_restart_keeps_host_keys_and_formatted_devices() {
    let s = setup("restart");
    let state_dir = s.dir.0.join("state");
    let cluster = start(&state_dir, &s.authorized).await;
    let before: Vec<String> = cluster.hosts.iter().map(|h| h.fingerprint.clone()).collect();
    let mds = login(cluster.host("mds1").unwrap().addr, &s.client_key).await.unwrap();
    assert_eq!(exec(&mds, "mkfs.lustre --mgs /dev/sdb").await.code, Some(0));
    drop(mds);
    cluster.shutdown().await;

    let cluster = start(&state_dir, &s.authorized).await;
    let after: Vec<String> = cluster.hosts.iter().map(|h| h.fingerprint.clone()).collect();
    assert_eq!(before, after);
    let mds = login(cluster.host("mds1").unwrap().addr, &s.client_key).await.unwrap();
    assert_eq!(mds.fingerprint.as_deref(), Some(after[0].as_str()));
    let blkid = exec(&mds, "blkid -o value -s LABEL /dev/sdb").await;
    assert_eq!(blkid.stdout, "MGS\n");
    cluster.shutdown().await;
}

#[tokio::test]
async fn faults_take_hosts_down_and_slow_them() {
    let s = setup("faults");
    let state_dir = s.dir.0.join("state");
    let cluster = start(&state_dir, &s.authorized).await;
    let addr = cluster.host("oss1").unwrap().addr;
    let open = login(addr, &s.client_key).await.unwrap();

    lustre_sim::inject_fault(&state_dir, "oss1", FaultCommand::Slow(300)).unwrap();
    let started = Instant::now();
    assert_eq!(exec(&open, "hostname").await.code, Some(0));
    assert!(started.elapsed() >= Duration::from_millis(300));

    lustre_sim::inject_fault(&state_dir, "oss1", FaultCommand::Down).unwrap();
    assert!(
        login(addr, &s.client_key).await.is_err(),
        "a down host must drop new connections"
    );
    // The open session is cut within the fault poll interval.
    let deadline = Instant::now() + WAIT;
    while !open.handle.is_closed() {
        assert!(Instant::now() < deadline, "the open session was not dropped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    lustre_sim::inject_fault(&state_dir, "oss1", FaultCommand::Up).unwrap();
    let back = login(addr, &s.client_key).await.unwrap();
    assert!(back.authenticated);
    lustre_sim::inject_fault(&state_dir, "oss1", FaultCommand::FailNext("lctl".into())).unwrap();
    let failed = exec(&back, "lctl --version").await;
    assert_eq!(
        (failed.code, failed.stderr.as_str()),
        (Some(1), "lctl: Input/output error\n")
    );
    assert_eq!(exec(&back, "lctl --version").await.stdout, "lctl 2.15.4\n");
    cluster.shutdown().await;
}

/// Runs `command` with `stdin` sent on the channel, then EOF.
async fn exec_stdin(login: &Login, command: &str, stdin: &str) -> Run {
    let mut channel = login.handle.channel_open_session().await.unwrap();
    channel.exec(true, command).await.unwrap();
    channel.data(stdin.as_bytes()).await.unwrap();
    channel.eof().await.unwrap();
    let mut run = Run {
        stdout: String::new(),
        stderr: String::new(),
        code: None,
    };
    let deadline = Instant::now() + WAIT;
    loop {
        let msg = tokio::time::timeout_at(deadline.into(), channel.wait()).await.unwrap();
        match msg {
            Some(ChannelMsg::Data { data }) => run.stdout.push_str(&String::from_utf8_lossy(&data)),
            Some(ChannelMsg::ExtendedData { data, .. }) => run.stderr.push_str(&String::from_utf8_lossy(&data)),
            Some(ChannelMsg::ExitStatus { exit_status }) => run.code = Some(exit_status),
            Some(ChannelMsg::Close) | None => break,
            Some(_) => {}
        }
    }
    run
}

const COROSYNC_CONF: &str = "totem {\n    version: 2\n    cluster_name: demo\n    transport: knet\n    \
    crypto_cipher: aes256\n    crypto_hash: sha256\n}\n\nnodelist {\n    node {\n        ring0_addr: 10.0.0.2\n        \
    name: oss1.cluster\n        nodeid: 1\n    }\n    node {\n        ring0_addr: 10.0.0.3\n        name: oss2.cluster\n        \
    nodeid: 2\n    }\n}\n\nquorum {\n    provider: corosync_votequorum\n    two_node: 1\n}\n";

#[tokio::test]
async fn a_failover_fault_fails_a_pacemaker_resource_over_to_its_partner() {
    let s = setup("failover");
    let state_dir = s.dir.0.join("state");
    let cluster = start(&state_dir, &s.authorized).await;
    let mds = login(cluster.host("mds1").unwrap().addr, &s.client_key).await.unwrap();
    let oss1 = login(cluster.host("oss1").unwrap().addr, &s.client_key).await.unwrap();
    let oss2 = login(cluster.host("oss2").unwrap().addr, &s.client_key).await.unwrap();
    for (login, line) in [
        (
            &mds,
            "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/sdb && mount -t lustre /dev/sdb /mnt/mdt0",
        ),
        (
            &oss1,
            "mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdb",
        ),
    ] {
        let out = exec(login, line).await;
        assert_eq!(out.code, Some(0), "{line}: {}", out.stderr);
    }
    // No resource holds the target yet: the fault is refused.
    let refused = lustre_sim::inject_fault(&state_dir, "oss1", FaultCommand::Failover("fs1-OST0000".into()));
    assert!(refused.is_err());
    for login in [&oss1, &oss2] {
        let conf = exec_stdin(
            login,
            "install -D -m 0644 /dev/stdin /etc/corosync/corosync.conf",
            COROSYNC_CONF,
        )
        .await;
        assert_eq!(conf.code, Some(0), "{}", conf.stderr);
        let key = exec_stdin(login, "install -D -m 0400 /dev/stdin /etc/corosync/authkey", "key").await;
        assert_eq!(key.code, Some(0), "{}", key.stderr);
        assert_eq!(
            exec(login, "cat /etc/corosync/corosync.conf").await.stdout,
            COROSYNC_CONF
        );
        let started = exec(login, "systemctl start pacemaker").await;
        assert_eq!(started.code, Some(0), "{}", started.stderr);
    }
    let link = exec(&oss1, "udevadm info --query=symlink --name=/dev/sdb").await.stdout;
    let device = format!("/dev/{}", link.split(' ').next().unwrap());
    for line in [
        "crm_attribute --type crm_config --name stonith-enabled --update false".to_string(),
        format!(
            "cibadmin --create -o resources --xml-text '<primitive id=\"ost0\" class=\"ocf\" provider=\"lustre\" \
             type=\"Lustre\"><instance_attributes id=\"ost0-ia\"><nvpair id=\"ost0-t\" name=\"target\" value=\"{device}\"/>\
             <nvpair id=\"ost0-m\" name=\"mountpoint\" value=\"/mnt/ost0\"/></instance_attributes><operations>\
             <op id=\"ost0-mon\" name=\"monitor\" interval=\"20s\"/></operations></primitive>'"
        ),
        "cibadmin --create -o constraints --xml-text '<rsc_location id=\"ost0-primary\" rsc=\"ost0\" \
         node=\"oss1.cluster\" score=\"20\"/>'"
            .to_string(),
    ] {
        let out = exec(&oss1, &line).await;
        assert_eq!(out.code, Some(0), "{line}: {}", out.stderr);
    }
    let locate = |want: &'static str| {
        let oss2 = &oss2;
        async move {
            let deadline = Instant::now() + WAIT;
            loop {
                let located = exec(oss2, "crm_resource --locate --resource ost0").await;
                if located.stdout == want {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "not {want}: {}{}",
                    located.stdout,
                    located.stderr
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    locate("resource ost0 is running on: oss1.cluster\n").await;
    let xml = exec(&oss2, "crm_mon -1 --as-xml").await.stdout;
    assert!(
        xml.contains("<resource id=\"ost0\" resource_agent=\"ocf:lustre:Lustre\" role=\"Started\""),
        "{xml}"
    );

    lustre_sim::inject_fault(&state_dir, "oss1", FaultCommand::Failover("fs1-OST0000".into())).unwrap();
    locate("resource ost0 is running on: oss2.cluster\n").await;
    assert_eq!(exec(&oss1, "lctl dl").await.stdout, "");
    assert!(exec(&oss2, "lctl dl").await.stdout.contains("obdfilter fs1-OST0000"));
    cluster.shutdown().await;
}

#[tokio::test]
async fn monitoring_reads_follow_conf_params_and_faults() {
    let s = setup("monitoring");
    let state_dir = s.dir.0.join("state");
    let cluster = start(&state_dir, &s.authorized).await;
    let mds = login(cluster.host("mds1").unwrap().addr, &s.client_key).await.unwrap();
    let oss1 = login(cluster.host("oss1").unwrap().addr, &s.client_key).await.unwrap();
    for (login, line) in [
        (
            &mds,
            "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/sdb && mount -t lustre /dev/sdb /mnt/mdt0",
        ),
        (
            &oss1,
            "mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdb && \
             mount -t lustre /dev/sdb /mnt/ost0",
        ),
        // By hand, outside Chroma: the MGS logs it and every server applies it.
        (&mds, "lctl conf_param fs1.sys.timeout=70"),
    ] {
        let out = exec(login, line).await;
        assert_eq!(out.code, Some(0), "{line}: {}", out.stderr);
    }
    let llog = exec(&mds, "lctl --device MGS llog_print fs1-OST0000").await;
    assert!(llog.stdout.contains("parameter: sys.timeout=70 }"), "{}", llog.stdout);
    assert_eq!(exec(&oss1, "lctl get_param -n timeout").await.stdout, "70\n");

    lustre_sim::inject_fault(
        &state_dir,
        "oss1",
        FaultCommand::Fill {
            target: "fs1-OST0000".into(),
            percent: Some(95),
        },
    )
    .unwrap();
    let space = exec(
        &oss1,
        "lctl get_param -n obdfilter.*.kbytestotal obdfilter.*.kbytesavail",
    )
    .await;
    let v: Vec<u64> = space.stdout.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(v[1], v[0] - v[0] * 95 / 100, "{}", space.stdout);

    let journal = exec(&oss1, "journalctl -o json --no-pager -n 1").await;
    let last: serde_json::Value = serde_json::from_str(journal.stdout.lines().last().unwrap()).unwrap();
    let cursor = last["__CURSOR"].as_str().unwrap().to_string();
    lustre_sim::inject_fault(
        &state_dir,
        "oss1",
        FaultCommand::Log {
            priority: 2,
            identifier: "kernel".into(),
            message: "LustreError: fs1-OST0000: injected".into(),
        },
    )
    .unwrap();
    let after = exec(
        &oss1,
        &format!("journalctl -o json --no-pager '--after-cursor={cursor}'"),
    )
    .await;
    let lines: Vec<serde_json::Value> = after
        .stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{}", after.stdout);
    assert_eq!(lines[0]["MESSAGE"], "LustreError: fs1-OST0000: injected");
    assert_eq!(lines[0]["PRIORITY"], "2");
    assert_eq!(lines[0]["_HOSTNAME"], "oss1");

    // Down, then up: the host reboots, and its journal says so.
    let addr = cluster.host("oss1").unwrap().addr;
    lustre_sim::inject_fault(&state_dir, "oss1", FaultCommand::Down).unwrap();
    let deadline = Instant::now() + WAIT;
    while !oss1.handle.is_closed() {
        assert!(Instant::now() < deadline, "the open session was not dropped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    lustre_sim::inject_fault(&state_dir, "oss1", FaultCommand::Up).unwrap();
    let back = login(addr, &s.client_key).await.unwrap();
    let kernel = exec(&back, "journalctl -o cat -q -k").await.stdout;
    assert!(kernel.starts_with("Linux version "), "{kernel}");
    assert!(
        kernel.contains("Lustre: fs1-OST0000: Will be in recovery for at least 1:45"),
        "{kernel}"
    );
    let btime = exec(&back, "cat /proc/stat").await.stdout;
    assert!(btime.contains("\nprocs_running "), "{btime}");
    cluster.shutdown().await;
}

#[tokio::test]
async fn journalctl_follow_streams_new_entries() {
    let s = setup("follow");
    let state_dir = s.dir.0.join("state");
    let cluster = start(&state_dir, &s.authorized).await;
    let oss1 = login(cluster.host("oss1").unwrap().addr, &s.client_key).await.unwrap();
    let mut channel = oss1.handle.channel_open_session().await.unwrap();
    channel
        .exec(true, "journalctl -f -o json --no-pager -n 0")
        .await
        .unwrap();
    // A command on another channel of the same host logs; so does a fault.
    assert_eq!(exec(&oss1, "modprobe lnet").await.code, Some(0));
    assert_eq!(exec(&oss1, "lnetctl lnet configure --all").await.code, Some(0));
    lustre_sim::inject_fault(
        &state_dir,
        "oss1",
        FaultCommand::Log {
            priority: 4,
            identifier: "sshd".into(),
            message: "followed".into(),
        },
    )
    .unwrap();
    let mut text = String::new();
    let mut seen: Vec<serde_json::Value> = Vec::new();
    let deadline = Instant::now() + WAIT;
    while !seen.iter().any(|e| e["MESSAGE"] == "followed") {
        let msg = tokio::time::timeout_at(deadline.into(), channel.wait()).await.unwrap();
        match msg {
            Some(ChannelMsg::Data { data }) => text.push_str(&String::from_utf8_lossy(&data)),
            Some(ChannelMsg::ExitStatus { .. } | ChannelMsg::Eof | ChannelMsg::Close) | None => {
                panic!("the stream ended: {text}")
            }
            Some(_) => {}
        }
        seen = text
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    }
    assert!(text.starts_with("-- Logs begin at "), "{text}");
    assert_eq!(
        seen[0]["MESSAGE"],
        "LNet: HW NUMA nodes: 1, HW CPU cores: 8, npartitions: 2"
    );
    let last = seen.last().unwrap();
    assert_eq!(
        (last["SYSLOG_IDENTIFIER"].as_str(), last["PRIORITY"].as_str()),
        (Some("sshd"), Some("4"))
    );
    channel.close().await.unwrap();
    cluster.shutdown().await;
}
