//! Fault injection. The `lustre-sim fault` command writes `faults.json` in
//! the state directory; the serving process re-reads it on every connection
//! and command, and polls it to drop the sessions of a host that went down.
//! Only the `fault` command writes this file; the server records which
//! one-shot faults (`fail-next`, `failover`, `fail-start`, `log`, `reboot`) it has used in its own
//! state, so the two never race.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::state::write_atomically;

/// File name of the fault file inside the state directory.
pub const FAULTS_FILE: &str = "faults.json";

/// Faults of every host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Faults {
    /// Faults by host name.
    pub hosts: BTreeMap<String, HostFaults>,
}

/// Faults of one host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostFaults {
    /// The host is down: its SSH port drops every connection.
    #[serde(default)]
    pub down: bool,
    /// Extra milliseconds every command takes.
    #[serde(default)]
    pub slow_ms: u64,
    /// Running commands survive kills: the SSH `signal` request is
    /// ignored (and the process-group kill, which the simulator never
    /// honours anyway), until the fault is lifted; a later signal kills.
    #[serde(default)]
    pub unkillable: bool,
    /// Commands whose next invocation fails once.
    #[serde(default)]
    pub fail_next: Vec<FailNext>,
    /// Pacemaker failures to simulate once: `command` is a target name
    /// (`fs1-OST0000`); the resource whose device it is fails where it
    /// runs (fail-count INFINITY there) and Pacemaker recovers it.
    #[serde(default)]
    pub failover: Vec<FailNext>,
    /// Resources whose next start on this host fails (`command` is the
    /// resource id), once each.
    #[serde(default)]
    pub fail_start: Vec<FailNext>,
    /// Journal lines to append on the host, once each.
    #[serde(default)]
    pub log: Vec<LogLine>,
    /// Targets (`fs1-OST0001`) that report this percentage of their space
    /// and inodes used, until cleared. Kept under the host it was given
    /// for, but followed wherever the target runs.
    #[serde(default)]
    pub fill: BTreeMap<String, u8>,
    /// Reboots to perform once each, by id (like [`FailNext::id`]).
    #[serde(default)]
    pub reboot: Vec<u64>,
}

/// One pending journal line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// Unique id, like [`FailNext::id`].
    pub id: u64,
    /// Syslog priority, 0 (emerg) to 7 (debug).
    pub priority: u8,
    /// `SYSLOG_IDENTIFIER`; `kernel` makes it a kernel line.
    pub identifier: String,
    /// The message.
    pub message: String,
}

/// One pending "fail the next invocation of COMMAND".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailNext {
    /// Unique id (nanoseconds since the epoch when injected).
    pub id: u64,
    /// First word of the command line, e.g. `mkfs.lustre`.
    pub command: String,
}

/// A fault to inject, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultCommand {
    /// Take the host down.
    Down,
    /// Bring it back up and clear its slowness.
    Up,
    /// Reboot it cleanly, once: mounts gone, modules unloaded, new boot.
    Reboot,
    /// Slow every command by this many milliseconds (0 clears).
    Slow(u64),
    /// Running commands survive kills until [`FaultCommand::Killable`].
    Unkillable,
    /// Kills work again.
    Killable,
    /// Fail the next invocation of this command once.
    FailNext(String),
    /// Fail the Pacemaker resource holding this target where it runs, once.
    Failover(String),
    /// Fail the next start of this Pacemaker resource on the host.
    FailStart(String),
    /// Append a line to the host's journal, once.
    Log {
        /// 0 (emerg) to 7 (debug).
        priority: u8,
        /// `SYSLOG_IDENTIFIER` (`kernel` for a kernel line).
        identifier: String,
        /// The message.
        message: String,
    },
    /// Make a target report `percent` % used (`None` clears it).
    Fill {
        /// Target name, e.g. `fs1-OST0001`.
        target: String,
        /// 0 to 100, or `None` for `off`.
        percent: Option<u8>,
    },
}

/// Syslog priority names, as `logger -p` accepts them, by number.
const PRIORITIES: [&[&str]; 8] = [
    &["emerg", "panic"],
    &["alert"],
    &["crit"],
    &["err", "error"],
    &["warning", "warn"],
    &["notice"],
    &["info"],
    &["debug"],
];

fn parse_priority(word: &str) -> anyhow::Result<u8> {
    if let Ok(n) = word.parse::<u8>() {
        if n < 8 {
            return Ok(n);
        }
    }
    PRIORITIES
        .iter()
        .position(|names| names.contains(&word))
        .and_then(|i| u8::try_from(i).ok())
        .with_context(|| format!("bad priority {word:?}: 0-7 or emerg, alert, crit, err, warning, notice, info, debug"))
}

