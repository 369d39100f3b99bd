//! `/proc/stat` in the layout of Linux 4.18's `show_stat`: the `cpu` line
//! (user nice system idle iowait irq softirq steal guest guest_nice, in
//! USER_HZ jiffies), one line per CPU, then `intr`, `ctxt`, `btime`,
//! `processes`, `procs_running`, `procs_blocked` and `softirq`.
//!
//! Counters are a function of time: every CPU ticks [`HZ`] jiffies a
//! second since the boot, of which a base 2 % are busy plus 1.5 % per
//! target-second the host served ([`ClusterState::activity`]), capped at
//! 95 %. Everything stays monotonic while a host holds fewer than 60
//! targets.

use crate::state::ClusterState;

/// CPUs of a simulated server.
pub const CPUS: u64 = 8;

/// Jiffies a second (`USER_HZ`).
pub const HZ: u64 = 100;

/// How busy jiffies split: user, system, iowait, irq, softirq (percent).
const SPLIT: [u64; 5] = [35, 40, 15, 2, 8];

/// `/proc/stat` of `host` at `now` (seconds since the epoch).
pub fn render(state: &ClusterState, host: &str, now: u64) -> String {
    let booted = state.host(host).map_or(now, |h| h.boot.secs());
    let uptime = now.saturating_sub(booted);
    let served = state.activity(host, now);
    let targets = state.mounted_count(host);
    let total = CPUS * HZ * uptime;
    let busy = (total / 50 + CPUS * HZ * served * 15 / 1000).min(total / 100 * 95);
    let [user, system, iowait, irq, softirq] = SPLIT.map(|pct| busy * pct / 100);
    // Idle takes what the rounding leaves, so the fields add up to the
    // clock (and a second's 800 jiffies always cover the busy growth).
    let idle = total - (user + system + iowait + irq + softirq);
    let fields = [user, 0, system, idle, iowait, irq, softirq, 0, 0, 0];
    let mut out = format!("cpu {}\n", numbers(&fields));
    for cpu in 0..CPUS {
        // (f + i) / n over i = 0..n adds up to f exactly, and each share
        // grows with f.
        let share = fields.map(|f| (f + cpu) / CPUS);
        out.push_str(&format!("cpu{cpu}{}\n", numbers(&share)));
    }
    let interrupts = uptime * CPUS * 250 + served * 2_000;
    let mut per_irq = [0u64; 64];
    // The timer, the NIC's queues and the HBA take nearly all of them.
    for (irq, weight) in [(0, 30), (24, 20), (25, 20), (26, 15), (40, 14)] {
        per_irq[irq] = interrupts * weight / 100;
    }
    out.push_str(&format!("intr {interrupts}{}\n", numbers(&per_irq)));
    out.push_str(&format!(
        "ctxt {}\nbtime {booted}\nprocesses {}\nprocs_running {}\nprocs_blocked {}\n",
        uptime * CPUS * 400 + served * 5_000,
        1_500 + uptime / 10 + served / 100,
        1 + targets / 4,
        targets / 10,
    ));
    let softirqs = uptime * CPUS * 300 + served * 3_000;
    // HI TIMER NET_TX NET_RX BLOCK IRQ_POLL TASKLET SCHED HRTIMER RCU
    let weights = [0, 25, 2, 30, 10, 0, 1, 17, 0, 15];
    out.push_str(&format!(
        "softirq {softirqs}{}\n",
        numbers(&weights.map(|w| softirqs * w / 100))
    ));
    out
}

/// ` a b c` (each number after a space).
fn numbers(values: &[u64]) -> String {
    values.iter().map(|v| format!(" {v}")).collect()
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;
    use crate::commands::test_support::{cluster, run};

    fn cpu_line(text: &str, prefix: &str) -> Vec<u64> {
        let line = text.lines().find(|l| l.starts_with(prefix)).unwrap();
        line.split_whitespace().skip(1).map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn counters_tick_with_time_and_get_busier_with_targets() {
        let mut state = cluster();
        let boot = state.host("oss1").unwrap().boot.secs();
        let idle_host = render(&state, "oss1", boot + 100);
        assert!(idle_host.starts_with("cpu  "), "{idle_host}");
        let cpu = cpu_line(&idle_host, "cpu ");
        assert_eq!(cpu.len(), 10);
        assert_eq!(cpu.iter().sum::<u64>(), CPUS * HZ * 100);
        let per_cpu: Vec<Vec<u64>> = (0..CPUS).map(|i| cpu_line(&idle_host, &format!("cpu{i} "))).collect();
        for field in 0..10 {
            assert_eq!(per_cpu.iter().map(|c| c[field]).sum::<u64>(), cpu[field]);
        }
        assert!(idle_host.contains(&format!("\nbtime {boot}\n")), "{idle_host}");
        for key in [
            "intr ",
            "ctxt ",
            "processes ",
            "procs_running ",
            "procs_blocked ",
            "softirq ",
        ] {
            assert!(idle_host.contains(&format!("\n{key}")), "{key}: {idle_host}");
        }
        assert_eq!(run(&mut state, "oss1", "modprobe lnet").code, 0);
        assert_eq!(run(&mut state, "oss1", "lnetctl lnet configure --all").code, 0);
        assert_eq!(run(&mut state, "mds1", "mkfs.lustre --mgs /dev/sdb").code, 0);
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdb /mnt/mgs").code, 0);
        let since = state.mounts[0].since;
        state.host_mut("mds1").unwrap().boot.at_us = since * 1_000_000;
        state.host_mut("oss1").unwrap().boot.at_us = since * 1_000_000;
        let busy = |text: &str| {
            let c = cpu_line(text, "cpu ");
            c.iter().sum::<u64>() - c[3]
        };
        let quiet = busy(&render(&state, "oss1", since + 600));
        let working = busy(&render(&state, "mds1", since + 600));
        // 2 % of 8 CPUs for 600 s, plus 1.5 % for the target's 600 s.
        assert_eq!((quiet, working), (9_600, 16_800));
        let mut last = cpu_line(&render(&state, "mds1", since), "cpu ");
        for t in (since..since + 3_600).step_by(7) {
            let now = cpu_line(&render(&state, "mds1", t), "cpu ");
            assert!(now.iter().zip(&last).all(|(a, b)| a >= b), "{now:?} < {last:?}");
            last = now;
        }
    }
}
