//! What a simulated host has been doing since it booted: the boot itself,
//! the target-seconds it has served (CPU and LNet counters grow with them,
//! see `commands::proc_stat` and `commands::lnetctl`), and the state
//! changes that must keep those counters monotonic: a mount ending, LNet
//! starting or stopping. A reboot (`fault HOST reboot`) starts it all
//! afresh.

use serde::{Deserialize, Serialize};

use crate::commands::console;
use crate::faults::Faults;
use crate::journal::{hex_id, Journal};
use crate::pacemaker::scheduler;
use crate::state::{ClusterState, Mount};

/// Reboots each host named in a not-yet-used `reboot` fault (a host that
/// is down boots when it comes up anyway); returns whether any did.
pub fn reboots(state: &mut ClusterState, faults: &Faults, now_us: u64) -> bool {
    let mut changed = false;
    for (host, host_faults) in &faults.hosts {
        for id in &host_faults.reboot {
            if state.consumed_faults.insert(*id) {
                changed = true;
                if !host_faults.down {
                    tracing::info!(host, "rebooting");
                    state.reboot(faults, host, now_us);
                }
            }
        }
    }
    changed
}

/// A host's current boot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Boot {
    /// When it booted, microseconds since the epoch.
    pub at_us: u64,
    /// `_BOOT_ID` (32 hex digits); empty until the first boot.
    pub id: String,
}

impl Boot {
    /// Boot time in seconds since the epoch (`btime`).
    pub fn secs(&self) -> u64 {
        self.at_us / 1_000_000
    }
}

/// Counters of what a host served during its current boot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    /// Target-seconds of mounts that ended during this boot.
    pub ended: u64,
    /// When LNet last came up (seconds since the epoch).
    pub lnet_since: u64,
    /// [`ClusterState::activity`] when LNet last came up.
    pub lnet_base: u64,
}

impl ClusterState {
    /// Boots `host` at `now_us`: a new boot id, counters from zero, a
    /// journal if it has none, and the kernel's first line.
    pub fn boot(&mut self, host: &str, now_us: u64) {
        let Some(h) = self.host_mut(host) else {
            return;
        };
        h.boot = Boot {
            at_us: now_us,
            id: hex_id(&format!("boot {host} {now_us}")),
        };
        h.activity = Activity {
            ended: 0,
            lnet_since: now_us / 1_000_000,
            lnet_base: 0,
        };
        self.journals
            .entry(host.to_string())
            .or_insert_with(|| std::sync::Arc::new(Journal::new(host, now_us)));
        console::booted(self, host, now_us);
    }

    /// A clean reboot of `host` (`fault HOST reboot`, like `systemctl
    /// reboot`): Pacemaker shuts down (its resources stop here and the
    /// peers' scheduler takes them), the other targets are unmounted, and
    /// the host boots with no module loaded and LNet down; enabled
    /// corosync and pacemaker units start again.
    pub fn reboot(&mut self, faults: &Faults, host: &str, now_us: u64) {
        if self.ha.hosts.contains_key(host) {
            crate::commands::systemctl::stop_unit(self, faults, host, "corosync", now_us);
            scheduler::tick(self, faults, now_us);
        }
        let serials: Vec<String> = self
            .mounts
            .iter()
            .filter(|m| m.host == host)
            .map(|m| m.serial.clone())
            .collect();
        for serial in serials {
            self.remove_mount(&serial, now_us / 1_000_000);
            if let Some(target) = self.devices.get(&serial).and_then(|d| d.target.clone()) {
                console::unmounted(self, host, &target, false, now_us);
            }
        }
        self.unload_all_modules(host);
        self.pools_lost(host);
        self.clients_lost(host);
        self.boot(host, now_us);
        scheduler::host_booted(self, host, now_us);
        crate::commands::mount_client::mount_fstab_at_boot(self, faults, host, now_us);
    }

