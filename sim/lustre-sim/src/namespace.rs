//! Lustre clients: the client mounts of each host and, per file system, the
//! namespace those clients see (directories and files with their owner,
//! project, size and striping layout, and the OST objects a file's layout
//! holds). Persisted in `state.json` under `clients`.
//!
//! A path is visible only through a client mount: `/mnt/demo/dir/f` on a
//! host that mounts `demo` at `/mnt/demo` is `/dir/f` of the `demo`
//! namespace ([`ClusterState::resolve_client_path`]). Commands that use it:
//! `mount -t lustre NID:/fs DIR`, `umount`, `lfs` (`commands::lfs`),
//! `mkdir`, `truncate`, `fallocate`, `chown` under a client mount.
//!
//! Extending it: a later feature adds fields to [`Entry`] (an HSM state,
//! FLR mirrors as more [`Layout`]s) with `#[serde(default)]`, and holders of
//! a mount (a copytool) push their name on [`ClientMount::holders`], which
//! makes `umount` answer "target is busy".

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::state::ClusterState;

/// Lustre's default stripe size (1 MiB, `LOV_DESC_STRIPE_SIZE_DEFAULT`).
pub const DEFAULT_STRIPE_SIZE: u64 = 1 << 20;

/// What the clients of the cluster hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clients {
    /// Client mounts, in mount order.
    #[serde(default)]
    pub mounts: Vec<ClientMount>,
    /// Directories created on each host's local file system (`mkdir`), by
    /// host: mountpoints must exist before a client mount.
    #[serde(default)]
    pub dirs: BTreeMap<String, BTreeSet<String>>,
    /// Each file system's namespace, by file system name.
    #[serde(default)]
    pub namespaces: BTreeMap<String, Namespace>,
}

/// A Lustre client mount on a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientMount {
    /// Host it is mounted on.
    pub host: String,
    /// The source as given (`10.0.0.1@tcp:10.0.0.2@tcp:/demo`).
    pub source: String,
    /// File system name.
    pub fsname: String,
    /// Mount point.
    pub mountpoint: String,
    /// The options `/proc/mounts` shows (`rw,flock,…`).
    pub options: String,
    /// When it was mounted (seconds since the epoch).
    pub since: u64,
    /// Processes holding the mount (a copytool): `umount` is refused
    /// while any is listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holders: Vec<String>,
}

/// One file system's namespace: entries by absolute path inside the file
/// system (`/` is the root, `/dir/f`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Namespace {
    /// Entries by path.
    pub entries: BTreeMap<String, Entry>,
    /// The next object id to hand out on each OST (by OST index).
    #[serde(default)]
    pub next_objid: BTreeMap<u32, u64>,
    /// Where the next file's first stripe goes (round robin).
    #[serde(default)]
    pub next_ost: u32,
    /// Mirrored files' composite layouts, by path (see
    /// [`crate::commands::lfs_mirror`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub flr: BTreeMap<String, crate::commands::lfs_mirror::Flr>,
    /// Quota limits and grace times (`lfs setquota`), see
    /// [`crate::commands::lfs_quota`].
    #[serde(default)]
    pub quotas: crate::commands::lfs_quota::Quotas,
}

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A directory.
    Dir,
    /// A regular file.
    File,
}

/// A file or directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Directory or file.
    pub kind: Kind,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Project id (`lfs project -p`).
    #[serde(default)]
    pub projid: u32,
    /// Size in bytes (files).
    #[serde(default)]
    pub size: u64,
    /// A file's layout; a directory's default layout (`lfs setstripe DIR`).
    #[serde(default)]
    pub layout: Option<Layout>,
}

/// A RAID0 striping layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// Stripe count as asked: `-1` is every OST, `0` the default.
    pub stripe_count: i64,
    /// Stripe size in bytes.
    pub stripe_size: u64,
    /// First OST asked for (`-i`), `-1` for any.
    #[serde(default = "any_offset")]
    pub stripe_offset: i64,
    /// OST pool.
    #[serde(default)]
    pub pool: Option<String>,
    /// A file's objects: `(OST index, object id)`, one per stripe.
    #[serde(default)]
    pub objects: Vec<(u32, u64)>,
}

fn any_offset() -> i64 {
    -1
}

