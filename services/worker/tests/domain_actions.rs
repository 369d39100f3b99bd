//! The Lustre domain actions against a simulated cluster over real SSH and
//! a real database: each action does its work once, and running it again
//! (a redelivered step) finds the work done.

mod support;

use lustre::Action;
use serde_json::{json, Value};
use support::{
    act, add_hosts, insert_ha_cluster, insert_target, keep_by_pacemaker, one, refused, run_on, shared, sim,
    target_state, volume,
};
use uuid::Uuid;

use store::sql::execute;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_system_is_built_moved_detected_and_removed() -> anyhow::Result<()> {
    let (cluster, key_path) = sim(&["mds1", "oss1", "oss2"]).await?;
    let shared = shared(&key_path).await?;
    let db = shared.db.clone();
    let hosts = add_hosts(&shared, &cluster).await?;
    let (mds1, oss1, oss2) = (hosts[0], hosts[1], hosts[2]);
    let row = one(&db, "SELECT lnet_state FROM host WHERE id = $1", vec![oss1.into()]).await?;
    assert_eq!(row.try_get::<String>("", "lnet_state")?, "lnet_down");
    for host in &hosts {
        let out = act(&shared, Action::StartLnet { host_id: *host }).await?;
        assert_eq!(out["configured"], true, "{out}");
        let again = act(&shared, Action::StartLnet { host_id: *host }).await?;
        assert_eq!(again["configured"], false, "{again}");
    }
    let row = one(
        &db,
        "SELECT lnet_state, nids FROM host WHERE id = $1",
        vec![oss1.into()],
    )
    .await?;
    assert_eq!(row.try_get::<String>("", "lnet_state")?, "lnet_up");
    assert_eq!(row.try_get::<Vec<String>>("", "nids")?, vec!["10.0.0.2@tcp"]);

    let mgt_volume = volume(&db, mds1, "/dev/sdb").await?;
    let mgt = insert_target(&db, "mgt", "MGS", None, None, mgt_volume, mds1, vec![]).await?;
    let fs = Uuid::now_v7();
    execute(
        &db,
        "INSERT INTO filesystem (id, name, mgs_id, conf_params) VALUES ($1, 'fs1', $2, '{\"sys.timeout\": \"40\"}')",
        [fs.into(), mgt.into()],
    )
    .await?;
    let mdt_volume = volume(&db, mds1, "/dev/sdc").await?;
    let mdt = insert_target(&db, "mdt", "fs1-MDT0000", Some(fs), Some(0), mdt_volume, mds1, vec![]).await?;
    let ost_volume = volume(&db, oss1, "/dev/sdb").await?;
    // Kernel names change across reboots: the path is looked up by serial.
    execute(
        &db,
        "UPDATE volume_node SET path = '/dev/sdq' WHERE volume_id = $1",
        [ost_volume.into()],
    )
    .await?;
    let ost = insert_target(
        &db,
        "ost",
        "fs1-OST0000",
        Some(fs),
        Some(0),
        ost_volume,
        oss1,
        vec![oss2],
    )
    .await?;

    // The OSS pair becomes one Pacemaker cluster; the OST is its resource.
    let pair = insert_ha_cluster(&db, "pair", &[oss1, oss2]).await?;
    let conf = act(&shared, Action::ConfigureCorosync { cluster_id: pair }).await?;
    assert_eq!(conf["nodes"], json!(["oss1.cluster", "oss2.cluster"]), "{conf}");
    let started = act(&shared, Action::StartPacemaker { cluster_id: pair }).await?;
    assert_eq!(started["nodes"], json!(["oss1.cluster", "oss2.cluster"]), "{started}");
    let configured = act(&shared, Action::ConfigurePacemaker { cluster_id: pair }).await?;
    assert_eq!(configured["stonith_enabled"], true, "{configured}");
    assert_eq!(configured["blocked"], Value::Null, "{configured}");
    assert_eq!(
        configured["fencing_devices"].as_array().map(Vec::len),
        Some(2),
        "{configured}"
    );
    let again = act(&shared, Action::ConfigureCorosync { cluster_id: pair }).await?;
    assert_eq!(again["started"], json!([]), "{again}");
    // Again: no property changes; the fencing devices are written afresh
    // (their parameters may have changed), nothing else.
    let again = act(&shared, Action::ConfigurePacemaker { cluster_id: pair }).await?;
    assert_eq!(
        again["changed"],
        json!(["fence-oss1_cluster", "fence-oss2_cluster"]),
        "{again}"
    );
    let row = one(&db, "SELECT ha_node FROM host WHERE id = $1", vec![oss2.into()]).await?;
    assert_eq!(
        row.try_get::<Option<String>>("", "ha_node")?.as_deref(),
        Some("oss2.cluster")
    );
    let resource = keep_by_pacemaker(&db, ost, "fs1-OST0000").await?;

    for target in [mgt, mdt, ost] {
        let out = act(&shared, Action::FormatTarget { target_id: target }).await?;
        assert_eq!(out["formatted"], true, "{out}");
        let again = act(&shared, Action::FormatTarget { target_id: target }).await?;
        assert_eq!(again["formatted"], false, "{again}");
        assert_eq!(target_state(&db, target).await?.0, "formatted");
    }
    assert_eq!(volume(&db, oss1, "/dev/sdb").await?, ost_volume);
    let state = cluster.state().await;
    for serial in ["SIMDISK00000", "SIMDISK00001", "SIMDISK00100"] {
        assert_eq!(state.devices[serial].format_count, 1, "{serial}");
    }

    for target in [mgt, mdt, ost] {
        act(&shared, Action::RegisterTarget { target_id: target }).await?;
        act(&shared, Action::RegisterTarget { target_id: target }).await?;
        act(&shared, Action::ConfigureTarget { target_id: target }).await?;
        let out = act(&shared, Action::MountTarget { target_id: target }).await?;
        assert_eq!(out["mounted"], true, "{out}");
        let again = act(&shared, Action::MountTarget { target_id: target }).await?;
        assert_eq!(again["mounted"], false, "{again}");
    }
    assert_eq!(target_state(&db, ost).await?, ("mounted".into(), Some(oss1)));
    // Pacemaker runs it, under the id Chroma gave it.
    let located = run_on(
        &shared,
        &cluster,
        2,
        &["crm_resource", "--locate", "--resource", &resource],
    )
    .await?;
    assert_eq!(
        located.stdout.trim(),
        format!("resource {resource} is running on: oss1.cluster")
    );

    let applied = act(&shared, Action::ApplyConfParams { filesystem_id: fs }).await?;
    assert_eq!(applied["applied"], json!(["fs1.sys.timeout=40"]), "{applied}");
    let again = act(&shared, Action::ApplyConfParams { filesystem_id: fs }).await?;
    assert_eq!(again["skipped"], json!(["sys.timeout"]), "{again}");

    let moved = act(
        &shared,
        Action::FailoverTarget {
            target_id: ost,
            host_id: oss2,
        },
    )
    .await?;
    assert_eq!(moved["moved"], true, "{moved}");
    assert_eq!(target_state(&db, ost).await?, ("mounted".into(), Some(oss2)));
    let wrong_host = refused(
        &shared,
        Action::FailoverTarget {
            target_id: ost,
            host_id: mds1,
        },
    )
    .await;
    assert!(
        wrong_host.ends_with("mds1 is not a failover host of fs1-OST0000"),
        "{wrong_host}"
    );
    act(&shared, Action::FailbackTarget { target_id: ost }).await?;
    assert_eq!(target_state(&db, ost).await?, ("mounted".into(), Some(oss1)));

    let busy = act(&shared, Action::StopLnet { host_id: oss1 }).await;
    let message = busy.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("fs1-OST0000"), "{message}");

    let known = act(&shared, Action::DetectFilesystems).await?;
    assert_eq!(known["new_targets"], json!([]), "{known}");
    assert_eq!(known["filesystems"], json!(["fs1"]), "{known}");

    // A second Chroma that never saw this cluster detects it.
    let fresh = self::shared(&key_path).await?;
    add_hosts(&fresh, &cluster).await?;
    let found = act(&fresh, Action::DetectFilesystems).await?;
    assert_eq!(found["new_filesystems"], json!(["fs1"]), "{found}");
    assert_eq!(
        found["new_targets"],
        json!(["MGS", "fs1-MDT0000", "fs1-OST0000"]),
        "{found}"
    );
    let again = act(&fresh, Action::DetectFilesystems).await?;
    assert_eq!(again["new_targets"], json!([]), "{again}");
    let row = one(&fresh.db, "SELECT conf_params, managed FROM filesystem", vec![]).await?;
    assert_eq!(row.try_get::<Value>("", "conf_params")?, json!({"sys.timeout": "40"}));
    assert!(!row.try_get::<bool>("", "managed")?);
    let row = one(
        &fresh.db,
        "SELECT state, cardinality(failover_host_ids) AS failovers FROM target WHERE name = 'fs1-OST0000'",
        vec![],
    )
    .await?;
    assert_eq!(row.try_get::<String>("", "state")?, "mounted");
    assert_eq!(row.try_get::<i32>("", "failovers")?, 1);
    // The OST is the OSS pair's Pacemaker resource; mds1's Pacemaker is
    // installed but not running.
    assert_eq!(found["new_ha_resources"], json!({"fs1-OST0000": resource}), "{found}");
    assert_eq!(again["new_ha_resources"], json!({}), "{again}");
    let notes = found["notes"].as_array().cloned().unwrap_or_default();
    assert!(
        notes.contains(&json!(
            "mds1: Pacemaker did not answer: Could not connect to the CIB: Transport endpoint is not connected"
        )),
        "{found}"
    );
    for (name, mode, ha_resource) in [
        ("fs1-OST0000", "pacemaker", Some(resource.as_str())),
        ("MGS", "none", None),
        ("fs1-MDT0000", "none", None),
    ] {
        let row = one(
            &fresh.db,
            "SELECT ha_mode, ha_resource FROM target WHERE name = $1",
            vec![name.into()],
        )
        .await?;
        assert_eq!(row.try_get::<String>("", "ha_mode")?, mode, "{name}");
        assert_eq!(
            row.try_get::<Option<String>>("", "ha_resource")?.as_deref(),
            ha_resource,
            "{name}"
        );
    }

    let in_use = refused(&shared, Action::RemoveTarget { target_id: ost }).await;
    assert!(
        in_use.ends_with("fs1-OST0000 is mounted on oss1 at /mnt/fs1-OST0000; unmount it before removing it"),
        "{in_use}"
    );
    act(&shared, Action::UnmountTarget { target_id: ost }).await?;
    let again = act(&shared, Action::UnmountTarget { target_id: ost }).await?;
    assert_eq!(again["unmounted"], false, "{again}");
    let serving = refused(&shared, Action::RemoveHost { host_id: oss2 }).await;
    assert!(
        serving.ends_with("oss2 still serves targets that are not removed: fs1-OST0000"),
        "{serving}"
    );
    act(&shared, Action::RemoveTarget { target_id: ost }).await?;
    // Nothing of it is left in the CIB: neither the primitive nor any
    // constraint naming it.
    for xpath in [
        format!("//primitive[@id='{resource}']"),
        format!("//rsc_location[@rsc='{resource}']"),
    ] {
        let found = run_on(&shared, &cluster, 1, &["cibadmin", "--query", "--xpath", &xpath]).await?;
        assert_eq!(found.exit_status, Some(105), "{xpath}: {}", found.stdout);
    }
    act(&shared, Action::RemoveHost { host_id: oss2 }).await?;
    let live = refused(&shared, Action::RemoveFilesystem { filesystem_id: fs }).await;
    assert!(
        live.ends_with("still has targets that are not removed: fs1-MDT0000"),
        "{live}"
    );
    act(&shared, Action::StopLnet { host_id: oss1 }).await?;
    cluster.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_foreign_targets_and_changed_host_keys() -> anyhow::Result<()> {
    let (cluster, key_path) = sim(&["mds1", "oss1"]).await?;
    let shared = shared(&key_path).await?;
    let db = shared.db.clone();
    let hosts = add_hosts(&shared, &cluster).await?;
    let mds1 = hosts[0];
    act(&shared, Action::StartLnet { host_id: mds1 }).await?;
    let mkfs = [
        "mkfs.lustre",
        "--ost",
        "--fsname=other",
        "--index=5",
        "--mgsnode=10.0.0.9@tcp",
        "/dev/sdd",
    ];
    let out = run_on(&shared, &cluster, 0, &mkfs).await?;
    assert!(out.success(), "{out:?}");
    let volume = volume(&db, mds1, "/dev/sdd").await?;
    let mgt = insert_target(&db, "mgt", "MGS", None, None, volume, mds1, vec![]).await?;
    let message = refused(&shared, Action::FormatTarget { target_id: mgt }).await;
    assert!(
        message.contains("volume SIMDISK00002 (/dev/disk/by-id/wwn-0x"),
        "{message}"
    );
    assert!(
        message.ends_with(
            " on mds1) holds ext4 data labelled other:OST0005; \
             refusing to overwrite it (create the target with reformat to format over it)"
        ),
        "{message}"
    );
    let message = refused(&shared, Action::MountTarget { target_id: mgt }).await;
    assert!(
        message.contains("volume SIMDISK00002 (/dev/disk/by-id/wwn-0x"),
        "{message}"
    );
    assert!(
        message.ends_with(
            " on mds1) holds ext4 data labelled other:OST0005, not MGS; \
             refusing to mount it"
        ),
        "{message}"
    );
    let message = refused(&shared, Action::RegisterTarget { target_id: mgt }).await;
    assert!(
        message.contains("labelled other:OST0005, not MGS; refusing to mount it"),
        "{message}"
    );

    // A host added with oss1's key but reached at mds1's address.
    let wrong = cluster.hosts[1].fingerprint.to_string();
    let id = Uuid::now_v7();
    execute(
        &db,
        "UPDATE host SET address = 'localhost' WHERE id = $1",
        [mds1.into()],
    )
    .await?;
    execute(
        &db,
        "INSERT INTO host (id, address, port, fingerprint) VALUES ($1, '127.0.0.1', $2, $3)",
        [
            id.into(),
            i32::from(cluster.hosts[0].addr.port()).into(),
            wrong.clone().into(),
        ],
    )
    .await?;
    let changed = refused(&shared, Action::ProbeHost { host_id: id }).await;
    let expected = format!("changed: expected {wrong}, server presented ");
    assert!(changed.contains(&expected), "{changed}");
    assert!(changed.ends_with("refusing to connect"), "{changed}");
    let alert = one(
        &db,
        "SELECT severity, message FROM alert WHERE kind = 'host_key_changed' AND item = $1",
        vec![format!("host/{id}").into()],
    )
    .await?;
    assert_eq!(alert.try_get::<String>("", "severity")?, "error");
    let again = refused(&shared, Action::ProbeHost { host_id: id }).await;
    assert!(again.contains(&expected), "{again}");
    cluster.shutdown().await;
    Ok(())
}
