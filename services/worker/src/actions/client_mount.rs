//! `mount_client`, `unmount_client` and `remove_client_mount`: Lustre
//! client mounts on a managed host. Each reads `/proc/mounts` first and
//! acts only when the host differs from what is wanted, so a redelivered
//! step resumes; `/etc/fstab` keeps a line for a mounted client
//! (`NID:/fs DIR lustre OPTS,_netdev 0 0`, so the host mounts it once the
//! network is up at boot) and none otherwise. Each records what
//! `/proc/mounts` shows after it acted.

use serde_json::{json, Value};
use uuid::Uuid;

use super::servers::Server;
use super::step;
use super::targets::{FilesystemRow, TargetRow};
use crate::error::{db_error, ActionError};
use crate::shared::Shared;

/// What the action works on.
struct Mount {
    filesystem_id: Uuid,
    filesystem_name: String,
    mountpoint: String,
    options: String,
    persistent: bool,
    host: Server,
}

async fn load(shared: &Shared, id: Uuid) -> Result<Mount, ActionError> {
    let row = store::client_mounts::view(&shared.db, id)
        .await
        .map_err(db_error("read the client mount"))?
        .ok_or_else(|| ActionError::Bug(format!("client mount {id} does not exist")))?;
    let host = Server::load(shared, row.host_id).await?;
    Ok(Mount {
        filesystem_id: row.filesystem_id,
        filesystem_name: row.filesystem_name,
        mountpoint: row.mountpoint,
        options: row.options,
        persistent: row.persistent,
        host,
    })
}