fn parse_percent(word: &str) -> anyhow::Result<Option<u8>> {
    if word == "off" {
        return Ok(None);
    }
    let percent: u8 = word
        .trim_end_matches('%')
        .parse()
        .ok()
        .filter(|p| *p <= 100)
        .with_context(|| format!("bad fill {word:?}: a percentage 0-100, or off"))?;
    Ok(Some(percent))
}

impl FaultCommand {
    /// Parses `down`, `up`, `reboot`, `slow MS`, `unkillable`, `killable`,
    /// `fail-next COMMAND`, `failover TARGET`,
    /// `fail-start RESOURCE`,
    /// `log PRIORITY IDENTIFIER MESSAGE…`, `fill TARGET PERCENT|off`.
    pub fn parse(words: &[String]) -> anyhow::Result<FaultCommand> {
        match words {
            [w] if w == "down" => Ok(FaultCommand::Down),
            [w] if w == "up" => Ok(FaultCommand::Up),
            [w] if w == "reboot" => Ok(FaultCommand::Reboot),
            [w] if w == "unkillable" => Ok(FaultCommand::Unkillable),
            [w] if w == "killable" => Ok(FaultCommand::Killable),
            [w, ms] if w == "slow" => Ok(FaultCommand::Slow(ms.parse().context("slow takes milliseconds")?)),
            [w, cmd] if w == "fail-next" => Ok(FaultCommand::FailNext(cmd.clone())),
            [w, target] if w == "failover" => Ok(FaultCommand::Failover(target.clone())),
            [w, id] if w == "fail-start" => Ok(FaultCommand::FailStart(id.clone())),
            [w, priority, identifier, message @ ..] if w == "log" && !message.is_empty() => Ok(FaultCommand::Log {
                priority: parse_priority(priority)?,
                identifier: identifier.clone(),
                message: message.join(" "),
            }),
            [w, target, percent] if w == "fill" => Ok(FaultCommand::Fill {
                target: target.clone(),
                percent: parse_percent(percent)?,
            }),
            _ => anyhow::bail!(
                "expected one of: down, up, reboot, slow MS, unkillable, killable, fail-next COMMAND, failover TARGET, \
                 fail-start RESOURCE, log PRIORITY IDENTIFIER MESSAGE…, fill TARGET PERCENT|off"
            ),
        }
    }
}

impl Faults {
    /// Reads `faults.json`; a missing file means no faults.
    pub fn load(dir: &Path) -> anyhow::Result<Faults> {
        let path = dir.join(FAULTS_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).with_context(|| format!("failed to parse {}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Faults::default()),
            Err(e) => Err(e).with_context(|| format!("failed to read {}", path.display())),
        }
    }

    /// Writes `faults.json` atomically.
    pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self).context("failed to serialise faults")?;
        write_atomically(&dir.join(FAULTS_FILE), text.as_bytes())
    }

    /// The faults of one host (none if unknown).
    pub fn host(&self, name: &str) -> HostFaults {
        self.hosts.get(name).cloned().unwrap_or_default()
    }

    /// Applies a fault command to a host.
    pub fn apply(&mut self, host: &str, command: FaultCommand) {
        if let FaultCommand::Fill { target, percent } = command {
            // One fill per target: the latest, wherever it was given.
            for other in self.hosts.values_mut() {
                other.fill.remove(&target);
            }
            if let Some(percent) = percent {
                self.hosts
                    .entry(host.to_string())
                    .or_default()
                    .fill
                    .insert(target, percent);
            }
            return;
        }
        let entry = self.hosts.entry(host.to_string()).or_default();
        match command {
            FaultCommand::Down => entry.down = true,
            FaultCommand::Up => {
                entry.down = false;
                entry.slow_ms = 0;
            }
            FaultCommand::Slow(ms) => entry.slow_ms = ms,
            FaultCommand::Unkillable => entry.unkillable = true,
            FaultCommand::Killable => entry.unkillable = false,
            FaultCommand::Reboot => {
                let id = next_id(entry);
                entry.reboot.push(id);
            }
            FaultCommand::FailNext(cmd) => {
                let id = next_id(entry);
                entry.fail_next.push(FailNext { id, command: cmd });
            }
            FaultCommand::Failover(target) => {
                let id = next_id(entry);
                entry.failover.push(FailNext { id, command: target });
            }
            FaultCommand::FailStart(resource) => {
                let id = next_id(entry);
                entry.fail_start.push(FailNext { id, command: resource });
            }
            FaultCommand::Log {
                priority,
                identifier,
                message,
            } => {
                let id = next_id(entry);
                entry.log.push(LogLine {
                    id,
                    priority,
                    identifier,
                    message,
                });
            }
            FaultCommand::Fill { .. } => {}
        }
    }
}

