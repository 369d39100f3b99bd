//! How long commands take: a cluster file's `latencies` section gives
//! milliseconds per command, which the serving simulator waits before it
//! runs the command (outside the state lock, so commands on many hosts
//! wait at once, as real servers work at once). Without the section every
//! command answers at once, as the test suites want. [`Latencies::realistic`]
//! is the table `lustre-sim gen-cluster` writes; docs/lustre-sim-formats.md
//! says where its figures come from.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Milliseconds per command.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latencies {
    /// By command: its name (`mkfs.lustre`), or its name and one of its
    /// arguments (`lctl get_param`, `mount lustre` for `mount -t lustre …`),
    /// which wins over the name alone.
    #[serde(default)]
    pub commands: BTreeMap<String, u64>,
    /// Any other command.
    #[serde(default)]
    pub default_ms: u64,
}

impl Latencies {
    /// No latency at all (the default).
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty() && self.default_ms == 0
    }

    /// How long `argv` takes: the entry for its name and the first of its
    /// arguments that has one, else the entry for its name, else the default.
    pub fn of(&self, argv: &[String]) -> Duration {
        let Some((name, args)) = argv.split_first() else {
            return Duration::ZERO;
        };
        let name = name.rsplit('/').next().unwrap_or(name);
        let ms = args
            .iter()
            .find_map(|arg| self.commands.get(&format!("{name} {arg}")))
            .or_else(|| self.commands.get(name))
            .copied()
            .unwrap_or(self.default_ms);
        Duration::from_millis(ms)
    }

    /// Figures for Lustre 2.15 servers on RHEL 8 with large LUNs: seconds
    /// to format a target and one or two to mount it, milliseconds to read
    /// a parameter (see docs/lustre-sim-formats.md, "Command latencies").
    pub fn realistic() -> Latencies {
        let commands = [
            ("mkfs.lustre", 8_000),
            ("tunefs.lustre", 1_000),
            ("mount lustre", 2_000),
            ("mount", 50),
            ("umount", 1_000),
            ("lctl get_param", 5),
            ("lctl list_param", 5),
            ("lctl dl", 5),
            ("lctl set_param", 20),
            ("lctl conf_param", 200),
            ("lctl", 20),
            ("modprobe", 500),
            ("lnetctl lnet", 500),
            ("lnetctl", 50),
            ("zpool", 3_000),
            ("zfs", 300),
            ("pcs", 1_000),
            ("crm_mon", 100),
            ("cibadmin", 100),
            ("crm_resource", 200),
            ("systemctl", 300),
            ("journalctl", 20),
            ("lfs", 10),
        ];
        Latencies {
            commands: commands.into_iter().map(|(c, ms)| (c.to_string(), ms)).collect(),
            default_ms: 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Latencies;
    use std::time::Duration;

    fn argv(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn a_command_and_argument_entry_wins_over_the_command_alone() {
        let latencies = Latencies::realistic();
        let ms = |line: &str| latencies.of(&argv(line));
        assert_eq!(ms("mount -t lustre /dev/sdb /mnt/ost0"), Duration::from_secs(2));
        assert_eq!(ms("mount /mnt/client"), Duration::from_millis(50));
        assert_eq!(ms("/usr/sbin/lctl get_param -n health_check"), Duration::from_millis(5));
        assert_eq!(ms("lctl pool_new fs1.p"), Duration::from_millis(20));
        assert_eq!(ms("hostname"), Duration::from_millis(2));
        assert_eq!(
            Latencies::default().of(&argv("mkfs.lustre --ost /dev/sdb")),
            Duration::ZERO
        );
    }
}
