//! Storing journal lines, whoever read them: a poll (`journalctl
//! --after-cursor`) or a host's live stream (`journalctl -f`). A line is
//! keyed by its journal cursor, so one read twice is stored once; the
//! host's cursor moves forward with what was stored.

use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::parse::JournalLine;

/// Stores `lines` of host `host_id` and records the last one's cursor.
pub async fn store(db: &impl ConnectionTrait, host_id: Uuid, lines: &[JournalLine]) -> Result<(), DbErr> {
    if lines.is_empty() {
        return Ok(());
    }
    let rows: Vec<store::logs::JournalLine> = lines
        .iter()
        .map(|line| store::logs::JournalLine {
            at: line.at,
            severity: line.severity.to_owned(),
            source: line.source.clone(),
            message: line.message.clone(),
            cursor: line.cursor.clone(),
        })
        .collect();
    store::logs::append_journal(db, host_id, &rows).await?;
    // One notification per batch, not per line: a burst of lines would
    // otherwise flood the live stream.
    let note = serde_json::json!({"kind": "log_line", "host_id": host_id, "count": lines.len()});
    store::events::notify_change(db, &note).await
}
