//! Server log lines and the journal cursors they are read from.

/// One journal line of a server, as read from `journalctl -o json`.
#[derive(Debug, Clone)]
pub struct JournalLine {
    pub at: chrono::DateTime<chrono::Utc>,
    /// syslog name: `emerg` … `debug`.
    pub severity: String,
    pub source: String,
    pub message: String,
    /// The journal's cursor of the line.
    pub cursor: String,
}

/// Stores `lines` of host `host_id` (a line already stored, by its cursor,
/// is skipped) and moves the host's journal cursor to the last one's.
pub async fn append_journal(
    db: &impl sea_orm::ConnectionTrait,
    host_id: uuid::Uuid,
    lines: &[JournalLine],
) -> Result<(), sea_orm::DbErr> {
    let Some(last) = lines.last() else {
        return Ok(());
    };
    append_journal_read_to(db, host_id, lines, &last.cursor).await
}

/// Stores `lines` of host `host_id` in one statement (a line already
/// stored, by its cursor, is skipped) and moves the host's journal cursor
/// to `read_to`: the last line read, which may be one not stored (the
/// monitor drops lines over a server's rate limit).
pub async fn append_journal_read_to(
    db: &impl sea_orm::ConnectionTrait,
    host_id: uuid::Uuid,
    lines: &[JournalLine],
    read_to: &str,
) -> Result<(), sea_orm::DbErr> {
    let n = lines.len();
    let (mut times, mut severities, mut sources) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut messages, mut cursors) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for line in lines {
        times.push(line.at);
        severities.push(line.severity.clone());
        sources.push(line.source.clone());
        messages.push(line.message.clone());
        cursors.push(line.cursor.clone());
    }
    if n > 0 {
        crate::sql::execute(
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
    }
    crate::sql::execute(
        db,
        "UPDATE host SET journal_cursor = $2 WHERE id = $1",
        [host_id.into(), read_to.into()],
    )
    .await?;
    Ok(())
}

/// The journal cursor host `host_id` was last read up to, if any.
pub async fn journal_cursor(
    db: &impl sea_orm::ConnectionTrait,
    host_id: uuid::Uuid,
) -> Result<Option<String>, sea_orm::DbErr> {
    let rows = crate::sql::query(db, "SELECT journal_cursor FROM host WHERE id = $1", [host_id.into()]).await?;
    Ok(rows
        .first()
        .and_then(|r| r.try_get("", "journal_cursor").ok())
        .flatten())
}

/// The `pacemaker-fenced` lines reporting an operation of the hosts
/// `host_ids` since `since`, as (time, message), however they were read.
pub async fn fencer_operations(
    db: &impl sea_orm::ConnectionTrait,
    host_ids: &[uuid::Uuid],
    since: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<(chrono::DateTime<chrono::Utc>, String)>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT at, message FROM log_line
         WHERE host_id = ANY($1) AND at >= $2 AND source = 'pacemaker-fenced' AND message LIKE '%Operation %'",
        [host_ids.to_vec().into(), since.into()],
    )
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "at")?, r.try_get("", "message")?)))
        .collect()
}

/// Which log lines [`list`] shows; `None` leaves a criterion out.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub host_id: Option<uuid::Uuid>,
    /// The severities to show (every other is left out).
    pub severities: Vec<String>,
    pub source: Option<String>,
    /// An `ILIKE` pattern the message matches.
    pub message_like: Option<String>,
    /// Logged at or after.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// Logged at or before.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    /// Only lines stored after the line with this id.
    pub after_id: Option<i64>,
}

/// The order of a list of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListOrder {
    /// Newest logged first.
    #[default]
    Newest,
    /// Oldest logged first.
    Oldest,
    /// In the order they were stored.
    Stored,
    /// Last stored first.
    LastStored,
}

/// Lines counted past the end of a page: the total a page shows is exact
/// up to there, and "more than" beyond.
pub const COUNT_AHEAD: i64 = 10_000;

/// A page of log lines and what is known of the rest.
#[derive(Debug, Clone)]
pub struct Listed {
    pub lines: Vec<api_types::logs::LogView>,
    /// The lines the filter selects, counted no further than
    /// [`COUNT_AHEAD`] past the page's end: exact unless `capped`.
    pub counted: i64,
    /// More lines match than `counted`.
    pub capped: bool,
    /// A line follows this page.
    pub more: bool,
}

/// One page of the log lines `filter` selects, `limit` from `offset` in
/// `order`, as the API shows them, and how many it selects, counted no
/// further than [`COUNT_AHEAD`] past the page: a table of millions of
/// lines is never counted whole. A `message_like` search reads the
/// trigram index `log_line_message_trgm` where it exists.
pub async fn list(
    db: &impl sea_orm::ConnectionTrait,
    filter: &ListFilter,
    order: ListOrder,
    limit: i64,
    offset: i64,
) -> Result<Listed, sea_orm::DbErr> {
    let condition = "($1::uuid IS NULL OR l.host_id = $1) AND l.severity = ANY($2::text[])
                  AND ($3::text IS NULL OR l.source = $3) AND ($4::text IS NULL OR l.message ILIKE $4)
                  AND ($5::timestamptz IS NULL OR l.at >= $5) AND ($6::timestamptz IS NULL OR l.at <= $6)
                  AND ($7::bigint IS NULL OR l.id > $7)";
    let order = match order {
        ListOrder::Newest => "l.at DESC, l.id DESC",
        ListOrder::Oldest => "l.at, l.id",
        ListOrder::Stored => "l.id",
        ListOrder::LastStored => "l.id DESC",
    };
    let values: Vec<sea_orm::Value> = vec![
        filter.host_id.into(),
        filter.severities.clone().into(),
        filter.source.clone().into(),
        filter.message_like.clone().into(),
        filter.since.into(),
        filter.until.into(),
        filter.after_id.into(),
    ];
    let selection = crate::sql::Selection {
        columns: "l.id, l.host_id, h.nodename, l.at, l.severity, l.source, l.message",
        from: "log_line l JOIN host h ON h.id = l.host_id",
        filter: condition,
        order,
        values,
    };
    let page = crate::sql::page_counting_ahead(db, selection, limit, offset, COUNT_AHEAD).await?;
    let lines = page
        .rows
        .iter()
        .map(|r| {
            Ok(api_types::logs::LogView {
                id: r.try_get("", "id")?,
                host_id: r.try_get("", "host_id")?,
                nodename: r.try_get("", "nodename")?,
                at: r.try_get("", "at")?,
                severity: r.try_get("", "severity")?,
                source: r.try_get("", "source")?,
                message: r.try_get("", "message")?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    Ok(Listed {
        lines,
        counted: page.counted,
        capped: page.capped,
        more: page.more,
    })
}
