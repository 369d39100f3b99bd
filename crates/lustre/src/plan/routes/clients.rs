//! Lustre client mounts: one job per request on the client host. Mounting
//! needs LNet up there (planned first, as for a target) and the file
//! system running: its MGS and MDT0000 mounted, or a real client's mount
//! fails ("Is the MGS running?").

use uuid::Uuid;

use super::{Edge, Planner};
use crate::domain::{LnetState, TargetKind, TargetState};
use crate::plan::PlanError;
use crate::{Action, Item};

/// A client mount's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientMountState {
    Unmounted,
    Mounted,
    Removed,
}

impl ClientMountState {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientMountState::Unmounted => "unmounted",
            ClientMountState::Mounted => "mounted",
            ClientMountState::Removed => "removed",
        }
    }

    /// Parses a stored word.
    pub fn parse(text: &str) -> Option<ClientMountState> {
        match text {
            "unmounted" => Some(ClientMountState::Unmounted),
            "mounted" => Some(ClientMountState::Mounted),
            "removed" => Some(ClientMountState::Removed),
            _ => None,
        }
    }
}

/// A client mount as the planner needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientMountFacts {
    pub id: Uuid,
    pub host_id: Uuid,
    pub filesystem_id: Uuid,
    pub mountpoint: String,
    pub state: ClientMountState,
}

impl Planner<'_> {
    pub(in crate::plan) fn client_mount(
        &mut self,
        mount: &ClientMountFacts,
        want: ClientMountState,
    ) -> Result<Option<usize>, PlanError> {
        if mount.state == ClientMountState::Removed {
            return Err(PlanError::Invalid(format!(
                "client mount {} is removed",
                mount.mountpoint
            )));
        }
        let object = Item::ClientMount(mount.id).to_string();
        if let Some(job) = self.produced.get(&(object.clone(), want.as_str().to_owned())) {
            return Ok(Some(*job));
        }
        if mount.state == want {
            return Ok(None);
        }
        let fs = self.fs_facts(mount.filesystem_id)?;
        let host = self.snap.host_label(mount.host_id);
        // Each job rewrites the host's whole /etc/fstab: two at once would
        // lose one's line.
        let mut locks = vec![
            (object.clone(), true),
            (Item::Host(mount.host_id).to_string(), false),
            (Item::Fstab(mount.host_id).to_string(), true),
        ];
        let mut wait_for = Vec::new();
        let (description, action) = match want {
            ClientMountState::Mounted => {
                self.managed_host(mount.host_id)?;
                if fs.removed {
                    return Err(PlanError::Invalid(format!("file system {} is removed", fs.name)));
                }
                let mdt0 = self
                    .snap
                    .filesystem_targets(fs.id)
                    .into_iter()
                    .find(|t| t.kind == TargetKind::Mdt && t.index == Some(0))
                    .map(|t| t.id);
                let running = |id: Option<Uuid>| id.is_some_and(|id| self.target_state(id).0 == TargetState::Mounted);
                if !running(Some(fs.mgs_id)) || !running(mdt0) {
                    return Err(PlanError::Conflict(format!(
                        "file system {} must be running (its MGS and MDT0000 mounted) to mount a client",
                        fs.name
                    )));
                }
                wait_for.push(self.lnet(mount.host_id, LnetState::LnetUp)?);
                locks.push((Item::Lnet(mount.host_id).to_string(), false));
                locks.push((Item::Filesystem(fs.id).to_string(), false));
                locks.push((Item::Target(fs.mgs_id).to_string(), false));
                locks.extend(mdt0.map(|id| (Item::Target(id).to_string(), false)));
                (
                    format!("Mount file system {} on {host} at {}", fs.name, mount.mountpoint),
                    Action::MountClient {
                        client_mount_id: mount.id,
                    },
                )
            }
            ClientMountState::Unmounted => (
                format!("Unmount file system {} from {host} at {}", fs.name, mount.mountpoint),
                Action::UnmountClient {
                    client_mount_id: mount.id,
                },
            ),
            ClientMountState::Removed => (
                format!(
                    "Remove the client mount of {} on {host} at {}",
                    fs.name, mount.mountpoint
                ),
                Action::RemoveClientMount {
                    client_mount_id: mount.id,
                },
            ),
        };
        Ok(Some(self.add(Edge {
            object,
            from: mount.state.as_str().into(),
            to: want.as_str().into(),
            description,
            action,
            locks,
            wait_for,
        })))
    }

    /// Unmounts the mounted client mounts `which` picks, each a
    /// consequence (`"{cause} unmounts the client of FS on HOST at DIR"`)
    /// of the request: a file system stopping under its clients leaves
    /// them hanging, and LNet's modules cannot unload while a client
    /// holds `lustre`. Returns their jobs.
    pub(in crate::plan) fn unmount_clients(
        &mut self,
        which: impl Fn(&ClientMountFacts) -> bool,
        cause: &str,
    ) -> Result<Vec<Option<usize>>, PlanError> {
        let mounted: Vec<ClientMountFacts> = self
            .snap
            .client_mounts
            .values()
            .filter(|m| m.state == ClientMountState::Mounted && which(m))
            .cloned()
            .collect();
        let mut jobs = Vec::new();
        for m in mounted {
            let fs = self
                .snap
                .filesystems
                .get(&m.filesystem_id)
                .map_or_else(|| m.filesystem_id.to_string(), |f| f.name.clone());
            let why = format!(
                "{cause} unmounts the client of {fs} on {} at {}",
                self.snap.host_label(m.host_id),
                m.mountpoint
            );
            let outer = self.consequence.replace(why);
            let done = self.client_mount(&m, ClientMountState::Unmounted);
            self.consequence = outer;
            jobs.push(done?);
        }
        Ok(jobs)
    }
}