/// A fresh id: nanoseconds since the epoch, above every id already used.
fn next_id(entry: &HostFaults) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or_default();
    entry
        .fail_next
        .iter()
        .chain(&entry.failover)
        .chain(&entry.fail_start)
        .map(|f| f.id + 1)
        .chain(entry.log.iter().map(|l| l.id + 1))
        .chain(entry.reboot.iter().map(|id| id + 1))
        .max()
        .unwrap_or(0)
        .max(now)
}

/// Injects a fault into the simulator serving from `dir` (the library form
/// of `lustre-sim --state-dir DIR fault HOST …`).
pub fn inject(dir: &Path, host: &str, command: FaultCommand) -> anyhow::Result<()> {
    if let Some(state) = crate::state::StateStore::new(dir)?.load()? {
        if state.host(host).is_none() {
            anyhow::bail!("no host named {host} in {}", dir.display());
        }
        if let FaultCommand::Failover(target) = &command {
            crate::pacemaker::scheduler::resource_of_target(&state, target).map_err(anyhow::Error::msg)?;
        }
    }
    let mut faults = Faults::load(dir)?;
    faults.apply(host, command);
    faults.save(dir)
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;

    #[test]
    fn parses_fault_words() {
        let w = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(FaultCommand::parse(&w("down")).unwrap(), FaultCommand::Down);
        assert_eq!(FaultCommand::parse(&w("slow 250")).unwrap(), FaultCommand::Slow(250));
        assert_eq!(
            FaultCommand::parse(&w("fail-next mkfs.lustre")).unwrap(),
            FaultCommand::FailNext("mkfs.lustre".into())
        );
        assert!(FaultCommand::parse(&w("slow fast")).is_err());
        assert_eq!(FaultCommand::parse(&w("unkillable")).unwrap(), FaultCommand::Unkillable);
        assert_eq!(FaultCommand::parse(&w("killable")).unwrap(), FaultCommand::Killable);
        assert!(FaultCommand::parse(&w("explode")).is_err());
        assert_eq!(
            FaultCommand::parse(&w("log err kernel LustreError: fs1-OST0001: disk full")).unwrap(),
            FaultCommand::Log {
                priority: 3,
                identifier: "kernel".into(),
                message: "LustreError: fs1-OST0001: disk full".into()
            }
        );
        assert!(matches!(
            FaultCommand::parse(&w("log 6 sshd hello")).unwrap(),
            FaultCommand::Log { priority: 6, .. }
        ));
        assert!(FaultCommand::parse(&w("log 9 sshd hello")).is_err());
        assert!(FaultCommand::parse(&w("log 6 sshd")).is_err());
        assert_eq!(
            FaultCommand::parse(&w("fill fs1-OST0001 95")).unwrap(),
            FaultCommand::Fill {
                target: "fs1-OST0001".into(),
                percent: Some(95)
            }
        );
        assert_eq!(
            FaultCommand::parse(&w("fill fs1-OST0001 off")).unwrap(),
            FaultCommand::Fill {
                target: "fs1-OST0001".into(),
                percent: None
            }
        );
        assert!(FaultCommand::parse(&w("fill fs1-OST0001 101")).is_err());
    }

    #[test]
    fn a_fill_is_kept_once_per_target_until_cleared() {
        let mut faults = Faults::default();
        let fill = |percent| FaultCommand::Fill {
            target: "fs1-OST0001".into(),
            percent,
        };
        faults.apply("oss1", fill(Some(90)));
        faults.apply("oss2", fill(Some(97)));
        assert!(faults.host("oss1").fill.is_empty());
        assert_eq!(faults.host("oss2").fill.get("fs1-OST0001"), Some(&97));
        faults.apply("oss1", fill(None));
        assert!(faults.hosts.values().all(|h| h.fill.is_empty()));
    }

    #[test]
    fn fail_next_ids_are_unique() {
        let mut faults = Faults::default();
        faults.apply("oss1", FaultCommand::FailNext("lctl".into()));
        faults.apply("oss1", FaultCommand::FailNext("lctl".into()));
        let ids: Vec<u64> = faults.host("oss1").fail_next.iter().map(|f| f.id).collect();
        assert_ne!(ids[0], ids[1]);
    }
}