/// The mount source of file system `filesystem_id`: each MGS node's NIDs
/// (comma-joined), nodes joined by `:` (failover MGS), then `:/FSNAME`.
async fn source(shared: &Shared, filesystem_id: Uuid) -> Result<String, ActionError> {
    let fs = FilesystemRow::load(shared, filesystem_id).await?;
    let mgs = TargetRow::load(shared, fs.mgs_id).await?;
    let nodes = mgs
        .hosts(shared)
        .await?
        .iter()
        .map(|h| h.require_nids().map(|nids| nids.join(",")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(format!("{}:/{}", nodes.join(":"), fs.name))
}

/// `/proc/mounts`: the Lustre client mount at `dir`, as `(source, options)`.
fn mounted_at(proc_mounts: &str, dir: &str) -> Option<(String, String)> {
    lustre::mounts::client_mount_at(proc_mounts, dir).map(|m| (m.source, m.options))
}

/// Is file system `fsname`'s client mounted at `dir`? Only that one is
/// Chroma's to unmount: another file system mounted there since is not.
fn ours_at(proc_mounts: &str, dir: &str, fsname: &str) -> bool {
    lustre::mounts::client_mount_at(proc_mounts, dir).is_some_and(|m| m.is_of(fsname))
}

async fn proc_mounts(shared: &Shared, host: &Server) -> Result<String, ActionError> {
    host.check(shared, &["cat", "/proc/mounts"]).await
}

/// The `/etc/fstab` line of a client mount.
pub fn fstab_line(source: &str, dir: &str, options: &str) -> String {
    let mut opts: Vec<&str> = options.split(',').filter(|o| !o.is_empty()).collect();
    if opts.is_empty() {
        opts.push("defaults");
    }
    if !opts.contains(&"_netdev") {
        opts.push("_netdev");
    }
    format!("{source} {dir} lustre {} 0 0", opts.join(","))
}

/// `fstab` without the Lustre lines for `dir`, plus `line` when given;
/// `None` when that changes nothing.
pub fn edit_fstab(fstab: &str, dir: &str, line: Option<&str>) -> Option<String> {
    let mut kept: Vec<&str> = Vec::new();
    let mut had_line = false;
    for l in fstab.lines() {
        let fields: Vec<&str> = l.split_whitespace().collect();
        let ours = !l.trim_start().starts_with('#') && fields.get(1) == Some(&dir) && fields.get(2) == Some(&"lustre");
        if ours {
            if Some(l) == line && !had_line {
                had_line = true;
                kept.push(l);
            }
            continue;
        }
        kept.push(l);
    }
    let removed = fstab.lines().count() != kept.len();
    if line.is_some() && !had_line {
        kept.extend(line);
    } else if !removed {
        return None;
    }
    let mut out = kept.join("\n");
    out.push('\n');
    Some(out)
}

/// Makes `/etc/fstab` hold `line` for `dir` (or nothing for it). The
/// job holds the host's `fstab` lock, so nothing else edits it between
/// the read and the write; the new file is written beside it in /etc and
/// renamed over it, so a reader (or a crash) never sees half of it.
async fn keep_fstab(shared: &Shared, host: &Server, dir: &str, line: Option<&str>) -> Result<bool, ActionError> {
    let fstab = host.check(shared, &["cat", "/etc/fstab"]).await?;
    let Some(content) = edit_fstab(&fstab, dir, line) else {
        return Ok(false);
    };
    let temp = format!("/etc/.fstab.chroma-{}", Uuid::now_v7().simple());
    host.write_file(shared, &temp, "0644", content.as_bytes()).await?;
    host.check(shared, &["mv", "-f", temp.as_str(), "/etc/fstab"]).await?;
    Ok(true)
}

async fn record(shared: &Shared, id: Uuid, state: &str, source: Option<&str>) -> Result<(), ActionError> {
    step::update(&shared.db, "record the client mount", |fence| {
        store::client_mounts::record_state(&shared.db, fence, id, state, source)
    })
    .await?;
    // Mounted as wanted, or no longer wanted: either way not lost.
    let item = lustre::Item::ClientMount(id);
    store::alerts::clear(&shared.db, &store::alerts::AlertKind::ClientMountLost, &item)
        .await
        .map_err(db_error("clear the client mount's alert"))?;
    Ok(())
}

/// `mount_client`.
pub async fn mount(shared: &Shared, id: Uuid) -> Result<Value, ActionError> {
    let row = load(shared, id).await?;
    let host = &row.host;
    let source = source(shared, row.filesystem_id).await?;
    let dir = row.mountpoint.as_str();
    let mut ran = Vec::new();
    match mounted_at(&proc_mounts(shared, host).await?, dir) {
        Some((src, _)) if src.ends_with(&format!(":/{}", row.filesystem_name)) => {}
        Some((src, _)) => {
            return Err(ActionError::Refused(format!(
                "{}: {dir} already has {src} mounted on it",
                host.name
            )))
        }
        None => {
            host.check(shared, &["mkdir", "-p", dir]).await?;
            let mut argv = vec!["mount", "-t", "lustre"];
            if !row.options.is_empty() {
                argv.extend(["-o", row.options.as_str()]);
            }
            argv.extend([source.as_str(), dir]);
            host.check(shared, &argv).await?;
            ran.push(argv.join(" "));
        }
    }
    if row.persistent && keep_fstab(shared, host, dir, Some(&fstab_line(&source, dir, &row.options))).await? {
        ran.push("edit /etc/fstab".into());
    }
    let Some((seen, options)) = mounted_at(&proc_mounts(shared, host).await?, dir) else {
        return Err(ActionError::Refused(format!(
            "{}: {dir} is not in /proc/mounts after mounting it",
            host.name
        )));
    };
    record(shared, id, "mounted", Some(&seen)).await?;
    Ok(json!({ "host": host.name, "mountpoint": dir, "source": seen, "options": options, "ran": ran }))
}

/// `unmount_client` (`remove` false) and `remove_client_mount`.
pub async fn unmount(shared: &Shared, id: Uuid, remove: bool) -> Result<Value, ActionError> {
    let row = load(shared, id).await?;
    let host = &row.host;
    let dir = row.mountpoint.as_str();
    let mut ran = Vec::new();
    let ours = |proc_mounts: &str| ours_at(proc_mounts, dir, &row.filesystem_name);
    if ours(&proc_mounts(shared, host).await?) {
        host.check(shared, &["umount", dir]).await?;
        ran.push(format!("umount {dir}"));
    }
    if keep_fstab(shared, host, dir, None).await? {
        ran.push("edit /etc/fstab".into());
    }
    if ours(&proc_mounts(shared, host).await?) {
        return Err(ActionError::Refused(format!(
            "{}: {dir} is still in /proc/mounts after unmounting it",
            host.name
        )));
    }
    let state = if remove { "removed" } else { "unmounted" };
    record(shared, id, state, None).await?;
    Ok(json!({ "host": host.name, "mountpoint": dir, "state": state, "ran": ran }))
}

#[cfg(test)]
mod tests {
    use super::{edit_fstab, fstab_line, mounted_at, ours_at};

    #[test]
    fn fstab_gets_one_line_per_client_mount_and_loses_it() {
        let base = "/dev/sda1 /boot xfs defaults 0 0\n";
        let line = fstab_line("10.0.0.1@tcp:10.0.0.4@tcp:/fs1", "/mnt/fs1", "");
        assert_eq!(
            line,
            "10.0.0.1@tcp:10.0.0.4@tcp:/fs1 /mnt/fs1 lustre defaults,_netdev 0 0"
        );
        let added = edit_fstab(base, "/mnt/fs1", Some(&line)).unwrap_or_default();
        assert_eq!(added, format!("{base}{line}\n"));
        assert_eq!(edit_fstab(&added, "/mnt/fs1", Some(&line)), None);
        let other = fstab_line("10.0.0.1@tcp:/fs1", "/mnt/fs1", "flock");
        let replaced = edit_fstab(&added, "/mnt/fs1", Some(&other)).unwrap_or_default();
        assert_eq!(replaced, format!("{base}{other}\n"));
        assert_eq!(edit_fstab(&replaced, "/mnt/fs1", None).as_deref(), Some(base));
        assert_eq!(edit_fstab(base, "/mnt/fs1", None), None);
    }

    #[test]
    fn proc_mounts_finds_the_client_mount() {
        let text = "/dev/sdb /mnt/mgs lustre ro,svname=MGS 0 0\n10.0.0.1@tcp:/fs1 /mnt/fs1 lustre rw,flock 0 0\n";
        assert_eq!(
            mounted_at(text, "/mnt/fs1"),
            Some(("10.0.0.1@tcp:/fs1".into(), "rw,flock".into()))
        );
        assert_eq!(mounted_at(text, "/mnt/mgs"), None);
    }

    #[test]
    fn only_the_file_systems_own_client_is_unmounted() {
        let text = "10.0.0.1@tcp:/fs2 /mnt/fs1 lustre rw,flock 0 0\n";
        assert!(!ours_at(text, "/mnt/fs1", "fs1"));
        assert!(ours_at(text, "/mnt/fs1", "fs2"));
        assert!(!ours_at(text, "/mnt/fs1", "fs"));
    }
}
