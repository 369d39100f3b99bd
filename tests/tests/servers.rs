//! What real servers do that a forgiving simulator hid, end to end over
//! SSH to lustre-sim: a target writeconf'd by hand (`fs=OST0000` label)
//! still mounts; a removed file system's logs are erased on the MGS that
//! stays, so its name can be used again there; a format of a volume live
//! on the partner server is refused by Chroma (mkfs.lustre `--reformat`
//! would overwrite it); a server moved to two LNet networks is named by
//! both NIDs once its file system is writeconf'd; ldiskfs options reach
//! mke2fs, checked first; a combined MGS+MDT is detected and taken over.

use integration_tests::lustre::{argv, by_hand, change, filesystem_request, mounted_on, simulator, LONG};
use integration_tests::TestEnv;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::path::Path;

/// The simulator's record of the device whose `key` is `value`.
fn device(state: &Path, key: &str, value: &str) -> anyhow::Result<Value> {
    let shown = simulator(state)?;
    shown["devices"]
        .as_array()
        .and_then(|ds| ds.iter().find(|d| d[key] == value).cloned())
        .ok_or_else(|| anyhow::anyhow!("no device with {key} {value}: {shown}"))
}

/// Creates the file system of `request`; returns its id.
async fn create(env: &TestEnv, request: &Value) -> anyhow::Result<String> {
    let (status, envelope) = env.post("/api/filesystem", request).await?;
    anyhow::ensure!(status == StatusCode::ACCEPTED, "{envelope}");
    let id = envelope["response"]["filesystem"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    anyhow::ensure!(done["state"] == "succeeded", "creating failed: {done}");
    Ok(id)
}

/// `state` of file system `id` through the API; the command must succeed.
async fn set_state(env: &TestEnv, id: &str, state: &str) -> anyhow::Result<Value> {
    let done = change(
        env,
        "PATCH",
        &format!("/api/filesystem/{id}"),
        json!({ "state": state }),
    )
    .await?;
    anyhow::ensure!(done["state"] == "succeeded", "{state}: {done}");
    Ok(done)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writeconfd_target_mounts_and_a_removed_name_is_usable_again() -> anyhow::Result<()> {
    let mut env = TestEnv::start("servers").await?;
    env.scheduler().await?;
    env.worker(8).await?;
    let (cluster, state) = env.simulated_cluster(&["mds1", "oss1", "oss2"]).await?;
    let hosts = env.add_hosts(&cluster).await?;
    let request = filesystem_request(&env, &hosts, "wc1").await?;
    let id = create(&env, &request).await?;

    // An operator regenerates an OST's configuration by hand.
    set_state(&env, &id, "stopped").await?;
    let ost = device(&state, "label", "wc1-OST0000")?;
    let path = ost["paths"]["oss1"].as_str().unwrap_or_default().to_owned();
    by_hand(
        &env,
        &cluster.hosts[1],
        &[argv(&format!("tunefs.lustre --writeconf {path}"))],
    )
    .await?;
    assert_eq!(
        device(&state, "label", "wc1=OST0000")?["serial"],
        ost["serial"],
        "tunefs relabels"
    );
    set_state(&env, &id, "available").await?;
    assert!(
        mounted_on(&state, "wc1-OST0000")?.is_some(),
        "the writeconf'd OST did not mount"
    );

    // Removing the file system erases its logs on the MGS, which stays.
    let mgs_id = {
        let (_, fs) = env.get(&format!("/api/filesystem/{id}")).await?;
        fs["response"]["mgs_id"].as_str().unwrap_or_default().to_owned()
    };
    let (status, dry) = env
        .patch(
            &format!("/api/filesystem/{id}?dry_run=true"),
            &json!({"state": "removed"}),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert!(
        dry.to_string().contains("lctl erase_lcfg wc1"),
        "the dry run does not say so: {dry}"
    );
    set_state(&env, &id, "removed").await?;
    // `lustre-sim show` keeps each MGS's logs by the serial of its device.
    let mgt = device(&state, "label", "MGS")?;
    let llogs = simulator(&state)?["llogs"][mgt["serial"].as_str().unwrap_or_default()].clone();
    assert!(llogs.is_object(), "no logs of the MGS {mgt}");
    let left: Vec<&String> = llogs
        .as_object()
        .map(|l| l.keys().filter(|k| k.starts_with("wc1-")).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "logs of wc1 left on the MGS: {left:?}");

    // The same name on the same MGS, over the old targets' volumes.
    let mut again = request.clone();
    again["mgt"] = json!({ "mgs_id": mgs_id });
    for kind in ["mdts", "osts"] {
        for t in again[kind].as_array_mut().into_iter().flatten() {
            t["reformat"] = json!(true);
        }
    }
    create(&env, &again).await?;
    assert!(mounted_on(&state, "wc1-OST0000")?.is_some());
    cluster.shutdown().await;
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ldiskfs_options_are_checked_and_reach_mke2fs() -> anyhow::Result<()> {
    let mut env = TestEnv::start("mkfsopts").await?;
    env.scheduler().await?;
    env.worker(8).await?;
    let (cluster, state) = env.simulated_cluster(&["mds1", "oss1", "oss2"]).await?;
    let hosts = env.add_hosts(&cluster).await?;
    let mut request = filesystem_request(&env, &hosts, "opts1").await?;
    request["mdts"][0]["format"] = json!({"inode_size": 1000});
    let (status, envelope) = env.post("/api/filesystem", &request).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert_eq!(
        envelope["errors"][0]["field"], "mdts[0].format.inode_size",
        "{envelope}"
    );
    request["osts"][0]["format"] = json!({"raid_stride": 32, "raid_stripe_width": 100});
    let (status, envelope) = env.post("/api/filesystem", &request).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert!(
        envelope.to_string().contains("osts[0].format.raid_stripe_width"),
        "{envelope}"
    );
    let (_, listed) = env.get("/api/filesystem").await?;
    assert_eq!(
        listed["response"]["objects"],
        json!([]),
        "a refused request stored something"
    );

    request["mdts"][0]["format"] = json!({"inode_size": 1024, "bytes_per_inode": 2048});
    request["osts"][0]["format"] = json!({"raid_stride": 32, "raid_stripe_width": 256});
    create(&env, &request).await?;
    let mdt = device(&state, "label", "opts1-MDT0000")?;
    assert_eq!(mdt["target"]["mkfs_options"], "-I 1024 -i 2048", "{mdt}");
    let ost = device(&state, "label", "opts1-OST0000")?;
    assert_eq!(ost["target"]["mkfs_options"], "-E stride=32,stripe_width=256", "{ost}");
    assert_eq!(
        device(&state, "label", "opts1-OST0001")?["target"]["mkfs_options"],
        Value::Null
    );
    cluster.shutdown().await;
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_format_of_a_volume_live_on_the_partner_is_refused() -> anyhow::Result<()> {
    let mut env = TestEnv::start("partner").await?;
    env.scheduler().await?;
    env.worker(8).await?;
    let (cluster, state) = env.simulated_cluster(&["mds1", "oss1", "oss2"]).await?;
    let hosts = env.add_hosts(&cluster).await?;
    let mut request = filesystem_request(&env, &hosts, "safe1").await?;

    // Someone formatted and mounted a target by hand on oss2, on the
    // shared volume Chroma is about to give OST0000 with oss1 primary.
    let volume_id = request["osts"][0]["volume_id"].as_str().unwrap_or_default().to_owned();
    let (_, volumes) = env.get("/api/volume").await?;
    let volume = volumes["response"]["objects"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["id"] == volume_id.as_str()).cloned())
        .unwrap_or_default();
    let on_oss2 = volume["nodes"]
        .as_array()
        .and_then(|ns| ns.iter().find(|n| n["host_id"] == hosts[2].as_str()))
        .and_then(|n| n["path"].as_str())
        .unwrap_or_default()
        .to_owned();
    anyhow::ensure!(!on_oss2.is_empty(), "no path on oss2: {volume}");
    by_hand(
        &env,
        &cluster.hosts[2],
        &[
            argv(&format!("mkfs.lustre --mgs {on_oss2}")),
            argv("mkdir -p /mnt/handmade"),
            argv(&format!("mount -t lustre {on_oss2} /mnt/handmade")),
        ],
    )
    .await?;
    let serial = volume["serial"].as_str().unwrap_or_default().to_owned();
    let before = device(&state, "serial", &serial)?;
    assert_eq!(before["mounted_on"], "oss2", "{before}");
    request["osts"][0]["primary_host_id"] = json!(hosts[1]);
    request["osts"][0]["failover_host_ids"] = json!([hosts[2]]);
    request["osts"][0]["reformat"] = json!(true);

    let (status, envelope) = env.post("/api/filesystem", &request).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "failed", "{done}");
    let errors: Vec<&str> = done["jobs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|j| j["state"] == "failed")
        .filter_map(|j| j["error"].as_str())
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("refusing to format") && e.contains("mounted on oss2 at /mnt/handmade")),
        "no refusal naming oss2: {errors:?}"
    );
    let after = device(&state, "serial", &serial)?;
    assert_eq!(
        after["format_count"], before["format_count"],
        "the live volume was formatted"
    );
    assert_eq!(after["mounted_on"], "oss2");
    cluster.shutdown().await;
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_on_two_networks_is_named_by_both_after_a_writeconf() -> anyhow::Result<()> {
    let mut env = TestEnv::start("networks").await?;
    env.scheduler().await?;
    env.worker(8).await?;
    let (cluster, state) = env.simulated_cluster(&["mds1", "oss1", "oss2"]).await?;
    let hosts = env.add_hosts(&cluster).await?;
    let request = filesystem_request(&env, &hosts, "nid1").await?;
    let id = create(&env, &request).await?;
    let mds1 = format!("/api/host/{}/lnet", hosts[0]);
    let two = json!({"networks": [
        {"net": "tcp0", "interfaces": ["eth0"]},
        {"net": "o2ib", "interfaces": ["ib0"]},
    ]});

    // Bad input names the field and changes nothing.
    let bad = json!({"networks": [{"net": "eth0", "interfaces": ["eth0"]}]});
    let (status, envelope) = env.call(Method::PUT, &mds1, Some(&env.token), Some(&bad)).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert_eq!(envelope["errors"][0]["field"], "networks[0].net");
    // Not under mounted targets.
    let (status, envelope) = env.call(Method::PUT, &mds1, Some(&env.token), Some(&two)).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    assert!(envelope.to_string().contains("MGS"), "{envelope}");

    set_state(&env, &id, "stopped").await?;
    let (_, fs) = env.get(&format!("/api/filesystem/{id}")).await?;
    let mgs_id = fs["response"]["mgs_id"].as_str().unwrap_or_default().to_owned();
    let done = change(
        &env,
        "PATCH",
        &format!("/api/target/{mgs_id}"),
        json!({"state": "unmounted"}),
    )
    .await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    // A server without that interface: refused by LNet, the file put
    // back, and Chroma records what LNet now is.
    let missing = json!({"networks": [{"net": "tcp", "interfaces": ["eth7"]}]});
    let (status, envelope) = env.call(Method::PUT, &mds1, Some(&env.token), Some(&missing)).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "failed", "{done}");
    assert!(
        done.to_string().contains("cannot add network: No such device"),
        "{done}"
    );
    let (_, host) = env.get(&format!("/api/host/{}", hosts[0])).await?;
    assert_eq!(host["response"]["lnet_networks"], Value::Null, "{host}");
    assert_eq!(host["response"]["lnet_state"], "lnet_down", "{host}");

    let (status, envelope) = env.call(Method::PUT, &mds1, Some(&env.token), Some(&two)).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let (_, host) = env.get(&format!("/api/host/{}", hosts[0])).await?;
    assert_eq!(
        host["response"]["nids"],
        json!(["10.0.0.1@tcp", "10.2.0.1@o2ib"]),
        "{host}"
    );

    // The writeconf gives every target both NIDs and starts it all again.
    let path = format!("/api/filesystem/{id}/writeconf");
    let (status, dry) = env
        .call(
            Method::POST,
            &format!("{path}?dry_run=true"),
            Some(&env.token),
            Some(&json!({})),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert!(dry.to_string().contains("tunefs.lustre --writeconf"), "{dry}");
    let done = change(&env, "POST", &path, json!({})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    // Once more on the running file system: stopping it needs confirming.
    let (status, envelope) = env.post(&path, &json!({})).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    let done = change(&env, "POST", &path, json!({"confirm": true})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    for label in ["nid1-MDT0000", "nid1-OST0000", "nid1-OST0003"] {
        let target = device(&state, "label", label)?;
        assert!(
            target["target"]["params"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p == "mgsnode=10.0.0.1@tcp,10.2.0.1@o2ib")),
            "{label}: {target}"
        );
        assert!(mounted_on(&state, label)?.is_some(), "{label} did not start");
    }
    let (_, fs) = env.get(&format!("/api/filesystem/{id}")).await?;
    assert_eq!(fs["response"]["state"], "available", "{fs}");
    assert_eq!(
        fs["response"]["client_mount_source"],
        "10.0.0.1@tcp,10.2.0.1@o2ib:/nid1"
    );
    cluster.shutdown().await;
    env.stop().await
}

/// The file system named `name` as the API lists it.
async fn listed(env: &TestEnv, name: &str) -> anyhow::Result<Value> {
    let (_, listed) = env.get("/api/filesystem").await?;
    listed["response"]["objects"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["name"] == name).cloned())
        .ok_or_else(|| anyhow::anyhow!("{name} is not listed: {listed}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_combined_mgs_and_mdt_built_by_hand_is_detected_and_taken_over() -> anyhow::Result<()> {
    let mut env = TestEnv::start("takeover").await?;
    env.scheduler().await?;
    env.worker(8).await?;
    let (cluster, state) = env.simulated_cluster(&["mds1", "oss1", "oss2"]).await?;
    let shown = simulator(&state)?;
    let nid = |i: usize| shown["hosts"][i]["nid"].as_str().unwrap_or_default().to_owned();
    let (mds1, oss1, oss2) = (nid(0), nid(1), nid(2));
    // On mds1: "comb", whose one device is its MGS and MDT0000, and "pair",
    // registered with comb's MGS.
    by_hand(
        &env,
        &cluster.hosts[0],
        &[
            argv("mkfs.lustre --mgs --mdt --fsname=comb --index=0 /dev/sdb"),
            argv("mount -t lustre /dev/sdb /mnt/comb-mdt0"),
            argv(&format!(
                "mkfs.lustre --ost --fsname=comb --index=0 --mgsnode={mds1} /dev/sdc"
            )),
            argv("mount -t lustre /dev/sdc /mnt/comb-ost0"),
            argv(&format!(
                "mkfs.lustre --mdt --fsname=pair --index=0 --mgsnode={mds1} /dev/sdd"
            )),
            argv("mount -t lustre /dev/sdd /mnt/pair-mdt0"),
            argv(&format!(
                "mkfs.lustre --ost --fsname=pair --index=0 --mgsnode={mds1} /dev/sde"
            )),
            argv("mount -t lustre /dev/sde /mnt/pair-ost0"),
        ],
    )
    .await?;
    env.add_hosts(&cluster).await?;
    let done = change(&env, "POST", "/api/filesystem/detect", json!({})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");

    let comb = listed(&env, "comb").await?;
    assert_eq!(comb["managed"], false, "{comb}");
    let mdt = comb["targets"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["name"] == "comb-MDT0000").cloned())
        .unwrap_or_default();
    assert_eq!(comb["mgs_id"], mdt["id"], "the MDT is the MGS: {comb}");
    let pair = listed(&env, "pair").await?;
    assert_eq!(pair["mgs_id"], mdt["id"], "pair registered with comb's MGS: {pair}");

    // Taking over checks first, and a refusal changes nothing.
    let path = |fs: &Value| format!("/api/filesystem/{}", fs["id"].as_str().unwrap_or_default());
    let (status, envelope) = env.patch(&path(&comb), &json!({"managed": true})).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    assert!(envelope.to_string().contains("also the MGS of pair"), "{envelope}");
    assert_eq!(
        listed(&env, "comb").await?["managed"],
        false,
        "a refusal changed something"
    );
    let (status, envelope) = env.patch(&path(&comb), &json!({"managed": false})).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");

    // pair first (its MGS, comb's MDT, stays watched), then comb.
    let (status, envelope) = env.patch(&path(&pair), &json!({"managed": true})).await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    let (status, envelope) = env.patch(&path(&comb), &json!({"managed": true})).await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    assert_eq!(envelope["response"]["managed"], true, "{envelope}");
    set_state(&env, comb["id"].as_str().unwrap_or_default(), "stopped").await?;
    assert_eq!(mounted_on(&state, "comb-OST0000")?, None);
    set_state(&env, comb["id"].as_str().unwrap_or_default(), "available").await?;
    assert_eq!(mounted_on(&state, "comb-MDT0000")?.as_deref(), Some("mds1"));
    assert_eq!(mounted_on(&state, "comb-OST0000")?.as_deref(), Some("mds1"));

    // "ha1", on the oss1/oss2 pair's shared volume with no Pacemaker
    // resource: Chroma would mount it behind Pacemaker's back.
    by_hand(
        &env,
        &cluster.hosts[1],
        &[
            argv(&format!(
                "mkfs.lustre --mdt --fsname=ha1 --index=0 --mgsnode={mds1} --servicenode={oss1} --servicenode={oss2} /dev/sdc"
            )),
            argv("mount -t lustre /dev/sdc /mnt/ha1-mdt0"),
        ],
    )
    .await?;
    let done = change(&env, "POST", "/api/filesystem/detect", json!({})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let ha1 = listed(&env, "ha1").await?;
    let (status, envelope) = env.patch(&path(&ha1), &json!({"managed": true})).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    assert!(
        envelope.to_string().contains("ha1-MDT0000: its servers run Pacemaker"),
        "{envelope}"
    );
    assert_eq!(listed(&env, "ha1").await?["managed"], false);
    cluster.shutdown().await;
    env.stop().await
}