/// Top-level directories a client must not be mounted on or under.
const SYSTEM_DIRS: [&str; 13] = [
    "proc", "sys", "dev", "run", "boot", "etc", "usr", "bin", "sbin", "lib", "lib64", "var", "root",
];

/// A client mount point: absolute, at most 255 characters of letters,
/// digits, `.`, `_`, `-` and `/`, no empty, `.` or `..` component, not
/// `/` nor in a system directory.
pub fn check_client_mountpoint(path: &str) -> Result<(), String> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!("must be an absolute path (not {path:?})"));
    };
    if path.len() > 255 {
        return Err(format!("at most 255 characters; it has {}", path.len()));
    }
    if let Some(c) = path
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/')))
    {
        return Err(format!("only letters, digits, '.', '_', '-' and '/' (not {c:?})"));
    }
    if rest.is_empty() {
        return Err("a client cannot be mounted on /".into());
    }
    if rest.split('/').any(|p| p.is_empty() || p == "." || p == "..") {
        return Err(format!("{path:?} has an empty, '.' or '..' component"));
    }
    let top = rest.split('/').next().unwrap_or_default();
    if SYSTEM_DIRS.contains(&top) {
        return Err(format!("{path:?} is in the system directory /{top}"));
    }
    Ok(())
}

/// Of the mount points `taken` on a host (its live client mounts, and
/// `/mnt/NAME` of each target it may serve), the first that `path`
/// equals, is inside, or holds: mounting there would stack on it or hide
/// it.
pub fn overlapping_mountpoint<'a>(path: &str, taken: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let within =
        |inner: &str, outer: &str| inner == outer || inner.strip_prefix(outer).is_some_and(|r| r.starts_with('/'));
    taken.into_iter().find(|t| within(path, t) || within(t, path))
}

