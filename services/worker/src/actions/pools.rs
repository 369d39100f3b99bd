//! `create_pool`, `change_pool` and `destroy_pool`: OST pools on a file
//! system's MGS. Each reads `lctl pool_list FS.POOL` first and runs only
//! what is missing (`pool_new`, `pool_add`, `pool_remove`,
//! `pool_destroy`); an answer saying the work is done already (a step
//! redelivered after the command ran) counts as done. Then it reads the
//! pool back until the MGS shows what was asked, and records it.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{json, Value};
use uuid::Uuid;

use super::servers::Server;
use super::step;
use super::targets::FilesystemRow;
use crate::error::{db_error, ActionError};
use crate::shared::Shared;

/// How long the MGS may take to show a change in `pool_list`.
const SETTLE: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(500);
/// `EEXIST`: `pool_new` of a pool that exists, `pool_add` of a member.
const EEXIST: u32 = 17;
/// `ENOENT`: `pool_remove` of an OST not in the pool, `pool_destroy` of
/// a pool that is gone.
const ENOENT: u32 = 2;

/// `create_pool` (`create`) and `change_pool`: the pool exists on the MGS
/// with exactly the OSTs `ost_ids`. Creating refuses a pool already on the
/// MGS with other OSTs (made by hand): Chroma would otherwise take it
/// over and remove them.
pub async fn ensure(shared: &Shared, pool_id: Uuid, ost_ids: &[Uuid], create: bool) -> Result<Value, ActionError> {
    let (pool, fs, mgs) = load(shared, pool_id).await?;
    let full = format!("{}.{}", fs.name, pool.name);
    let wanted = ost_names(shared, &pool, ost_ids).await?;
    let mut ran = Vec::new();
    let present = match read(shared, &mgs, &full).await? {
        Some(present) => present,
        None => {
            run(shared, &mgs, &["lctl", "pool_new", &full], EEXIST, "already exists").await?;
            ran.push(format!("pool_new {full}"));
            Vec::new()
        }
    };
    let foreign: Vec<&String> = present.iter().filter(|o| !wanted.contains(o)).collect();
    if create && !foreign.is_empty() {
        return Err(ActionError::Refused(format!(
            "pool {full} already exists on the MGS with {}, which this pool was not asked to hold; \
             Chroma does not take over a pool made by hand: destroy it there (lctl pool_remove, \
             lctl pool_destroy) or choose another name",
            foreign
                .iter()
                .map(|o| o.trim_end_matches("_UUID"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let add: Vec<&String> = wanted.iter().filter(|o| !present.contains(o)).collect();
    for (verb, osts, done_errno, done_text) in [
        ("pool_add", add, EEXIST, "is already in pool"),
        ("pool_remove", foreign, ENOENT, "not found in pool"),
    ] {
        if osts.is_empty() {
            continue;
        }
        let mut argv = vec!["lctl", verb, full.as_str()];
        argv.extend(osts.iter().map(|o| o.as_str()));
        run(shared, &mgs, &argv, done_errno, done_text).await?;
        ran.push(argv[1..].join(" "));
    }
    let want: BTreeSet<&String> = wanted.iter().collect();
    let seen = settle(shared, &mgs, &full, |seen| {
        seen.is_some_and(|s| s.iter().collect::<BTreeSet<_>>() == want)
    })
    .await?
    .unwrap_or_default();
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
            run(shared, &mgs, &argv, ENOENT, "not found in pool").await?;
            ran.push(argv[1..].join(" "));
        }
        run(shared, &mgs, &["lctl", "pool_destroy", &full], ENOENT, "not found").await?;
        ran.push(format!("pool_destroy {full}"));
    }
    settle(shared, &mgs, &full, |seen| seen.is_none()).await?;
    record(shared, &pool, "removed", &[]).await?;
    Ok(json!({ "pool": full, "mgs_host": mgs.name, "ran": ran, "removed": true }))
}

/// Runs a pool command on the MGS; exiting with `done_errno` and saying
/// `done_text` means an earlier attempt did it already.
async fn run(
    shared: &Shared,
    mgs: &Server,
    argv: &[&str],
    done_errno: u32,
    done_text: &str,
) -> Result<(), ActionError> {
    let output = mgs.exec(shared, argv).await?;
    if output.success() || done_already(&output, done_errno, done_text) {
        return Ok(());
    }
    Err(mgs.failed(argv, &output))
}

/// Whether a pool command failed only because its work is done: lctl's
/// `check_pool_cmd` exits with the errno (`EEXIST`, `ENOENT`) after saying
/// so (`OST X is already in pool FS.P`, `OST X not found in pool FS.P`).
fn done_already(output: &chroma_ssh::ExecOutput, errno: u32, text: &str) -> bool {
    output.exit_status == Some(errno) && output.stderr.contains(text)
}

/// Reads the pool back until `done` holds of what `lctl pool_list` shows;
/// the MGS not showing it within [`SETTLE`] is transient (the step is
/// tried again, and then reads first).
async fn settle(
    shared: &Shared,
    mgs: &Server,
    full: &str,
    done: impl Fn(Option<&[String]>) -> bool,
) -> Result<Option<Vec<String>>, ActionError> {
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let seen = read(shared, mgs, full).await?;
        if done(seen.as_deref()) {
            return Ok(seen);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ActionError::Unreachable(format!(
                "pool {full} on {} shows {} {} s after the change, not what was asked; the step will be tried again",
                mgs.name,
                seen.map_or_else(|| "no such pool".to_owned(), |s| format!("{s:?}")),
                SETTLE.as_secs()
            )));
        }
        tokio::time::sleep(POLL).await;
    }
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
                .ok_or_else(|| ActionError::Refused(format!("{id} is not an OST of the pool's file system")))
                .and_then(|c| match c.state.as_str() {
                    "removed" => Err(ActionError::Refused(format!(
                        "{} is removed: it cannot join pool {}",
                        c.name, pool.name
                    ))),
                    _ => Ok(format!("{}_UUID", c.name)),
                })
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

#[cfg(test)]
mod tests {
    use super::{done_already, EEXIST, ENOENT};

    fn exited(code: u32, stderr: &str) -> chroma_ssh::ExecOutput {
        chroma_ssh::ExecOutput {
            stderr: stderr.into(),
            exit_status: Some(code),
            ..Default::default()
        }
    }

    #[test]
    fn a_redelivered_pool_command_finds_its_work_done() {
        // What lctl (and lustre-sim) print when the first attempt ran.
        let added = exited(
            EEXIST,
            "OST fs1-OST0000_UUID is already in pool fs1.p\npool_add: File exists\n",
        );
        assert!(done_already(&added, EEXIST, "is already in pool"));
        let removed = exited(
            ENOENT,
            "OST fs1-OST0001_UUID not found in pool fs1.p\npool_remove: No such file or directory\n",
        );
        assert!(done_already(&removed, ENOENT, "not found in pool"));
        let created = exited(EEXIST, "Pool fs1.p already exists\npool_new: File exists\n");
        assert!(done_already(&created, EEXIST, "already exists"));
        // Other failures stay failures.
        let foreign = exited(
            ENOENT,
            "OST fs1-OST0009_UUID is not part of the 'fs1' fs.\npool_add: No such file or directory\n",
        );
        assert!(!done_already(&foreign, ENOENT, "not found in pool"));
        assert!(!done_already(
            &exited(22, "Pool fs1.p not found\n"),
            ENOENT,
            "not found"
        ));
    }
}
