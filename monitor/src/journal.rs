//! Storing journal lines, whoever read them: a poll (`journalctl
//! --after-cursor`) or a host's live stream (`journalctl -f`). A line is
//! keyed by its journal cursor, so one read twice is stored once; the
//! host's cursor moves forward with what was stored.

use sea_orm::{ConnectionTrait, DbErr};
use store::sql::execute;
use uuid::Uuid;

use crate::parse::JournalLine;

/// Stores `lines` of host `host_id` and records the last one's cursor.
pub async fn store(db: &impl ConnectionTrait, host_id: Uuid, lines: &[JournalLine]) -> Result<(), DbErr> {
    let Some(last) = lines.last() else {
        return Ok(());
    };
    let n = lines.len();
    let (mut times, mut severities, mut sources) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut messages, mut cursors) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for line in lines {
        times.push(line.at);
        severities.push(line.severity.to_owned());
        sources.push(line.source.clone());
        messages.push(line.message.clone());
        cursors.push(line.cursor.clone());
    }
    execute(
        db,
        "INSERT INTO log_line (host_id, at, severity, source, message, cursor)
         SELECT $1, * FROM unnest($2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[])
         ON CONFLICT (host_id, cursor) DO NOTHING",
        [
            host_id.into(),
            times.into(),
            severities.into(),
            sources.into(),
            messages.into(),
            cursors.into(),
        ],
    )
    .await?;
    execute(
        db,
        "UPDATE host SET journal_cursor = $2 WHERE id = $1",
        [host_id.into(), last.cursor.clone().into()],
    )
    .await?;
    // One notification per batch, not per line: a burst of lines would
    // otherwise flood the live stream.
    let note = serde_json::json!({"kind": "log_line", "host_id": host_id, "count": n});
    execute(db, "SELECT pg_notify('chroma_changes', $1)", [note.to_string().into()]).await?;
    Ok(())
}
