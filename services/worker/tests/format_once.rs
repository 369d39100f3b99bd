//! Formatting happens exactly once and never over data it was not asked to
//! overwrite; a taken-over attempt records nothing; targets sharing a
//! service name are told apart by their volumes. Against a simulated
//! cluster over real SSH and a real database.

mod support;

use lustre::Action;
use sea_orm::DatabaseConnection;
use serde_json::Value;
use support::{act, add_hosts, format_count, insert_target, one, refused, run_on, shared, sim, target_state, volume};
use uuid::Uuid;
use worker::actions::{self, StepAttempt};

use store::sql::execute;

/// `(format_marker, fs_uuid)` of target `id`.
async fn marks(db: &DatabaseConnection, id: Uuid) -> anyhow::Result<(Option<String>, Option<String>)> {
    let row = one(
        db,
        "SELECT format_marker, fs_uuid FROM target WHERE id = $1",
        vec![id.into()],
    )
    .await?;
    Ok((row.try_get("", "format_marker")?, row.try_get("", "fs_uuid")?))
}

async fn set(db: &DatabaseConnection, sql: &str, id: Uuid) -> anyhow::Result<()> {
    execute(db, sql, [id.into()]).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn formats_exactly_once_and_never_over_data() -> anyhow::Result<()> {
    let (cluster, key_path) = sim(&["mds1"]).await?;
    let shared = shared(&key_path).await?;
    let db = shared.db.clone();
    let mds1 = add_hosts(&shared, &cluster).await?[0];
    act(&shared, Action::StartLnet { host_id: mds1 }).await?;

    // A leftover of an earlier file system with the same name is data.
    assert!(run_on(&shared, &cluster, 0, &["mkfs.lustre", "--mgs", "/dev/sdb"])
        .await?
        .success());
    let leftover = insert_target(
        &db,
        "mgt",
        "MGS",
        None,
        None,
        volume(&db, mds1, "/dev/sdb").await?,
        mds1,
        vec![],
    )
    .await?;
    let message = refused(&shared, Action::FormatTarget { target_id: leftover }).await;
    // Chroma acts on a volume through its stable link, not the kernel name.
    assert!(
        message.contains("volume SIMDISK00000 (/dev/disk/by-id/wwn-0x"),
        "{message}"
    );
    assert!(
        message.ends_with(
            " on mds1) holds ext4 data labelled MGS; refusing to overwrite it \
             (create the target with reformat to format over it)"
        ),
        "{message}"
    );
    assert_eq!(marks(&db, leftover).await?, (None, None));
    assert_eq!(format_count(&cluster, "SIMDISK00000").await, 1);
    set(&db, "UPDATE target SET reformat = true WHERE id = $1", leftover).await?;
    let out = act(&shared, Action::FormatTarget { target_id: leftover }).await?;
    assert_eq!(out["formatted"], true, "{out}");
    assert_eq!(format_count(&cluster, "SIMDISK00000").await, 2);
    let (marker, fs_uuid) = marks(&db, leftover).await?;
    assert!(marker.is_some_and(|m| !m.is_empty()), "the old file system's UUID");
    assert_eq!(fs_uuid.as_deref(), out["fs_uuid"].as_str());

    // The marker was recorded and mkfs ran, then the worker died.
    let ran = insert_target(
        &db,
        "mgt",
        "MGS",
        None,
        None,
        volume(&db, mds1, "/dev/sdc").await?,
        mds1,
        vec![],
    )
    .await?;
    set(&db, "UPDATE target SET format_marker = '' WHERE id = $1", ran).await?;
    assert!(run_on(&shared, &cluster, 0, &["mkfs.lustre", "--mgs", "/dev/sdc"])
        .await?
        .success());
    let out = act(&shared, Action::FormatTarget { target_id: ran }).await?;
    assert_eq!(out["formatted"], false, "{out}");
    assert_eq!(format_count(&cluster, "SIMDISK00001").await, 1);
    assert_eq!(target_state(&db, ran).await?.0, "formatted");
    assert_eq!(marks(&db, ran).await?.1.as_deref(), out["fs_uuid"].as_str());

    // The marker was recorded, then the worker died before mkfs ran.
    let marked = insert_target(
        &db,
        "mgt",
        "MGS",
        None,
        None,
        volume(&db, mds1, "/dev/sdd").await?,
        mds1,
        vec![],
    )
    .await?;
    set(&db, "UPDATE target SET format_marker = '' WHERE id = $1", marked).await?;
    let out = act(&shared, Action::FormatTarget { target_id: marked }).await?;
    assert_eq!(out["formatted"], true, "{out}");
    let again = act(&shared, Action::FormatTarget { target_id: marked }).await?;
    assert_eq!(again["formatted"], false, "{again}");
    assert_eq!(format_count(&cluster, "SIMDISK00002").await, 1);
    cluster.shutdown().await;
    Ok(())
}

/// A running step of a running job, at attempt `attempts`.
async fn running_step(db: &DatabaseConnection, attempts: i32) -> anyhow::Result<Uuid> {
    let (command, job, step) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    execute(
        db,
        "INSERT INTO command (id, message) VALUES ($1, 'test')",
        [command.into()],
    )
    .await?;
    execute(
        db,
        "INSERT INTO job (id, command_id, key, description, step_count, state)
         VALUES ($1, $2, 'k', 'test', 1, 'running')",
        [job.into(), command.into()],
    )
    .await?;
    execute(
        db,
        "INSERT INTO step (id, job_id, idx, action, args, state, attempts)
         VALUES ($1, $2, 0, 'format_target', '{}', 'running', $3)",
        [step.into(), job.into(), attempts.into()],
    )
    .await?;
    Ok(step)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_over_attempt_records_nothing() -> anyhow::Result<()> {
    let (cluster, key_path) = sim(&["mds1"]).await?;
    let shared = shared(&key_path).await?;
    let db = shared.db.clone();
    let mds1 = add_hosts(&shared, &cluster).await?[0];
    let step_id = running_step(&db, 2).await?;
    let stale = StepAttempt { step_id, attempt: 1 };
    let current = StepAttempt { step_id, attempt: 2 };
    let taken_over = format!("attempt 1 of step {step_id} was taken over; not recording");

    let lnet = Action::StartLnet { host_id: mds1 };
    let failed = actions::run_step(&shared, stale, &lnet).await.err();
    assert_eq!(failed.as_ref().map(|f| f.error.to_string()), Some(taken_over.clone()));
    let commands = failed.and_then(|f| f.output).unwrap_or_default();
    assert!(
        commands["commands"].as_array().is_some_and(|c| !c.is_empty()),
        "{commands}"
    );
    let row = one(&db, "SELECT lnet_state FROM host WHERE id = $1", vec![mds1.into()]).await?;
    assert_eq!(row.try_get::<String>("", "lnet_state")?, "lnet_down");
    actions::run_step(&shared, current, &lnet).await?;

    let mgt = insert_target(
        &db,
        "mgt",
        "MGS",
        None,
        None,
        volume(&db, mds1, "/dev/sdb").await?,
        mds1,
        vec![],
    )
    .await?;
    let format = Action::FormatTarget { target_id: mgt };
    let failed = actions::run_step(&shared, stale, &format)
        .await
        .err()
        .map(|f| f.error.to_string());
    assert_eq!(failed.as_deref(), Some(taken_over.as_str()));
    assert_eq!(
        format_count(&cluster, "SIMDISK00000").await,
        0,
        "the stale attempt must not format"
    );
    assert_eq!(marks(&db, mgt).await?, (None, None));
    let out: Value = actions::run_step(&shared, current, &format).await?;
    assert_eq!(out["formatted"], true, "{out}");
    assert_eq!(target_state(&db, mgt).await?.0, "formatted");
    cluster.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targets_sharing_a_service_name_are_told_apart() -> anyhow::Result<()> {
    let (cluster, key_path) = sim(&["mds1"]).await?;
    let shared = shared(&key_path).await?;
    let db = shared.db.clone();
    let mds1 = add_hosts(&shared, &cluster).await?[0];
    act(&shared, Action::StartLnet { host_id: mds1 }).await?;
    let mut mgts = Vec::new();
    for path in ["/dev/sdb", "/dev/sdc"] {
        let mgt = insert_target(
            &db,
            "mgt",
            "MGS",
            None,
            None,
            volume(&db, mds1, path).await?,
            mds1,
            vec![],
        )
        .await?;
        act(&shared, Action::FormatTarget { target_id: mgt }).await?;
        mgts.push(mgt);
    }
    let out = act(&shared, Action::MountTarget { target_id: mgts[0] }).await?;
    assert_eq!(out["mounted"], true, "{out}");
    let other = act(&shared, Action::UnmountTarget { target_id: mgts[1] }).await?;
    assert_eq!(other["unmounted"], false, "{other}");
    let listing = run_on(&shared, &cluster, 0, &["mount", "-t", "lustre"]).await?;
    assert!(
        listing.stdout.starts_with("/dev/sdb on /mnt/MGS "),
        "{}",
        listing.stdout
    );
    assert_eq!(target_state(&db, mgts[0]).await?, ("mounted".into(), Some(mds1)));
    let busy = refused(&shared, Action::MountTarget { target_id: mgts[1] }).await;
    assert!(busy.contains("mount -t lustre /dev/disk/by-id/wwn-0x"), "{busy}");
    assert!(busy.contains(" /mnt/MGS` exited with status 16"), "{busy}");
    cluster.shutdown().await;
    Ok(())
}
