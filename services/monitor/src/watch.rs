//! Live journal streams: one SSH connection per managed server running
//! `journalctl -f -o json`, so server log lines are stored as they are
//! written and a Pacemaker or Lustre message (a failover, a target
//! stopping) starts a polling round at once instead of at the next tick.
//! A server whose stream cannot be started or breaks is read by the polls
//! (`journalctl --after-cursor`) until its stream is back.

use sea_orm::DatabaseConnection;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::inventory::Host;
use crate::parse::JournalLine;

/// Wait between attempts to start a stream that failed.
const RETRY: Duration = Duration::from_secs(5);
/// How long lines that follow one another are gathered into one batch.
const BATCH_WINDOW: Duration = Duration::from_millis(200);
/// Most lines in one batch.
const BATCH_LINES: usize = 1000;
/// How long a round waits after a wake-up for the rest of a burst.
pub const SETTLE: Duration = Duration::from_millis(200);

/// The streams of every managed server.
pub struct Watchers {
    db: DatabaseConnection,
    key: chroma_ssh::KeyPair,
    /// Notified when a streamed line calls for a round now.
    pub wake: Arc<Notify>,
    live: Arc<Mutex<HashSet<Uuid>>>,
    tasks: HashMap<Uuid, (Host, CancellationToken, JoinHandle<()>)>,
    journal: Arc<crate::journal::Limits>,
}

impl Watchers {
    /// No streams yet.
    pub fn new(db: DatabaseConnection, key: chroma_ssh::KeyPair, journal: Arc<crate::journal::Limits>) -> Watchers {
        Watchers {
            db,
            key,
            journal,
            wake: Arc::new(Notify::new()),
            live: Arc::default(),
            tasks: HashMap::new(),
        }
    }

    /// Whether `host`'s journal is streaming now (a poll need not read it).
    pub fn is_live(&self, host: Uuid) -> bool {
        self.live.lock().unwrap_or_else(PoisonError::into_inner).contains(&host)
    }

    /// Streams from exactly `hosts`: starts the missing ones, stops those
    /// of servers no longer managed or whose address or key changed.
    pub fn keep(&mut self, hosts: &[Host]) {
        let wanted: HashMap<Uuid, &Host> = hosts.iter().map(|h| (h.id, h)).collect();
        self.tasks.retain(|id, (host, stop, _)| {
            let same = wanted
                .get(id)
                .is_some_and(|h| h.target == host.target && h.fingerprint == host.fingerprint);
            if !same {
                stop.cancel();
            }
            same
        });
        for host in hosts {
            if self.tasks.contains_key(&host.id) {
                continue;
            }
            let stop = CancellationToken::new();
            let stream = Stream {
                db: self.db.clone(),
                key: self.key.clone(),
                host: host.clone(),
                wake: self.wake.clone(),
                live: self.live.clone(),
                journal: self.journal.clone(),
            };
            let task = tokio::spawn(stream.run(stop.clone()));
            self.tasks.insert(host.id, (host.clone(), stop, task));
        }
    }

    /// Stops every stream.
    pub async fn stop(self) {
        for (_, (_, stop, task)) in self.tasks {
            stop.cancel();
            let _ = task.await;
        }
    }
}

struct Stream {
    db: DatabaseConnection,
    key: chroma_ssh::KeyPair,
    host: Host,
    wake: Arc<Notify>,
    live: Arc<Mutex<HashSet<Uuid>>>,
    journal: Arc<crate::journal::Limits>,
}

