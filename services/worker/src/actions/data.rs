//! `mirror_file`, `migrate_files` and `set_striping`: data jobs run with
//! `lfs` on a host through its Lustre client mount. Each reads the state
//! first (`lfs getstripe`, `lfs find`) and does only what is missing, so a
//! redelivered step resumes rather than repeats; each checks afterwards
//! that the file system shows what was asked.

use std::collections::BTreeMap;

use lustre::data::{client_path, parse_getstripe, FileLayout, MigrateArgs, MirrorArgs, MirrorOp, StripeArgs};
use serde_json::{json, Value};
use uuid::Uuid;

use super::lfs_running::{wait_for_earlier, Sought, COPY_TIMEOUT};
use super::servers::Server;
use super::step;
use crate::error::{db_error, ActionError};
use crate::shared::Shared;

/// Files migrated by one `lfs migrate` command at most (a command line
/// stays well under `ARG_MAX`).
const MIGRATE_BATCH: usize = 100;

/// The client mount a data job runs through.
struct Client {
    host: Server,
    mountpoint: String,
    filesystem_id: Uuid,
}

async fn client(shared: &Shared, id: Uuid) -> Result<Client, ActionError> {
    let row = store::client_mounts::view(&shared.db, id)
        .await
        .map_err(db_error("read the client mount"))?
        .ok_or_else(|| ActionError::Bug(format!("client mount {id} does not exist")))?;
    if row.state != "mounted" {
        return Err(ActionError::Refused(format!(
            "client mount {} on {} is {}, not mounted",
            row.mountpoint, row.host_name, row.state
        )));
    }
    Ok(Client {
        host: Server::load(shared, row.host_id).await?,
        mountpoint: row.mountpoint,
        filesystem_id: row.filesystem_id,
    })
}

/// `lfs getstripe FILE`: the file's layout, `None` when it does not exist.
async fn layout(shared: &Shared, host: &Server, file: &str) -> Result<Option<FileLayout>, ActionError> {
    let argv = ["lfs", "getstripe", file];
    let out = host.exec(shared, &argv).await?;
    if !out.success() {
        if out.stderr.contains("No such file or directory") {
            return Ok(None);
        }
        return Err(host.failed(&argv, &out));
    }
    if !out.stdout.contains("lmm_stripe_count:") {
        return Err(ActionError::Refused(format!(
            "{}: {file} is not a regular file",
            host.name
        )));
    }
    parse_getstripe(&out.stdout)
        .map(Some)
        .map_err(|e| ActionError::Command(format!("{}: `lfs getstripe {file}`: {e}", host.name)))
}

async fn record(shared: &Shared, filesystem_id: Uuid, path: &str, layout: &FileLayout) -> Result<(), ActionError> {
    let value = serde_json::to_value(layout).map_err(|e| ActionError::Bug(format!("layout as JSON: {e}")))?;
    step::update(&shared.db, "record the file layout", |fence| {
        store::data_layouts::record(&shared.db, fence, filesystem_id, path, &value)
    })
    .await?;
    Ok(())
}

