//! Each simulated host's systemd journal: entries with journald's sequence
//! numbers, timestamps and cursors, written when things happen on the host
//! (see `commands::console`) and read by `journalctl`. A journal keeps its
//! last [`JOURNAL_LIMIT`] entries, like a journal that rotates.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::state::ClusterState;

/// Directory of the journal files inside the state directory.
pub const JOURNAL_DIR: &str = "journal";

/// How many entries a host's journal keeps.
pub const JOURNAL_LIMIT: usize = 5_000;

/// One host's journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// The journal's sequence-number id (`s=` of a cursor), 32 hex digits.
    pub seqnum_id: String,
    /// The sequence number the next entry gets.
    pub next_seq: u64,
    /// The entries kept, oldest first.
    pub entries: VecDeque<Entry>,
}

/// How an entry reached journald (`_TRANSPORT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// The kernel ring buffer (`/dev/kmsg`).
    Kernel,
    /// `syslog(3)` from a daemon.
    Syslog,
}

impl Transport {
    /// The `_TRANSPORT` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Kernel => "kernel",
            Transport::Syslog => "syslog",
        }
    }
}

/// One journal entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Sequence number (`i=` of a cursor), increasing, never reused.
    pub seq: u64,
    /// `__REALTIME_TIMESTAMP`: microseconds since the epoch.
    pub realtime_us: u64,
    /// `__MONOTONIC_TIMESTAMP`: microseconds since the boot.
    pub monotonic_us: u64,
    /// `_BOOT_ID` of the boot that wrote it.
    pub boot_id: String,
    /// `_TRANSPORT`.
    pub transport: Transport,
    /// `PRIORITY`, 0 (emerg) to 7 (debug).
    pub priority: u8,
    /// `SYSLOG_FACILITY` (0 kernel, 1 user, 3 daemon).
    pub facility: u8,
    /// `SYSLOG_IDENTIFIER`.
    pub identifier: String,
    /// `SYSLOG_PID` and `_PID` of a daemon.
    #[serde(default)]
    pub pid: Option<u32>,
    /// `MESSAGE`.
    pub message: String,
}

/// What to write: an entry before it gets its number and times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// How it arrives.
    pub transport: Transport,
    /// 0 to 7.
    pub priority: u8,
    /// Syslog facility.
    pub facility: u8,
    /// `SYSLOG_IDENTIFIER`.
    pub identifier: String,
    /// Daemon pid.
    pub pid: Option<u32>,
    /// The message.
    pub message: String,
}

impl Line {
    /// A kernel console line (`Lustre: …`, `LNet: …`).
    pub fn kernel(priority: u8, message: impl Into<String>) -> Line {
        Line {
            transport: Transport::Kernel,
            priority,
            facility: 0,
            identifier: "kernel".to_string(),
            pid: None,
            message: message.into(),
        }
    }

    /// A line a daemon sends to syslog.
    pub fn daemon(identifier: &str, pid: u32, priority: u8, message: impl Into<String>) -> Line {
        Line {
            transport: Transport::Syslog,
            priority,
            facility: 3,
            identifier: identifier.to_string(),
            pid: Some(pid),
            message: message.into(),
        }
    }
}

impl Journal {
    /// An empty journal for `host`, with a sequence-number id of its own.
    pub fn new(host: &str, now_us: u64) -> Journal {
        Journal {
            seqnum_id: hex_id(&format!("seqnum {host} {now_us}")),
            next_seq: 1,
            entries: VecDeque::new(),
        }
    }

    /// The cursor of `entry`, as `sd_journal_get_cursor` prints it.
    pub fn cursor(&self, entry: &Entry) -> String {
        format!(
            "s={};i={:x};b={};m={:x};t={:x};x={:x}",
            self.seqnum_id,
            entry.seq,
            entry.boot_id,
            entry.monotonic_us,
            entry.realtime_us,
            fnv(&format!("{}{}{}", entry.identifier, entry.message, entry.seq))
        )
    }

    /// The position of the first entry after `cursor` (journald seeks by
    /// sequence number in the same journal, else by time).
    pub fn position_after(&self, cursor: &Cursor) -> usize {
        match (&cursor.seqnum_id, cursor.seq, cursor.realtime_us) {
            (Some(id), Some(seq), _) if *id == self.seqnum_id => self.entries.partition_point(|e| e.seq <= seq),
            (_, _, Some(t)) => self.entries.partition_point(|e| e.realtime_us <= t),
            _ => self.entries.len(),
        }
    }
}