impl Stream {
    async fn run(self, stop: CancellationToken) {
        loop {
            let ended = tokio::select! {
                _ = stop.cancelled() => break,
                ended = self.follow() => ended,
            };
            self.set_live(false);
            if let Err(e) = ended {
                tracing::debug!(host = %self.host.name, "journal stream ended: {e:#}");
            }
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(RETRY) => {}
            }
        }
        self.set_live(false);
    }

    fn set_live(&self, live: bool) {
        let mut set = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        if live {
            set.insert(self.host.id);
        } else {
            set.remove(&self.host.id);
        }
    }

    /// Follows the journal from the host's cursor until the stream breaks.
    async fn follow(&self) -> anyhow::Result<()> {
        let policy = chroma_ssh::HostKeyPolicy::Pinned(self.host.fingerprint.clone());
        let timeouts = chroma_ssh::Timeouts::default();
        let (session, _) = chroma_ssh::Session::connect(&self.host.target, &self.key, policy, &timeouts).await?;
        let cursor = store::logs::journal_cursor(&self.db, self.host.id).await?;
        let after;
        let backlog = crate::poll::JOURNAL_BACKLOG.to_string();
        let mut argv = vec!["journalctl", "-f", "-o", "json", "--no-pager"];
        match &cursor {
            Some(cursor) => {
                after = format!("--after-cursor={cursor}");
                argv.push(&after);
            }
            // Nothing read from it yet: its latest lines first, as a poll
            // would read them (a line read by both is stored once).
            None => argv.extend(["-n", backlog.as_str()]),
        }
        let mut lines = session.follow(&argv, timeouts.connect).await?;
        self.set_live(true);
        tracing::debug!(host = %self.host.name, "journal stream started");
        while let Some(first) = lines.next_line().await? {
            // What else has come already, or comes within a moment: one
            // statement stores the batch, not one per line.
            let mut text = first;
            let mut count = 1;
            let deadline = tokio::time::Instant::now() + BATCH_WINDOW;
            while count < BATCH_LINES {
                match tokio::time::timeout_at(deadline, lines.next_line()).await {
                    Ok(Ok(Some(line))) => {
                        text.push('\n');
                        text.push_str(&line);
                        count += 1;
                    }
                    // The stream ended or broke: store what came, then the outer read says so.
                    Ok(Ok(None) | Err(_)) | Err(_) => break,
                }
            }
            tracing::trace!(host = %self.host.name, lines = count, "journal lines");
            let mut problems = Vec::new();
            let parsed = crate::parse::journal(&text, &mut problems);
            if !problems.is_empty() {
                tracing::warn!(host = %self.host.name, ?problems, "unreadable journal line");
            }
            crate::journal::store(&self.db, &self.journal, self.host.id, &self.host.name, &parsed).await?;
            if parsed.iter().any(calls_for_a_round) {
                self.wake.notify_one();
            }
        }
        let _ = session.close().await;
        anyhow::bail!("journalctl -f ended")
    }
}

/// Lines that mean a target, LNet or a Pacemaker resource changed: the
/// state the polls read is worth reading now. Other Lustre chatter (client
/// reconnects, evictions) waits for the next poll.
fn calls_for_a_round(line: &JournalLine) -> bool {
    const CHANGES: [&str; 7] = [
        "Failing over",
        "server umount",
        "new disk",
        "recovery",
        "Added LNI",
        "Removed LNI",
        "operation for",
    ];
    let from_lustre = ["Lustre:", "LustreError:", "LNet:"]
        .iter()
        .any(|p| line.message.starts_with(p));
    (from_lustre || line.source.starts_with("pacemaker")) && CHANGES.iter().any(|c| line.message.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(source: &str, message: &str) -> JournalLine {
        JournalLine {
            cursor: String::new(),
            at: chrono::DateTime::default(),
            severity: "info",
            source: source.into(),
            message: message.into(),
        }
    }

    #[test]
    fn only_changes_start_a_round() {
        assert!(calls_for_a_round(&line(
            "pacemaker-controld",
            " notice: Result of start operation for fs1-OST0000 on oss2: ok"
        )));
        assert!(calls_for_a_round(&line("kernel", "Lustre: Failing over fs1-OST0000")));
        assert!(calls_for_a_round(&line(
            "kernel",
            "LNet: Added LNI 10.0.0.2@tcp [8/256/0/180]"
        )));
        assert!(!calls_for_a_round(&line(
            "kernel",
            "Lustre: fs1-OST0000: Client 1a2b (at 10.0.0.9@tcp) reconnecting"
        )));
        assert!(!calls_for_a_round(&line("sshd", "Accepted publickey for root")));
    }
}