/// `mirror_file`.
pub async fn mirror(shared: &Shared, args: &MirrorArgs) -> Result<Value, ActionError> {
    let c = client(shared, args.client_mount_id).await?;
    let host = &c.host;
    let file = client_path(&c.mountpoint, &args.path);
    // A mirrored file is created by `create`: only an existing one is
    // resolved (symbolic links must not lead out of the file system).
    let file = if args.op == MirrorOp::Create {
        file
    } else {
        super::hsm::resolve_under(shared, host, &c.mountpoint, &file).await?
    };
    let mut ran = Vec::new();
    if matches!(args.op, MirrorOp::Extend | MirrorOp::Resync) {
        // An earlier attempt's copy still running shows in the layout only
        // when it ends: wait for it, then do what it left undone.
        if let Some(line) = wait_for_earlier(shared, host, Sought::File(&file)).await? {
            ran.push(format!("waited for the running `{line}`"));
        }
    }
    let before = layout(shared, host, &file).await?;
    let have: Vec<Option<String>> = before
        .iter()
        .flat_map(|l| l.mirrors.iter().map(|m| m.pool.clone()))
        .collect();
    let mut argv: Vec<String> = vec!["lfs".into(), "mirror".into()];
    match (args.op, &before) {
        (MirrorOp::Create, None) => {
            argv.push("create".into());
            for pool in &args.pools {
                argv.extend(["-N".into(), "-p".into(), pool.clone()]);
            }
        }
        (MirrorOp::Create, Some(_)) => {
            // Made by an earlier attempt of this step, or there before.
            let wanted: Vec<Option<String>> = args.pools.iter().cloned().map(Some).collect();
            if have != wanted {
                return Err(ActionError::Refused(format!(
                    "{}: {file} exists already (with mirrors on pools {have:?})",
                    host.name
                )));
            }
        }
        (_, None) => {
            return Err(ActionError::Refused(format!("{}: {file} does not exist", host.name)));
        }
        (MirrorOp::Extend, Some(_)) => {
            let missing: Vec<&String> = args
                .pools
                .iter()
                .filter(|p| !have.contains(&Some((*p).clone())))
                .collect();
            if have.len() + missing.len() > lustre::data::MIRROR_COUNT_MAX {
                return Err(ActionError::Refused(format!(
                    "{}: {file} has {} mirrors; {} more would pass the {} a file may have",
                    host.name,
                    have.len(),
                    missing.len(),
                    lustre::data::MIRROR_COUNT_MAX
                )));
            }
            if !missing.is_empty() {
                argv.push("extend".into());
                for pool in missing {
                    argv.extend(["-N".into(), "-p".into(), pool.clone()]);
                }
            }
        }
        (MirrorOp::Resync, Some(l)) => {
            if l.mirrors.len() < 2 {
                return Err(ActionError::Refused(format!(
                    "{}: {file} is not a mirrored file",
                    host.name
                )));
            }
            if l.mirrors.iter().any(|m| m.stale) {
                argv.push("resync".into());
            }
        }
        (MirrorOp::Verify, Some(_)) => {}
    }
    if argv.len() > 2 {
        argv.push(file.clone());
        // Extend and resync copy the file's data.
        host.check_for(shared, &argv, COPY_TIMEOUT).await?;
        ran.push(argv.join(" "));
    }
    let after = layout(shared, host, &file)
        .await?
        .ok_or_else(|| ActionError::Command(format!("{}: {file} is gone after `lfs mirror`", host.name)))?;
    let mut verify = String::new();
    if after.mirrors.len() > 1 {
        let out = host
            .exec(shared, &["lfs", "mirror", "verify", "-v", file.as_str()])
            .await?;
        verify = format!("{}{}", out.stdout, out.stderr);
        if !out.success() {
            return Err(host.failed(&["lfs", "mirror", "verify", "-v", file.as_str()], &out));
        }
    }
    let pools_after: Vec<Option<String>> = after.mirrors.iter().map(|m| m.pool.clone()).collect();
    let wanted_there = args.pools.iter().all(|p| pools_after.contains(&Some(p.clone())));
    if matches!(args.op, MirrorOp::Create | MirrorOp::Extend) && !wanted_there {
        return Err(ActionError::Command(format!(
            "{}: {file} has mirrors on pools {pools_after:?} after `lfs mirror {}`",
            host.name,
            args.op.as_str()
        )));
    }
    if args.op == MirrorOp::Resync && after.mirrors.iter().any(|m| m.stale) {
        return Err(ActionError::Command(format!(
            "{}: {file} still has stale mirrors after resync",
            host.name
        )));
    }
    record(shared, c.filesystem_id, &args.path, &after).await?;
    Ok(json!({ "host": host.name, "path": file, "ran": ran, "layout": after, "verify": verify }))
}