/// Client mount options Chroma passes on: llite's (`ll_options` in 2.15),
/// the VFS flags a Lustre client takes, and the userspace ones mount(8)
/// keeps for itself. Not `acl`/`noacl`: 2.15's `ll_sbi_flags_name` lists
/// them after its end marker, so `ll_options` refuses them ("Unknown
/// option 'acl', won't mount.", EINVAL; ACLs follow the MDT's setting).
const CLIENT_OPTIONS: [&str; 30] = [
    "defaults",
    "_netdev",
    "noauto",
    "nofail",
    "ro",
    "rw",
    "noatime",
    "relatime",
    "nosuid",
    "nodev",
    "noexec",
    "flock",
    "localflock",
    "noflock",
    "user_xattr",
    "nouser_xattr",
    "checksum",
    "nochecksum",
    "lruresize",
    "nolruresize",
    "lazystatfs",
    "nolazystatfs",
    "user_fid2path",
    "nouser_fid2path",
    "verbose",
    "noverbose",
    "always_ping",
    "encrypt",
    "noencrypt",
    "32bitapi",
];

/// Comma-separated client mount options, each one Chroma knows, none
/// twice ('' is the defaults).
pub fn check_client_options(options: &str) -> Result<(), String> {
    if options.is_empty() {
        return Ok(());
    }
    let opts: Vec<&str> = options.split(',').collect();
    for (i, opt) in opts.iter().enumerate() {
        if opt.is_empty() {
            return Err("an empty option (two commas, or one at an end)".into());
        }
        if !CLIENT_OPTIONS.contains(opt) {
            return Err(format!(
                "{opt:?} is not a Lustre client mount option Chroma passes on (known: {})",
                CLIENT_OPTIONS.join(", ")
            ));
        }
        if opts[..i].contains(opt) {
            return Err(format!("{opt:?} is given twice"));
        }
    }
    let has = |o: &str| opts.contains(&o);
    if [has("flock"), has("localflock"), has("noflock")]
        .iter()
        .filter(|b| **b)
        .count()
        > 1
    {
        return Err("at most one of flock, localflock and noflock".into());
    }
    if has("ro") && has("rw") {
        return Err("ro and rw together".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{check_client_mountpoint, check_client_options, overlapping_mountpoint};

    #[test]
    fn a_mount_point_may_not_stack_on_or_hide_another() {
        let taken = ["/mnt/fs1", "/mnt/fs1-OST0000"];
        assert_eq!(overlapping_mountpoint("/mnt/fs1", taken), Some("/mnt/fs1"));
        assert_eq!(overlapping_mountpoint("/mnt/fs1/sub", taken), Some("/mnt/fs1"));
        assert_eq!(overlapping_mountpoint("/mnt", taken), Some("/mnt/fs1"));
        assert_eq!(
            overlapping_mountpoint("/mnt/fs1-OST0000/x", taken),
            Some("/mnt/fs1-OST0000")
        );
        assert_eq!(overlapping_mountpoint("/mnt/fs12", taken), None);
        assert_eq!(overlapping_mountpoint("/lustre/fs1", taken), None);
    }

    #[test]
    fn mount_points_are_plain_absolute_paths_outside_system_directories() {
        assert_eq!(check_client_mountpoint("/mnt/fs1"), Ok(()));
        assert_eq!(check_client_mountpoint("/lustre/scratch_1.a"), Ok(()));
        for bad in [
            "mnt/fs1",
            "/",
            "/mnt/../etc",
            "/mnt//x",
            "/mnt/x/",
            "/mnt/a b",
            "/mnt/$x",
            "/etc/x",
            "/proc",
        ] {
            assert!(check_client_mountpoint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn options_are_known_client_options() {
        assert_eq!(check_client_options(""), Ok(()));
        assert_eq!(check_client_options("flock,user_xattr,noatime"), Ok(()));
        for bad in [
            "frob",
            "flock,,ro",
            "flock,flock",
            "flock,localflock",
            "ro,rw",
            "flock;rm",
            "acl",
            "flock,noacl",
        ] {
            assert!(check_client_options(bad).is_err(), "{bad}");
        }
    }
}
