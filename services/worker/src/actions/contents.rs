//! What a volume holds, as `blkid -p -o export DEV` reads it from the
//! device itself: `TYPE` (file system), `PTTYPE` (partition table), `LABEL`
//! and `UUID`. blkid exits 2 without output for a device holding nothing
//! it knows.

use chroma_ssh::ExecOutput;
use std::time::Duration;

use super::blkid::{self, labels_target};
use super::servers::Server;
use super::targets::TargetRow;
use crate::error::ActionError;
use crate::shared::Shared;

/// blkid's exit status when it found nothing to report.
const NOTHING_FOUND: u32 = 2;
/// Longest a command waits for the device's lock (`flock --timeout`): an
/// earlier attempt's `mkfs.lustre` may hold it that long.
pub const LOCK_WAIT_SECS: u64 = 3600;
/// A little more than [`LOCK_WAIT_SECS`], for the SSH call around it.
const LOCKED_READ_TIMEOUT: Duration = Duration::from_secs(LOCK_WAIT_SECS + 120);

/// The signatures blkid found on a device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contents {
    pub fs_type: Option<String>,
    pub pt_type: Option<String>,
    pub label: Option<String>,
    pub uuid: Option<String>,
}

impl Contents {
    /// Parses `blkid -p -o export` output for one device.
    pub fn parse(stdout: &str) -> Contents {
        let mut probe = blkid::parse_export(stdout).into_iter().next().unwrap_or_default();
        let mut take = |key: &str| probe.remove(key).filter(|v| !v.is_empty());
        Contents {
            fs_type: take("TYPE"),
            pt_type: take("PTTYPE"),
            label: take("LABEL"),
            uuid: take("UUID"),
        }
    }

    /// Whether the device holds anything blkid knows.
    pub fn holds_data(&self) -> bool {
        self.fs_type.is_some() || self.pt_type.is_some()
    }

    /// Whether it carries the label of target `name`, registered or not.
    pub fn labels(&self, name: &str) -> bool {
        self.label.as_deref().is_some_and(|l| labels_target(l, name))
    }

    /// The UUID, `''` for none (as the format marker records it).
    pub fn uuid_or_empty(&self) -> &str {
        self.uuid.as_deref().unwrap_or("")
    }

    /// `ext4 data labelled fs1:OST0000`, for messages.
    pub fn describe(&self) -> String {
        let kind = self.fs_type.as_deref().or(self.pt_type.as_deref()).unwrap_or("no");
        match &self.label {
            Some(label) => format!("{kind} data labelled {label}"),
            None => format!("{kind} data"),
        }
    }
}

/// `blkid -p -o export DEV`, taken under the device's lock:
/// `flock --timeout 3600 DEV blkid …`.
pub fn locked_argv(device: &str) -> Vec<String> {
    locked(device, &["blkid", "-p", "-o", "export", device])
}

/// `argv` run under `flock --timeout` on `device`, so that it waits while
/// another command holding the lock (an earlier attempt's mkfs) runs.
pub fn locked(device: &str, argv: &[&str]) -> Vec<String> {
    let wait = LOCK_WAIT_SECS.to_string();
    let mut locked: Vec<String> = ["flock", "--timeout", &wait, device].map(str::to_owned).to_vec();
    locked.extend(argv.iter().map(|a| (*a).to_owned()));
    locked
}

/// What `device` on `host` holds now, read without the lock.
pub async fn read(shared: &Shared, host: &Server, device: &str) -> Result<Contents, ActionError> {
    let argv = ["blkid", "-p", "-o", "export", device];
    let output = host.exec(shared, &argv).await?;
    interpret(host, &argv, &output)
}

/// What `device` on `host` holds once no one else holds its lock.
pub async fn read_locked(shared: &Shared, host: &Server, device: &str) -> Result<Contents, ActionError> {
    let argv = locked_argv(device);
    let output = host.exec_for(shared, &argv, LOCKED_READ_TIMEOUT).await?;
    interpret(host, &argv, &output)
}

/// What `device` on `host` holds, which must be target `target`'s file
/// system (either label); fails naming what it holds instead.
pub async fn require_target(
    shared: &Shared,
    target: &TargetRow,
    host: &Server,
    device: &str,
) -> Result<Contents, ActionError> {
    let found = read(shared, host, device).await?;
    if found.labels(&target.name) {
        return Ok(found);
    }
    Err(ActionError::Refused(format!(
        "volume {} ({device} on {}) holds {}, not {}; refusing to mount it",
        target.serial,
        host.name,
        found.describe(),
        target.name
    )))
}

fn interpret<S: AsRef<str>>(host: &Server, argv: &[S], output: &ExecOutput) -> Result<Contents, ActionError> {
    match output.exit_status {
        Some(0) => Ok(Contents::parse(&output.stdout)),
        Some(NOTHING_FOUND) if output.stdout.trim().is_empty() => Ok(Contents::default()),
        _ => Err(host.failed(argv, output)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_lustre_target_a_partition_table_and_nothing() {
        let ost = Contents::parse("DEVNAME=/dev/sdb\nLABEL=fs1:OST0000\nUUID=0f1e-22\nTYPE=ext4\nUSAGE=filesystem\n");
        assert!(ost.holds_data());
        assert!(ost.labels("fs1-OST0000"));
        assert!(!ost.labels("fs1-OST0001"));
        assert_eq!(ost.uuid_or_empty(), "0f1e-22");
        assert_eq!(ost.describe(), "ext4 data labelled fs1:OST0000");
        let table = Contents::parse("DEVNAME=/dev/sdc\nPTUUID=ab\nPTTYPE=gpt\n");
        assert!(table.holds_data());
        assert_eq!((table.describe(), table.uuid_or_empty()), ("gpt data".into(), ""));
        let empty = Contents::parse("");
        assert!(!empty.holds_data());
        assert_eq!(empty, Contents::default());
    }

    #[test]
    fn reads_under_the_devices_lock() {
        assert_eq!(
            locked_argv("/dev/sdb"),
            [
                "flock",
                "--timeout",
                "3600",
                "/dev/sdb",
                "blkid",
                "-p",
                "-o",
                "export",
                "/dev/sdb"
            ]
        );
    }
}
