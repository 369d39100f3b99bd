//! A site with two MGSs, end to end over SSH to lustre-sim: each MGS keeps
//! its own configuration logs on its MGT, and Chroma's detection ties each
//! file system it finds to the MGS that holds it.

use integration_tests::lustre::{argv, by_hand, change, simulator};
use integration_tests::TestEnv;
use serde_json::{json, Value};

/// The file system named `name` as the API lists it.
async fn listed(env: &TestEnv, name: &str) -> anyhow::Result<Value> {
    let (_, listed) = env.get("/api/filesystem").await?;
    listed["response"]["objects"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["name"] == name).cloned())
        .ok_or_else(|| anyhow::anyhow!("{name} is not listed: {listed}"))
}

/// The serial of the simulated device at `path` on `host`.
fn serial(shown: &Value, host: &str, path: &str) -> String {
    shown["devices"]
        .as_array()
        .and_then(|ds| ds.iter().find(|d| d["paths"][host] == path))
        .and_then(|d| d["serial"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// The names of the logs `lustre-sim show` lists for the MGS on `serial`.
fn log_names(shown: &Value, serial: &str) -> Vec<String> {
    shown["llogs"][serial]
        .as_object()
        .map(|logs| logs.keys().cloned().collect())
        .unwrap_or_default()
}

/// The names of the targets of a listed file system, sorted.
fn target_names(fs: &Value) -> Vec<String> {
    let mut names: Vec<String> = fs["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names.dedup();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_systems_on_two_mgss_are_detected_each_with_its_own_mgs() -> anyhow::Result<()> {
    let mut env = TestEnv::start("twomgs").await?;
    env.scheduler().await?;
    env.worker(8).await?;
    // mds1 alone, oss1 and oss2 a pair sharing their devices, mds2 alone.
    let (cluster, state) = env.simulated_cluster(&["mds1", "oss1", "oss2", "mds2"]).await?;
    let shown = simulator(&state)?;
    let nid = |i: usize| shown["hosts"][i]["nid"].as_str().unwrap_or_default().to_owned();
    let (mds1, mds2) = (nid(0), nid(3));
    // alpha: MGS+MDT on mds1, OST0000 on oss1 and OST0001 on oss2; beta:
    // MGS+MDT on mds2, OST0000 on oss2. oss2 serves targets of both MGSs.
    let steps = [
        (
            0,
            "mkfs.lustre --mgs --mdt --fsname=alpha --index=0 /dev/sdb".to_owned(),
        ),
        (0, "mount -t lustre /dev/sdb /mnt/alpha-mdt0".to_owned()),
        (3, "mkfs.lustre --mgs --mdt --fsname=beta --index=0 /dev/sdb".to_owned()),
        (3, "mount -t lustre /dev/sdb /mnt/beta-mdt0".to_owned()),
        (
            1,
            format!("mkfs.lustre --ost --fsname=alpha --index=0 --mgsnode={mds1} /dev/sdb"),
        ),
        (1, "mount -t lustre /dev/sdb /mnt/alpha-ost0".to_owned()),
        (
            2,
            format!("mkfs.lustre --ost --fsname=beta --index=0 --mgsnode={mds2} /dev/sdc"),
        ),
        (2, "mount -t lustre /dev/sdc /mnt/beta-ost0".to_owned()),
        (
            2,
            format!("mkfs.lustre --ost --fsname=alpha --index=1 --mgsnode={mds1} /dev/sdd"),
        ),
        (2, "mount -t lustre /dev/sdd /mnt/alpha-ost1".to_owned()),
        (0, "lctl conf_param alpha.sys.timeout=40".to_owned()),
    ];
    for (host, line) in &steps {
        by_hand(&env, &cluster.hosts[*host], &[argv(line)]).await?;
    }

    // Each MGS holds the logs of its own file system, and only those.
    let shown = simulator(&state)?;
    let (alpha_mgt, beta_mgt) = (serial(&shown, "mds1", "/dev/sdb"), serial(&shown, "mds2", "/dev/sdb"));
    assert_eq!(
        log_names(&shown, &alpha_mgt),
        ["alpha-MDT0000", "alpha-OST0000", "alpha-OST0001", "alpha-client"],
        "{}",
        shown["llogs"]
    );
    assert_eq!(
        log_names(&shown, &beta_mgt),
        ["beta-MDT0000", "beta-OST0000", "beta-client"],
        "{}",
        shown["llogs"]
    );

    env.add_hosts(&cluster).await?;
    let done = change(&env, "POST", "/api/filesystem/detect", json!({})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");

    let alpha = listed(&env, "alpha").await?;
    let beta = listed(&env, "beta").await?;
    assert_ne!(alpha["mgs_id"], beta["mgs_id"], "{alpha}\n{beta}");
    for (fs, host, mgt, nid, targets) in [
        (
            &alpha,
            "mds1",
            &alpha_mgt,
            &mds1,
            vec!["alpha-MDT0000", "alpha-OST0000", "alpha-OST0001"],
        ),
        (&beta, "mds2", &beta_mgt, &mds2, vec!["beta-MDT0000", "beta-OST0000"]),
    ] {
        let name = fs["name"].as_str().unwrap_or_default();
        let mgs = fs["targets"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["id"] == fs["mgs_id"]))
            .cloned()
            .unwrap_or_default();
        assert_eq!(mgs["name"], format!("{name}-MDT0000"), "{name}'s MGS: {fs}");
        assert_eq!(mgs["active_host"], host, "{name}'s MGS: {mgs}");
        assert_eq!(mgs["volume_serial"], mgt.as_str(), "{name}'s MGS: {mgs}");
        assert_eq!(fs["client_mount_source"], format!("{nid}:/{name}"), "{fs}");
        assert_eq!(target_names(fs), targets, "{fs}");
    }
    assert_eq!(alpha["conf_params"]["sys.timeout"], "40", "{alpha}");
    assert!(beta["conf_params"].get("sys.timeout").is_none(), "{beta}");
    cluster.shutdown().await;
    env.stop().await
}