impl Entry {
    /// A directory owned by `uid:gid`.
    pub fn dir(uid: u32, gid: u32) -> Entry {
        Entry {
            kind: Kind::Dir,
            uid,
            gid,
            projid: 0,
            size: 0,
            layout: None,
        }
    }
}

/// A path seen through a client mount: which file system and where in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientPath {
    /// File system name.
    pub fsname: String,
    /// The client mount's mount point.
    pub mountpoint: String,
    /// Path inside the file system (`/` for the mount point itself).
    pub path: String,
}

/// `a/b/../c` and `a//b/./c` made plain; `None` for a relative path.
pub fn normalize(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// The parent of a normalized path (`/` is its own).
pub fn parent(path: &str) -> String {
    match path.rsplit_once('/') {
        Some(("", _)) | None => "/".to_string(),
        Some((p, _)) => p.to_string(),
    }
}

impl ClusterState {
    /// The client mount of `host` at exactly `mountpoint`.
    pub fn client_mount(&self, host: &str, mountpoint: &str) -> Option<&ClientMount> {
        self.clients
            .mounts
            .iter()
            .find(|m| m.host == host && m.mountpoint == mountpoint)
    }

    /// Where `path` (absolute, on `host`) lands: under the deepest client
    /// mount containing it, or `None` when no client mount does.
    pub fn resolve_client_path(&self, host: &str, path: &str) -> Option<ClientPath> {
        let path = normalize(path)?;
        self.clients
            .mounts
            .iter()
            .filter(|m| m.host == host)
            .filter_map(|m| {
                let rest = if m.mountpoint == "/" {
                    path.as_str()
                } else {
                    path.strip_prefix(&m.mountpoint)?
                };
                if !(rest.is_empty() || rest.starts_with('/')) {
                    return None;
                }
                Some(ClientPath {
                    fsname: m.fsname.clone(),
                    mountpoint: m.mountpoint.clone(),
                    path: if rest.is_empty() { "/".into() } else { rest.into() },
                })
            })
            .max_by_key(|c| c.mountpoint.len())
    }

    /// The namespace of `fsname`, created with its root on first use.
    pub fn namespace_mut(&mut self, fsname: &str) -> &mut Namespace {
        let ns = self.clients.namespaces.entry(fsname.to_string()).or_default();
        ns.entries.entry("/".into()).or_insert_with(|| Entry::dir(0, 0));
        ns
    }

    /// Does directory `dir` exist on `host`'s local file system? The
    /// standard ones do; others once `mkdir` made them (or a client mount
    /// shows a directory there).
    pub fn local_dir_exists(&self, host: &str, dir: &str) -> bool {
        let Some(dir) = normalize(dir) else {
            return false;
        };
        if [
            "/", "/mnt", "/tmp", "/root", "/home", "/var", "/etc", "/srv", "/opt", "/lustre",
        ]
        .contains(&dir.as_str())
        {
            return true;
        }
        if let Some(c) = self.resolve_client_path(host, &dir) {
            return self
                .clients
                .namespaces
                .get(&c.fsname)
                .and_then(|ns| ns.entries.get(&c.path))
                .is_some_and(|e| e.kind == Kind::Dir)
                || c.path == "/";
        }
        self.clients.dirs.get(host).is_some_and(|d| d.contains(&dir))
    }

    /// The OST indexes of `fsname` that are registered (mounted once) and
    /// mounted now, in index order: where new objects may go.
    pub fn active_osts(&self, fsname: &str) -> Vec<u32> {
        let mut osts: Vec<u32> = self
            .devices
            .values()
            .filter_map(|d| {
                let t = d.target.as_ref()?;
                (t.ost && t.fsname == fsname && self.mount_of(&d.serial).is_some()).then_some(t.index?)
            })
            .collect();
        osts.sort_unstable();
        osts.dedup();
        osts
    }

    /// The OST indexes of pool `fsname.pool` as its MGS's client log holds
    /// them (`commands::pool`), `None` when no such pool exists.
    pub fn pool_osts(&self, fsname: &str, pool: &str) -> Option<Vec<u32>> {
        let mgs = self.devices.values().find_map(|d| {
            let t = d.target.as_ref()?;
            (t.fsname == fsname && (t.mdt || t.ost)).then(|| self.mgs_of(&d.serial))?
        })?;
        let (_, osts) = crate::commands::pool::pools(self.llogs(&mgs), fsname)
            .into_iter()
            .find(|(name, _)| name == pool)?;
        Some(
            osts.iter()
                .filter_map(|uuid| {
                    let hex = uuid.strip_suffix("_UUID")?.rsplit_once("-OST")?.1;
                    u32::from_str_radix(hex, 16).ok()
                })
                .collect(),
        )
    }

    /// Client mounts of `fsname` anywhere in the cluster (what its MDTs
    /// and OSTs count as exports).
    pub fn client_count(&self, fsname: &str) -> u64 {
        self.clients.mounts.iter().filter(|m| m.fsname == fsname).count() as u64
    }

    /// Adds each file system's client mounts to the `num_exports` of its
    /// MDTs and OSTs in a `lctl get_param` table.
    pub fn count_client_exports(&self, table: &mut [(String, String)]) {
        for (name, value) in table.iter_mut() {
            let Some(svname) = name
                .strip_suffix(".num_exports")
                .and_then(|n| n.strip_prefix("obdfilter.").or_else(|| n.strip_prefix("mdt.")))
            else {
                continue;
            };
            let Some((fsname, _)) = svname.rsplit_once('-') else {
                continue;
            };
            let clients = self.client_count(fsname);
            if let Ok(n) = value.parse::<u64>() {
                *value = (n + clients).to_string();
            }
        }
    }

    /// A host went down or rebooted: its client mounts are gone (its
    /// `_netdev` fstab lines are mounted again once it has booted, see
    /// `mount_client::mount_fstab_at_boot`).
    pub fn clients_lost(&mut self, host: &str) {
        self.clients.mounts.retain(|m| m.host != host);
    }
}

impl Namespace {
    /// The layout a new file under `dir` inherits: the nearest directory
    /// default up to the root, else one stripe of 1 MiB.
    pub fn inherited(&self, dir: &str) -> Layout {
        let mut at = dir.to_string();
        loop {
            if let Some(l) = self.entries.get(&at).and_then(|e| e.layout.clone()) {
                return l;
            }
            if at == "/" {
                return Layout {
                    stripe_count: 1,
                    stripe_size: DEFAULT_STRIPE_SIZE,
                    stripe_offset: -1,
                    pool: None,
                    objects: Vec::new(),
                };
            }
            at = parent(&at);
        }
    }

    /// Allocates a file's objects for `layout` on `osts` (the candidate
    /// OSTs, in index order): round robin from the next OST, or from
    /// `stripe_offset` when one was asked for. False (nothing allocated)
    /// when there is no OST to use.
    #[must_use]
    pub fn allocate(&mut self, layout: &mut Layout, osts: &[u32]) -> bool {
        if osts.is_empty() {
            return false;
        }
        let want = match layout.stripe_count {
            c if c < 0 => osts.len(),
            0 => 1,
            c => usize::try_from(c).unwrap_or(usize::MAX).min(osts.len()),
        };
        let start = match u32::try_from(layout.stripe_offset) {
            Ok(off) => osts.iter().position(|o| *o == off).unwrap_or(0),
            Err(_) => {
                let start = usize::try_from(self.next_ost).unwrap_or(0) % osts.len();
                self.next_ost = self.next_ost.wrapping_add(1);
                start
            }
        };
        layout.objects = (0..want)
            .map(|i| {
                let ost = osts[(start + i) % osts.len()];
                let id = self.next_objid.entry(ost).or_insert(2);
                let objid = *id;
                *id += 1;
                (ost, objid)
            })
            .collect();
        true
    }

    /// Bytes each `(uid)` owns in files (what a quota counts).
    pub fn usage_by_uid(&self) -> BTreeMap<u32, u64> {
        let mut out = BTreeMap::new();
        for e in self.entries.values().filter(|e| e.kind == Kind::File) {
            *out.entry(e.uid).or_default() += e.size;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{normalize, parent};

    #[test]
    fn paths_are_made_plain() {
        assert_eq!(normalize("/mnt//demo/./a/../b").as_deref(), Some("/mnt/demo/b"));
        assert_eq!(normalize("/").as_deref(), Some("/"));
        assert_eq!(normalize("rel"), None);
        assert_eq!(parent("/a/b"), "/a");
        assert_eq!(parent("/a"), "/");
    }
}
