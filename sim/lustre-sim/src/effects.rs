//! What the faults in `faults.json` do to the cluster state, applied by
//! the server before every command (advancing only that host's Pacemaker
//! cluster) and by its fault watcher (every 200 ms, every cluster):
//! pending `failover` faults fail the Pacemaker resource of a target,
//! pending `log` faults append journal lines, pending `reboot` faults
//! reboot their host ([`crate::runtime::reboots`]), a host going down loses its
//! HA stack, a host whose `down` fault was lifted boots again, and then
//! Pacemaker's scheduler advances ([`crate::pacemaker::scheduler::tick`]). One-shot
//! faults are recorded as used in the state (`consumed_faults`), never in
//! the fault file, which only `lustre-sim fault` writes.

use crate::commands::console;
use crate::faults::Faults;
use crate::journal::Line;
use crate::pacemaker::scheduler;
use crate::state::ClusterState;

/// Applies `faults` at `now_us`, advancing every Pacemaker cluster;
/// returns whether the state changed.
pub fn apply(state: &mut ClusterState, faults: &Faults, now_us: u64) -> bool {
    let changed = apply_faults(state, faults, now_us);
    changed | scheduler::tick(state, faults, now_us) | crate::hsm::tick(state, now_us)
}

/// Like [`apply`] before a command on `host`: of the Pacemaker clusters,
/// only `host`'s advances ([`scheduler::tick_host`]).
pub fn apply_on(state: &mut ClusterState, faults: &Faults, now_us: u64, host: &str) -> bool {
    let changed = apply_faults(state, faults, now_us);
    changed | scheduler::tick_host(state, faults, now_us, host) | crate::hsm::tick(state, now_us)
}

/// The faults' own effects, before Pacemaker's scheduler runs.
fn apply_faults(state: &mut ClusterState, faults: &Faults, now_us: u64) -> bool {
    let mut changed = boot_unbooted(state, now_us);
    changed |= downs_and_ups(state, faults, now_us);
    changed |= failovers(state, faults, now_us);
    changed |= log_lines(state, faults, now_us);
    changed |= crate::runtime::reboots(state, faults, now_us);
    changed
}

/// A state written before boots were recorded: its hosts boot now.
fn boot_unbooted(state: &mut ClusterState, now_us: u64) -> bool {
    let unbooted: Vec<String> = state
        .hosts
        .iter()
        .filter(|h| h.boot.id.is_empty())
        .map(|h| h.name.clone())
        .collect();
    for host in &unbooted {
        state.boot(host, now_us);
    }
    !unbooted.is_empty()
}

/// Fails, where it runs, the resource of each target named in a
/// not-yet-used `failover` fault; the scheduler then recovers it.
fn failovers(state: &mut ClusterState, faults: &Faults, now_us: u64) -> bool {
    let mut changed = false;
    for host_faults in faults.hosts.values() {
        for f in &host_faults.failover {
            if state.consumed_faults.insert(f.id) {
                changed = true;
                match scheduler::fail_target(state, faults, &f.command, now_us) {
                    Ok(on) => tracing::info!(target_name = %f.command, on = %on, "resource failed"),
                    Err(e) => tracing::warn!(target_name = %f.command, error = %e, "failover fault not applied"),
                }
            }
        }
    }
    changed
}

/// Notes hosts going down; a host seen down and now up has rebooted: new
/// boot, counters from zero, and its HA stack starts what it held.
fn downs_and_ups(state: &mut ClusterState, faults: &Faults, now_us: u64) -> bool {
    let mut changed = false;
    let hosts: Vec<(String, bool)> = state.hosts.iter().map(|h| (h.name.clone(), h.seen_down)).collect();
    for (host, seen_down) in hosts {
        let down = faults.host(&host).down;
        if down == seen_down {
            continue;
        }
        changed = true;
        if let Some(h) = state.host_mut(&host) {
            h.seen_down = down;
        }
        if down {
            scheduler::host_lost(state, faults, &host, now_us);
        } else {
            tracing::info!(host, "host back up: rebooted");
            state.pools_lost(&host);
            state.clients_lost(&host);
            state.boot(&host, now_us);
            console::restarted(state, &host, now_us);
            scheduler::host_booted(state, &host, now_us);
            crate::commands::mount_client::mount_fstab_at_boot(state, faults, &host, now_us);
        }
    }
    changed
}

/// Appends the lines of not-yet-used `log` faults to their hosts' journals.
fn log_lines(state: &mut ClusterState, faults: &Faults, now_us: u64) -> bool {
    let mut changed = false;
    for (host, host_faults) in &faults.hosts {
        for l in &host_faults.log {
            if state.consumed_faults.insert(l.id) {
                changed = true;
                let line = if l.identifier == "kernel" {
                    Line::kernel(l.priority, l.message.clone())
                } else {
                    let pid = 4000 + u32::try_from(l.id % 1000).unwrap_or(0);
                    let mut line = Line::daemon(&l.identifier, pid, l.priority, l.message.clone());
                    // `logger` and friends log to the user facility.
                    line.facility = 1;
                    line
                };
                state.log(host, now_us, line);
            }
        }
    }
    changed
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;
    use crate::commands::test_support::cluster;
    use crate::faults::FaultCommand;

    #[test]
    fn log_faults_append_once_and_an_up_host_reboots() {
        let mut state = cluster();
        let mut faults = Faults::default();
        faults.apply(
            "oss1",
            FaultCommand::Log {
                priority: 3,
                identifier: "kernel".into(),
                message: "LustreError: fs1-OST0000: injected".into(),
            },
        );
        assert!(apply(&mut state, &faults, 1_700_000_000_000_000));
        assert!(!apply(&mut state, &faults, 1_700_000_001_000_000));
        let last = state.journals["oss1"].entries.back().unwrap().clone();
        assert_eq!(
            (last.priority, last.message.as_str()),
            (3, "LustreError: fs1-OST0000: injected")
        );
        let boot = state.host("oss2").unwrap().boot.id.clone();
        faults.apply("oss2", FaultCommand::Down);
        assert!(apply(&mut state, &faults, 1_700_000_002_000_000));
        assert_eq!(state.host("oss2").unwrap().boot.id, boot);
        faults.apply("oss2", FaultCommand::Up);
        assert!(apply(&mut state, &faults, 1_700_000_003_000_000));
        let host = state.host("oss2").unwrap();
        assert_ne!(host.boot.id, boot);
        assert_eq!(host.boot.at_us, 1_700_000_003_000_000);
        let banner = &state.journals["oss2"].entries.back().unwrap().message;
        assert!(
            banner.starts_with("Linux version 4.18.0-477.27.1.el8_lustre.x86_64 "),
            "{banner}"
        );
    }
}