/// A parsed journal cursor (`s=…;i=…;b=…;m=…;t=…;x=…`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    /// `s=`.
    pub seqnum_id: Option<String>,
    /// `i=`.
    pub seq: Option<u64>,
    /// `t=`.
    pub realtime_us: Option<u64>,
}

impl Cursor {
    /// Parses a cursor the way `sd_journal_seek_cursor` does: every
    /// `key=value` must be well formed, and it must locate an entry by
    /// sequence number or by time.
    pub fn parse(text: &str) -> Option<Cursor> {
        let mut cursor = Cursor::default();
        let mut located_by_boot = false;
        for item in text.split(';') {
            let (key, value) = item.split_once('=')?;
            let hex = || u64::from_str_radix(value, 16).ok();
            match key {
                "s" if is_id(value) => cursor.seqnum_id = Some(value.to_string()),
                "i" => cursor.seq = Some(hex()?),
                "t" => cursor.realtime_us = Some(hex()?),
                "b" if is_id(value) => located_by_boot = true,
                "m" | "x" => {
                    hex()?;
                }
                _ => return None,
            }
        }
        let located = (cursor.seqnum_id.is_some() && cursor.seq.is_some()) || cursor.realtime_us.is_some();
        (located || located_by_boot).then_some(cursor)
    }
}

fn is_id(value: &str) -> bool {
    value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

impl ClusterState {
    /// Appends a line to `host`'s journal, timed `now_us`, dropping the
    /// oldest entry beyond [`JOURNAL_LIMIT`].
    pub fn log(&mut self, host: &str, now_us: u64, line: Line) {
        let Some(h) = self.host(host) else {
            return;
        };
        let boot_id = h.boot.id.clone();
        let monotonic_us = now_us.saturating_sub(h.boot.at_us);
        let journal = Arc::make_mut(
            self.journals
                .entry(host.to_string())
                .or_insert_with(|| Arc::new(Journal::new(host, now_us))),
        );
        let seq = journal.next_seq;
        journal.next_seq += 1;
        journal.entries.push_back(Entry {
            seq,
            realtime_us: now_us,
            monotonic_us,
            boot_id,
            transport: line.transport,
            priority: line.priority,
            facility: line.facility,
            identifier: line.identifier,
            pid: line.pid,
            message: line.message,
        });
        while journal.entries.len() > JOURNAL_LIMIT {
            journal.entries.pop_front();
        }
    }
}

/// The journals' files, `journal/HOST.json`: one per host, rewritten only
/// when that host's journal changed (a journal is replaced, never changed
/// in place, while the store holds it: see [`ClusterState::log`]).
#[derive(Debug, Clone)]
pub struct JournalFiles {
    dir: PathBuf,
    saved: Arc<Mutex<BTreeMap<String, Arc<Journal>>>>,
}

impl JournalFiles {
    /// The journal files of the state directory `state_dir`.
    pub fn new(state_dir: &Path) -> JournalFiles {
        JournalFiles {
            dir: state_dir.join(JOURNAL_DIR),
            saved: Arc::default(),
        }
    }

    fn path(&self, host: &str) -> PathBuf {
        self.dir.join(format!("{}.json", host.replace('/', "_")))
    }

    /// Reads the journals of `hosts` (a host without a file has none yet).
    pub fn load(&self, hosts: &[String]) -> anyhow::Result<BTreeMap<String, Arc<Journal>>> {
        let mut journals = BTreeMap::new();
        for host in hosts {
            let path = self.path(host);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let journal: Journal =
                        serde_json::from_str(&text).with_context(|| format!("failed to parse {}", path.display()))?;
                    journals.insert(host.clone(), Arc::new(journal));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("failed to read {}", path.display())),
            }
        }
        if let Ok(mut saved) = self.saved.lock() {
            saved.clone_from(&journals);
        }
        Ok(journals)
    }

    /// Writes the journals that are not the ones last written or read.
    pub fn save(&self, journals: &BTreeMap<String, Arc<Journal>>) -> anyhow::Result<()> {
        let Ok(mut saved) = self.saved.lock() else {
            anyhow::bail!("the journal files' lock is poisoned");
        };
        for (host, journal) in journals {
            if saved.get(host).is_some_and(|s| Arc::ptr_eq(s, journal)) {
                continue;
            }
            std::fs::create_dir_all(&self.dir).with_context(|| format!("failed to create {}", self.dir.display()))?;
            let text = serde_json::to_string(journal.as_ref()).context("failed to serialise a journal")?;
            replace(&self.path(host), text.as_bytes())?;
            saved.insert(host.clone(), journal.clone());
        }
        Ok(())
    }
}

