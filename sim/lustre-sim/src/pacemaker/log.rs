//! What the HA daemons write to a host's journal: `pacemaker-controld`,
//! `pacemaker-schedulerd`, `pacemaker-fenced`, `pacemakerd` and
//! `corosync`. Pacemaker's syslog format is `"%g %p: %b"` with an empty
//! tag, so a message starts with ` notice: ` (see
//! docs/lustre-sim-formats.md).

use crate::journal::Line;
use crate::state::ClusterState;

/// Syslog priorities.
pub const ERR: u8 = 3;
/// `LOG_WARNING`.
pub const WARNING: u8 = 4;
/// `LOG_NOTICE`.
pub const NOTICE: u8 = 5;
/// `LOG_INFO`.
pub const INFO: u8 = 6;

/// A daemon's pid on a host: stable, like a daemon running since boot.
pub fn pid(host: &str, daemon: &str) -> u32 {
    let base = match daemon {
        "corosync" => 1100,
        "pacemakerd" => 1300,
        "pacemaker-fenced" => 1310,
        "pacemaker-schedulerd" => 1330,
        _ => 2000,
    };
    base + host.bytes().map(u32::from).sum::<u32>() % 1000
}

fn word(priority: u8) -> &'static str {
    match priority {
        0..=3 => "error",
        4 => "warning",
        5 => "notice",
        _ => "info",
    }
}

/// Logs a Pacemaker daemon's line (` notice: …`).
pub fn pacemaker(state: &mut ClusterState, host: &str, daemon: &str, priority: u8, now_us: u64, message: &str) {
    let line = Line::daemon(
        daemon,
        pid(host, daemon),
        priority,
        format!(" {}: {message}", word(priority)),
    );
    state.log(host, now_us, line);
}

/// `pacemaker-controld` at notice level.
pub fn controld(state: &mut ClusterState, host: &str, now_us: u64, message: &str) {
    pacemaker(state, host, "pacemaker-controld", NOTICE, now_us, message);
}

/// A corosync line (`  [KNET  ] …` style subsystem prefix included).
pub fn corosync(state: &mut ClusterState, host: &str, priority: u8, now_us: u64, message: &str) {
    let line = Line::daemon("corosync", pid(host, "corosync"), priority, message.to_string());
    state.log(host, now_us, line);
}
