//! Lustre client mounts as a host's `/proc/mounts` shows them
//! (`NID[:NID…]:/FSNAME DIR lustre OPTS 0 0`), read the same way by the
//! worker (before and after it mounts) and the monitor (each round).

/// One Lustre client mount line of `/proc/mounts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientMountLine {
    /// `NID[:NID…]:/FSNAME`.
    pub source: String,
    pub dir: String,
    pub options: String,
}

impl ClientMountLine {
    /// Is it a mount of file system `fsname` (its source ends `:/FSNAME`)?
    pub fn is_of(&self, fsname: &str) -> bool {
        self.source.ends_with(&format!(":/{fsname}"))
    }
}

/// The Lustre client mounts of `/proc/mounts` (targets, whose source is
/// a device, are left out).
pub fn client_mounts(proc_mounts: &str) -> Vec<ClientMountLine> {
    proc_mounts
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            match fields.as_slice() {
                [src, at, "lustre", opts, ..] if src.contains(":/") => Some(ClientMountLine {
                    source: (*src).to_owned(),
                    dir: (*at).to_owned(),
                    options: (*opts).to_owned(),
                }),
                _ => None,
            }
        })
        .collect()
}

/// The Lustre client mount at `dir`, if any (the last one: it hides
/// those under it).
pub fn client_mount_at(proc_mounts: &str, dir: &str) -> Option<ClientMountLine> {
    client_mounts(proc_mounts).into_iter().rfind(|m| m.dir == dir)
}

#[cfg(test)]
mod tests {
    use super::{client_mount_at, client_mounts};

    #[test]
    fn proc_mounts_shows_client_mounts_not_targets() {
        let text = "/dev/sdb /mnt/mgs lustre ro,svname=MGS 0 0\n\
                    proc /proc proc rw 0 0\n\
                    10.0.0.1@tcp:/fs1 /mnt/fs1 lustre rw,flock 0 0\n";
        let all = client_mounts(text);
        assert_eq!(all.len(), 1);
        let m = client_mount_at(text, "/mnt/fs1").unwrap_or_else(|| panic!("{all:?}"));
        assert_eq!(
            (m.source.as_str(), m.options.as_str()),
            ("10.0.0.1@tcp:/fs1", "rw,flock")
        );
        assert!(m.is_of("fs1") && !m.is_of("fs"));
        assert_eq!(client_mount_at(text, "/mnt/mgs"), None);
        assert_eq!(client_mount_at(text, "/mnt/other"), None);
    }
}