/// `lfs find PATH -type f [--ost LIST] [! --pool POOL] [--mirror-count +1]`:
/// the files to migrate (only the mirrored ones with `mirrored`), those
/// in pool `done_pool` left out (moved there already).
async fn files_on(
    shared: &Shared,
    host: &Server,
    path: &str,
    osts: &[u32],
    done_pool: Option<&str>,
    mirrored: bool,
) -> Result<Vec<String>, ActionError> {
    let mut argv = vec![
        "lfs".to_owned(),
        "find".into(),
        path.to_owned(),
        "-type".into(),
        "f".into(),
    ];
    if !osts.is_empty() {
        let list: Vec<String> = osts.iter().map(u32::to_string).collect();
        argv.extend(["--ost".into(), list.join(",")]);
    }
    if let Some(pool) = done_pool {
        argv.extend(["!".into(), "--pool".into(), pool.to_owned()]);
    }
    if mirrored {
        argv.extend(["--mirror-count".into(), "+1".into()]);
    }
    let out = host.check_for(shared, &argv, COPY_TIMEOUT).await?;
    Ok(out.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect())
}

/// `migrate_files`: `lfs find` the files with objects on the excluded OSTs
/// (every file when none is), then `lfs migrate -o LIST` them onto the
/// OSTs allowed, each file's stripes on the next OSTs in turn so the new
/// objects spread; the same number of stripes unless a count was given.
pub async fn migrate(shared: &Shared, args: &MigrateArgs) -> Result<Value, ActionError> {
    let c = client(shared, args.client_mount_id).await?;
    let host = &c.host;
    let path = super::hsm::resolve_under(shared, host, &c.mountpoint, &client_path(&c.mountpoint, &args.path)).await?;
    if args.osts.is_empty() {
        return Err(ActionError::Bug("migrate_files with no OST to move onto".into()));
    }
    let mut ran = Vec::new();
    if let Some(line) = wait_for_earlier(shared, host, Sought::MigrateUnder(&path)).await? {
        ran.push(format!("waited for the running `{line}`"));
    }
    // Moving files into a pool, a file already there is done (by an
    // earlier attempt of this step): a redelivery copies only the rest.
    // Moving them off OSTs, `--ost` finds only the files still there.
    let done_pool = args.pool.as_deref().filter(|_| args.exclude_osts.is_empty());
    let files = files_on(shared, host, &path, &args.exclude_osts, done_pool, false).await?;
    // Every mirrored file counts, even one with a mirror in the pool
    // (which `! --pool` leaves out): `lfs migrate` would drop the others.
    let mirrored = files_on(shared, host, &path, &args.exclude_osts, None, true).await?;
    if !mirrored.is_empty() {
        return Err(refuse_mirrored(&host.name, &path, &mirrored));
    }
    let mut groups: BTreeMap<Vec<u32>, Vec<String>> = BTreeMap::new();
    for (i, file) in files.iter().enumerate() {
        let count = match args.stripe_count {
            Some(n) => usize::try_from(n).unwrap_or(1),
            None => match layout(shared, host, file).await? {
                Some(l) => l.mirrors.first().map_or(1, |m| m.osts.len()),
                None => continue,
            },
        }
        .clamp(1, args.osts.len());
        let onto: Vec<u32> = (0..count).map(|k| args.osts[(i + k) % args.osts.len()]).collect();
        groups.entry(onto).or_default().push(file.clone());
    }
    for (onto, files) in &groups {
        let list: Vec<String> = onto.iter().map(u32::to_string).collect();
        for batch in files.chunks(MIGRATE_BATCH) {
            let mut argv = vec!["lfs".to_owned(), "migrate".into(), "-o".into(), list.join(",")];
            if let Some(pool) = &args.pool {
                argv.extend(["-p".into(), pool.clone()]);
            }
            argv.extend(batch.iter().cloned());
            host.check_for(shared, &argv, COPY_TIMEOUT).await?;
            ran.push(format!("lfs migrate -o {} ({} files)", list.join(","), batch.len()));
        }
    }
    if !args.exclude_osts.is_empty() {
        let left = files_on(shared, host, &path, &args.exclude_osts, None, false).await?;
        if !left.is_empty() {
            return Err(ActionError::Command(format!(
                "{}: {} files under {path} still have objects on OSTs {:?}, e.g. {}",
                host.name,
                left.len(),
                args.exclude_osts,
                left[0]
            )));
        }
    }
    Ok(json!({ "host": host.name, "path": path, "files": files.len(), "ran": ran }))
}