/// Replaces `path` through a temporary file and a rename, without the
/// `fsync` of `state.json`: like journald, which syncs only now and then,
/// a crash of the machine may lose the newest lines, never half a file.
fn replace(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("failed to write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("failed to rename {} into place", tmp.display()))
}

/// A 128-bit id as 32 hex digits, derived from `seed` (journald's ids
/// are random; these are stable per seed).
pub fn hex_id(seed: &str) -> String {
    format!("{:016x}{:016x}", fnv(seed), fnv(&format!("{seed}#")))
}

/// FNV-1a, 64 bits.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;
    use crate::commands::test_support::cluster;

    #[test]
    fn entries_get_increasing_numbers_and_the_journal_stays_bounded() {
        let mut state = cluster();
        let first = state.journals["oss1"].next_seq;
        for i in 0..JOURNAL_LIMIT + 10 {
            state.log(
                "oss1",
                1_700_000_000_000_000 + i as u64,
                Line::kernel(6, format!("line {i}")),
            );
        }
        let journal = &state.journals["oss1"];
        assert_eq!(journal.entries.len(), JOURNAL_LIMIT);
        assert_eq!(journal.next_seq, first + JOURNAL_LIMIT as u64 + 10);
        assert!(journal
            .entries
            .iter()
            .zip(journal.entries.iter().skip(1))
            .all(|(a, b)| a.seq < b.seq));
        assert_eq!(
            journal.entries.back().unwrap().message,
            format!("line {}", JOURNAL_LIMIT + 9)
        );
    }

    #[test]
    fn journals_are_saved_beside_the_state_and_only_when_changed() {
        let dir = std::env::temp_dir().join(format!("lustre-sim-journal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = crate::state::StateStore::new(&dir).unwrap();
        let mut state = cluster();
        state.log("oss1", 1_700_000_000_000_000, Line::kernel(6, "saved"));
        store.save(&state).unwrap();
        let text = std::fs::read_to_string(dir.join(crate::state::STATE_FILE)).unwrap();
        assert!(!text.contains("saved"), "journals stay out of state.json");
        let oss2 = dir.join(JOURNAL_DIR).join("oss2.json");
        let written = std::fs::metadata(&oss2).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        state.log("oss1", 1_700_000_001_000_000, Line::kernel(6, "again"));
        store.save(&state).unwrap();
        assert_eq!(std::fs::metadata(&oss2).unwrap().modified().unwrap(), written);
        let loaded = crate::state::StateStore::new(&dir).unwrap().load().unwrap().unwrap();
        assert_eq!(loaded.journals, state.journals);
        assert_eq!(loaded.journals["oss1"].entries.back().unwrap().message, "again");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        let mut state = cluster();
        state.log("oss1", 1_700_000_000_000_000, Line::kernel(6, "a"));
        state.log("oss1", 1_700_000_001_000_000, Line::kernel(6, "b"));
        let journal = &state.journals["oss1"];
        let n = journal.entries.len();
        let text = journal.cursor(&journal.entries[n - 2]);
        assert!(text.starts_with(&format!("s={};i=", journal.seqnum_id)), "{text}");
        let cursor = Cursor::parse(&text).unwrap();
        assert_eq!(journal.position_after(&cursor), n - 1);
        // A cursor of another journal seeks by time.
        let other = text.replace(&journal.seqnum_id, &"0".repeat(32));
        assert_eq!(journal.position_after(&Cursor::parse(&other).unwrap()), n - 1);
        assert!(Cursor::parse("garbage").is_none());
        assert!(Cursor::parse("s=12;i=zz").is_none());
    }
}