    /// Target-seconds `host` has served during its current boot, at `now`
    /// (seconds): ended mounts plus the mounts it holds.
    pub fn activity(&self, host: &str, now: u64) -> u64 {
        let Some(h) = self.host(host) else {
            return 0;
        };
        let booted = h.boot.secs();
        let current: u64 = self
            .mounts
            .iter()
            .filter(|m| m.host == host)
            .map(|m| now.saturating_sub(m.since.max(booted)))
            .sum();
        h.activity.ended + current
    }

    /// The number of targets mounted on `host`.
    pub fn mounted_count(&self, host: &str) -> u64 {
        self.mounts.iter().filter(|m| m.host == host).count() as u64
    }

    /// Removes the mount of device `serial`, keeping what it served in its
    /// host's counters.
    pub fn remove_mount(&mut self, serial: &str, now: u64) -> Option<Mount> {
        let i = self.mounts.iter().position(|m| m.serial == serial)?;
        let mount = self.mounts.remove(i);
        if let Some(h) = self.host_mut(&mount.host) {
            let booted = h.boot.secs();
            h.activity.ended += now.saturating_sub(mount.since.max(booted));
        }
        Some(mount)
    }

    /// Starts or stops LNet on `host` at `now_us`; a change is logged and
    /// restarts the LNet counters, as LNet's own counters restart.
    pub fn set_lnet(&mut self, host: &str, up: bool, now_us: u64) {
        let now = now_us / 1_000_000;
        let activity = self.activity(host, now);
        let Some(h) = self.host_mut(host) else {
            return;
        };
        if h.lnet_up == up {
            return;
        }
        h.lnet_up = up;
        if up {
            h.activity.lnet_since = now;
            h.activity.lnet_base = activity;
            // Only the loopback network: no LNI to announce.
            if !h.lnet_lo_only {
                console::lnet_started(self, host, now_us);
            }
        } else {
            h.lnet_nis.clear();
            if !h.lnet_lo_only {
                console::lnet_stopped(self, host, now_us);
            }
        }
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use crate::commands::test_support::{cluster, run};

    #[test]
    fn a_reboot_drops_mounts_and_modules() {
        let mut state = cluster();
        assert_eq!(run(&mut state, "mds1", "mkfs.lustre --mgs /dev/sdb").code, 0);
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdb /mnt/mgs").code, 0);
        let boot = state.host("mds1").unwrap().boot.clone();
        let mut faults = crate::faults::Faults::default();
        faults.apply("mds1", crate::faults::FaultCommand::Reboot);
        let later = boot.at_us + 5_000_000;
        assert!(crate::effects::apply(&mut state, &faults, later));
        assert!(!crate::effects::apply(&mut state, &faults, later + 1));
        let host = state.host("mds1").unwrap();
        assert!(state.mounts.is_empty());
        assert!(host.modules.is_empty() && !host.lnet_up);
        assert_ne!(host.boot.id, boot.id);
        assert_eq!(host.boot.at_us, later);
        let journal: Vec<&str> = state.journals["mds1"]
            .entries
            .iter()
            .map(|e| e.message.as_str())
            .collect();
        assert!(
            journal.last().is_some_and(|m| m.starts_with("Linux version")),
            "{journal:#?}"
        );
        assert!(journal.contains(&"Lustre: server umount MGS complete"), "{journal:#?}");
        assert_eq!(run(&mut state, "mds1", "lnetctl lnet configure --all").code, 254);
    }

    #[test]
    fn activity_keeps_what_ended_mounts_served() {
        let mut state = cluster();
        assert_eq!(run(&mut state, "mds1", "mkfs.lustre --mgs /dev/sdb").code, 0);
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdb /mnt/mgs").code, 0);
        let since = state.mounts[0].since;
        let host = state.host_mut("mds1").unwrap();
        host.boot.at_us = (since - 1000) * 1_000_000;
        assert_eq!(state.activity("mds1", since + 60), 60);
        let serial = state.mounts[0].serial.clone();
        state.remove_mount(&serial, since + 100).unwrap();
        assert_eq!(state.activity("mds1", since + 500), 100);
        assert_eq!(state.mounted_count("mds1"), 0);
    }
}