/// The refusal of a migration that would reach mirrored `files`: `lfs
/// migrate` swaps in one plain layout (`llapi_fswap_layouts`), dropping
/// every mirror but the data, so Chroma migrates nothing rather than lose
/// redundancy silently.
fn refuse_mirrored(host: &str, path: &str, files: &[String]) -> ActionError {
    const SHOWN: usize = 5;
    let mut named = files
        .iter()
        .take(SHOWN)
        .map(|f| format!("'{f}'"))
        .collect::<Vec<_>>()
        .join(", ");
    if files.len() > SHOWN {
        named.push_str(&format!(" and {} more", files.len() - SHOWN));
    }
    ActionError::Refused(format!(
        "{host}: {} mirrored file(s) under {path} would lose their mirrors to `lfs migrate`: {named}; \
         nothing was migrated. Split off their extra mirrors first (`lfs mirror split -d --mirror-id ID FILE`) \
         or migrate a path without them",
        files.len()
    ))
}

/// A directory's default layout from `lfs getstripe -d DIR`'s line
/// (`stripe_count:  N stripe_size:   S pattern: … pool:          P`).
fn dir_default(text: &str) -> Option<(i64, u64, Option<String>)> {
    let line = text.lines().find(|l| l.starts_with("stripe_count:"))?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let after = |key: &str| {
        words
            .iter()
            .position(|w| *w == key)
            .and_then(|i| words.get(i + 1))
            .copied()
    };
    Some((
        after("stripe_count:")?.parse().ok()?,
        after("stripe_size:")?.parse().ok()?,
        after("pool:").map(str::to_owned),
    ))
}

/// `set_striping`.
pub async fn stripe(shared: &Shared, args: &StripeArgs) -> Result<Value, ActionError> {
    let c = client(shared, args.client_mount_id).await?;
    let host = &c.host;
    let dir = super::hsm::resolve_under(shared, host, &c.mountpoint, &client_path(&c.mountpoint, &args.path)).await?;
    let read = |text: &str| {
        if text.contains("lmm_stripe_count:") {
            return Err(ActionError::Refused(format!(
                "{}: {dir} is a file, not a directory",
                host.name
            )));
        }
        dir_default(text).ok_or_else(|| {
            ActionError::Command(format!("{}: cannot read `lfs getstripe -d {dir}`: {text:?}", host.name))
        })
    };
    let before = read(&host.check(shared, &["lfs", "getstripe", "-d", dir.as_str()]).await?)?;
    let wanted = |(count, size, pool): &(i64, u64, Option<String>)| {
        pool.as_deref() == Some(args.pool.as_str())
            && args.stripe_count.is_none_or(|c| i64::from(c) == *count)
            && args.stripe_size.is_none_or(|s| s == *size)
    };
    let mut ran = Vec::new();
    if !wanted(&before) {
        let mut argv = vec!["lfs".to_owned(), "setstripe".into(), "-p".into(), args.pool.clone()];
        if let Some(count) = args.stripe_count {
            argv.extend(["-c".into(), count.to_string()]);
        }
        if let Some(size) = args.stripe_size {
            argv.extend(["-S".into(), size.to_string()]);
        }
        argv.push(dir.clone());
        host.check(shared, &argv).await?;
        ran.push(argv.join(" "));
    }
    let after = read(&host.check(shared, &["lfs", "getstripe", "-d", dir.as_str()]).await?)?;
    if !wanted(&after) {
        return Err(ActionError::Command(format!(
            "{}: {dir} has the default layout {after:?} after `lfs setstripe`",
            host.name
        )));
    }
    Ok(json!({
        "host": host.name,
        "path": dir,
        "ran": ran,
        "stripe_count": after.0,
        "stripe_size": after.1,
        "pool": after.2,
    }))
}

#[cfg(test)]
mod tests {
    use super::dir_default;

    #[test]
    fn a_directory_default_is_read() {
        let text = "/mnt/d\nstripe_count:  2 stripe_size:   1048576 pattern:       raid0 stripe_offset: -1 pool:          flash\n\n";
        assert_eq!(dir_default(text), Some((2, 1_048_576, Some("flash".into()))));
        let plain = "/mnt/d\nstripe_count:  1 stripe_size:   1048576 pattern:       raid0 stripe_offset: -1\n\n";
        assert_eq!(dir_default(plain), Some((1, 1_048_576, None)));
    }
}
