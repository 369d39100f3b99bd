//! `create_pool`, `change_pool` and `destroy_pool`: OST pools on a file
//! system's MGS. Each reads `lctl pool_list FS.POOL` first and runs only
//! what is missing (`pool_new`, `pool_add`, `pool_remove`,
//! `pool_destroy`), so a redelivered step resumes; then it reads the pool
//! back and records what the MGS holds.

use serde_json::{json, Value};
use uuid::Uuid;

use super::servers::Server;
use super::step;
use super::targets::FilesystemRow;
use crate::error::{db_error, ActionError};
use crate::shared::Shared;

/// `create_pool` and `change_pool`: the pool exists on the MGS with
/// exactly the OSTs `ost_ids`.
pub async fn ensure(shared: &Shared, pool_id: Uuid, ost_ids: &[Uuid]) -> Result<Value, ActionError> {
    let (pool, fs, mgs) = load(shared, pool_id).await?;
    let full = format!("{}.{}", fs.name, pool.name);
    let wanted = ost_names(shared, &pool, ost_ids).await?;
    let mut ran = Vec::new();
    let present = match read(shared, &mgs, &full).await? {
        Some(present) => present,
        None => {
            mgs.check(shared, &["lctl", "pool_new", &full]).await?;
            ran.push(format!("pool_new {full}"));
            Vec::new()
        }
    };
    let add: Vec<&String> = wanted.iter().filter(|o| !present.contains(o)).collect();
    let remove: Vec<&String> = present.iter().filter(|o| !wanted.contains(o)).collect();
    for (verb, osts) in [("pool_add", add), ("pool_remove", remove)] {
        if osts.is_empty() {
            continue;
        }
        let mut argv = vec!["lctl", verb, full.as_str()];
        argv.extend(osts.iter().map(|o| o.as_str()));
        mgs.check(shared, &argv).await?;
        ran.push(argv[1..].join(" "));
    }
    let seen = read(shared, &mgs, &full)
        .await?
        .ok_or_else(|| ActionError::Refused(format!("pool {full} is not on the MGS after it was created")))?;
    let members = record(shared, &pool, "available", &seen).await?;
    Ok(json!({ "pool": full, "mgs_host": mgs.name, "ran": ran, "osts": members }))
}

/// `destroy_pool`: removes the pool's OSTs, then the pool.
pub async fn destroy(shared: &Shared, pool_id: Uuid) -> Result<Value, ActionError> {
    let (pool, fs, mgs) = load(shared, pool_id).await?;
    let full = format!("{}.{}", fs.name, pool.name);
    let mut ran = Vec::new();
    if let Some(present) = read(shared, &mgs, &full).await? {
        if !present.is_empty() {
            let mut argv = vec!["lctl", "pool_remove", full.as_str()];
            argv.extend(present.iter().map(String::as_str));
            mgs.check(shared, &argv).await?;
            ran.push(argv[1..].join(" "));
        }
        mgs.check(shared, &["lctl", "pool_destroy", &full]).await?;
        ran.push(format!("pool_destroy {full}"));
    }
    if read(shared, &mgs, &full).await?.is_some() {
        return Err(ActionError::Refused(format!("pool {full} is still on the MGS")));
    }
    record(shared, &pool, "removed", &[]).await?;
    Ok(json!({ "pool": full, "mgs_host": mgs.name, "ran": ran, "removed": true }))
}

async fn load(
    shared: &Shared,
    pool_id: Uuid,
) -> Result<(store::ost_pools::PoolRow, FilesystemRow, Server), ActionError> {
    let pool = store::ost_pools::row(&shared.db, pool_id)
        .await
        .map_err(db_error("read the pool"))?
        .ok_or_else(|| ActionError::Bug(format!("pool {pool_id} does not exist")))?;
    let fs = FilesystemRow::load(shared, pool.filesystem_id).await?;
    let mgs = super::conf_params::mgs_host(shared, &fs).await?;
    Ok((pool, fs, mgs))
}

/// The OSTs of `ids` by the names `lctl pool_list` prints
/// (`FS-OSTxxxx_UUID`).
async fn ost_names(
    shared: &Shared,
    pool: &store::ost_pools::PoolRow,
    ids: &[Uuid],
) -> Result<Vec<String>, ActionError> {
    let found = store::ost_pools::candidates(&shared.db, ids)
        .await
        .map_err(db_error("read the OSTs"))?;
    ids.iter()
        .map(|id| {
            found
                .iter()
                .find(|c| c.id == *id && c.kind == "ost" && c.filesystem_id == Some(pool.filesystem_id))
                .map(|c| format!("{}_UUID", c.name))
                .ok_or_else(|| ActionError::Refused(format!("{id} is not an OST of the pool's file system")))
        })
        .collect()
}

/// `lctl pool_list FS.POOL`: the pool's OSTs, `None` when there is no
/// such pool (Lustre prints the `Pool:` line and exits ENOENT).
async fn read(shared: &Shared, mgs: &Server, full: &str) -> Result<Option<Vec<String>>, ActionError> {
    let argv = ["lctl", "pool_list", full];
    let output = mgs.exec(shared, &argv).await?;
    let header = format!("Pool: {full}");
    let mut lines = output.stdout.lines();
    if lines.next() != Some(header.as_str()) {
        return Err(mgs.failed(&argv, &output));
    }
    if !output.success() {
        return if output.exit_status == Some(2) {
            Ok(None)
        } else {
            Err(mgs.failed(&argv, &output))
        };
    }
    Ok(Some(lines.filter(|l| !l.is_empty()).map(str::to_owned).collect()))
}

/// Records the pool's state and the OSTs the MGS showed (those Chroma
/// knows); returns their names.
async fn record(
    shared: &Shared,
    pool: &store::ost_pools::PoolRow,
    state: &str,
    seen: &[String],
) -> Result<Vec<String>, ActionError> {
    let names: Vec<String> = seen.iter().map(|s| s.trim_end_matches("_UUID").to_owned()).collect();
    let known = store::ost_pools::osts_named(&shared.db, pool.filesystem_id, &names)
        .await
        .map_err(db_error("read the OSTs"))?;
    let ids: Vec<Uuid> = known.iter().map(|(id, _)| *id).collect();
    step::update(&shared.db, "record the pool", |fence| {
        store::ost_pools::record_seen(&shared.db, fence, pool.id, state, &ids)
    })
    .await?;
    Ok(names)
}
