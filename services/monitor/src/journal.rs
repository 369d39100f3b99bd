//! Storing journal lines, whoever read them: a poll (`journalctl
//! --after-cursor`) or a host's live stream (`journalctl -f`). A line is
//! keyed by its journal cursor, so one read twice is stored once; the
//! host's cursor moves forward with what was read.
//!
//! Anyone who can log on a managed server writes to its journal, so a
//! server may not fill Chroma's log table: each server has a budget of
//! lines per second with a burst ([`Limits`], `CHROMA_JOURNAL_LINES_PER_SEC`
//! and `CHROMA_JOURNAL_BURST`). Lines over it are dropped and counted, and
//! one line of Chroma's says how many ("N lines dropped from HOST (rate
//! limit)"), at most every [`SUMMARY_EVERY`].

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::parse::JournalLine;

/// The longest time a count of dropped lines waits to be written.
pub const SUMMARY_EVERY: Duration = Duration::from_secs(10);

/// The source of Chroma's own lines about a server's journal.
pub const SOURCE: &str = "chroma-monitor";

/// Each server's budget of journal lines: a token bucket.
#[derive(Debug)]
pub struct Limits {
    per_sec: f64,
    burst: f64,
    buckets: Mutex<HashMap<Uuid, Bucket>>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
    /// Lines dropped and not yet reported.
    dropped: u64,
    reported: Option<Instant>,
}

/// What to do with a batch of lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admitted {
    /// How many of the batch's first lines to store.
    pub keep: usize,
    /// Lines dropped to report now (0: none, or not yet).
    pub report: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new(100, 5000)
    }
}

impl Limits {
    /// `per_sec` lines a second on average, `burst` at once.
    pub fn new(per_sec: u32, burst: u32) -> Limits {
        Limits {
            per_sec: f64::from(per_sec),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::default(),
        }
    }

    /// Takes `lines` lines of `host` at `now` from its budget.
    pub fn admit(&self, host: Uuid, lines: usize, now: Instant) -> Admitted {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = buckets.entry(host).or_insert_with(|| Bucket {
            tokens: self.burst,
            refilled: now,
            dropped: 0,
            reported: None,
        });
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_sec).min(self.burst);
        bucket.refilled = now;
        // Whole lines only; the fraction stays in the bucket.
        let keep = lines.min(bucket.tokens.floor() as usize);
        bucket.tokens -= keep as f64;
        bucket.dropped += (lines - keep) as u64;
        let due = bucket
            .reported
            .is_none_or(|at| now.saturating_duration_since(at) >= SUMMARY_EVERY);
        let report = if bucket.dropped > 0 && due {
            bucket.reported = Some(now);
            std::mem::take(&mut bucket.dropped)
        } else {
            0
        };
        Admitted { keep, report }
    }
}

/// Stores `lines` of host `host_id` (named `host_name`) within its budget,
/// in one statement, and records the last one's cursor.
pub async fn store(
    db: &impl ConnectionTrait,
    limits: &Limits,
    host_id: Uuid,
    host_name: &str,
    lines: &[JournalLine],
) -> Result<(), DbErr> {
    let Some(last) = lines.last() else {
        return Ok(());
    };
    let admitted = limits.admit(host_id, lines.len(), Instant::now());
    let mut rows: Vec<store::logs::JournalLine> = lines[..admitted.keep]
        .iter()
        .map(|line| store::logs::JournalLine {
            at: line.at,
            severity: line.severity.to_owned(),
            source: line.source.clone(),
            message: line.message.clone(),
            cursor: line.cursor.clone(),
        })
        .collect();
    if admitted.report > 0 {
        tracing::warn!(
            host = host_name,
            dropped = admitted.report,
            "journal lines over the rate limit dropped"
        );
        rows.push(store::logs::JournalLine {
            at: Utc::now(),
            severity: "warning".to_owned(),
            source: SOURCE.to_owned(),
            message: format!("{} lines dropped from {host_name} (rate limit)", admitted.report),
            // Chroma's own line: a key no journal cursor has.
            cursor: format!("chroma-dropped:{}", Uuid::now_v7()),
        });
    }
    store::logs::append_journal_read_to(db, host_id, &rows, &last.cursor).await?;
    if rows.is_empty() {
        return Ok(());
    }
    // One notification per batch, not per line: a burst of lines would
    // otherwise flood the live stream.
    let note = serde_json::json!({"kind": "log_line", "host_id": host_id, "count": rows.len()});
    store::events::notify_change(db, &note).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_and_the_rest_is_counted_once() {
        let limits = Limits::new(10, 100);
        let host = Uuid::now_v7();
        let start = Instant::now();
        assert_eq!(limits.admit(host, 80, start), Admitted { keep: 80, report: 0 });
        // 20 left of the burst: 30 of 50 dropped, reported at once.
        assert_eq!(limits.admit(host, 50, start), Admitted { keep: 20, report: 30 });
        // Half a second later: 5 lines of budget; the 95 dropped wait for the report.
        let later = start + Duration::from_millis(500);
        assert_eq!(limits.admit(host, 100, later), Admitted { keep: 5, report: 0 });
        // Ten seconds after the last report: the budget is full again and the count goes out.
        let much_later = start + SUMMARY_EVERY;
        assert_eq!(limits.admit(host, 1, much_later), Admitted { keep: 1, report: 95 });
        // Another server has its own budget.
        assert_eq!(
            limits.admit(Uuid::now_v7(), 100, start),
            Admitted { keep: 100, report: 0 }
        );
    }
}
