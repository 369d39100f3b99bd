//! The event log: who did what, and what the system did on its own; and
//! the channel of the live change stream. Every event kind is an
//! [`EventKind`]; `docs/data.md` lists the triggers that still write
//! events or notify.

/// What an event records, stored in `event.kind` as its snake_case name.
/// Every kind Chroma writes is here; nothing else spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A host's, target's or file system's state changed; written by the
    /// `state_event` triggers (docs/data.md) in the changing transaction.
    StateChanged,
    /// A command finished: all its jobs succeeded.
    CommandSucceeded,
    /// A command finished with a failed job.
    CommandFailed,
    /// A command finished with a cancelled job and none failed.
    CommandCancelled,
    /// A change made through the API (the audit trail).
    ApiChange,
    /// A user logged in.
    Login,
    /// A login was refused.
    LoginFailed,
    /// The scheduler published a step again whose worker went silent.
    StepRescued,
    /// A step's message reached the dead-letter queue and the step failed.
    StepDeadLettered,
    /// A step being cancelled lost its worker before its command was seen
    /// to stop; it ended cancelled, and its command may have run on.
    StepCancelAbandoned,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 10] = [
        EventKind::StateChanged,
        EventKind::CommandSucceeded,
        EventKind::CommandFailed,
        EventKind::CommandCancelled,
        EventKind::ApiChange,
        EventKind::Login,
        EventKind::LoginFailed,
        EventKind::StepRescued,
        EventKind::StepDeadLettered,
        EventKind::StepCancelAbandoned,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::StateChanged => "state_changed",
            EventKind::CommandSucceeded => "command_succeeded",
            EventKind::CommandFailed => "command_failed",
            EventKind::CommandCancelled => "command_cancelled",
            EventKind::ApiChange => "api_change",
            EventKind::Login => "login",
            EventKind::LoginFailed => "login_failed",
            EventKind::StepRescued => "step_rescued",
            EventKind::StepDeadLettered => "step_dead_lettered",
            EventKind::StepCancelAbandoned => "step_cancel_abandoned",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The outcome event of a command that reached `state`; None while it
    /// is unfinished.
    pub fn command_outcome(state: lustre::CommandState) -> Option<EventKind> {
        match state {
            lustre::CommandState::Succeeded => Some(EventKind::CommandSucceeded),
            lustre::CommandState::Failed => Some(EventKind::CommandFailed),
            lustre::CommandState::Cancelled => Some(EventKind::CommandCancelled),
            lustre::CommandState::Pending | lustre::CommandState::Running => None,
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Writes an event to the log, by `user` or (None) by the system.
pub async fn record(
    db: &impl sea_orm::ConnectionTrait,
    kind: EventKind,
    user: Option<&crate::users::User>,
    message: &str,
    details: serde_json::Value,
) -> Result<(), sea_orm::DbErr> {
    crate::sql::execute(
        db,
        "INSERT INTO event (id, kind, user_id, username, message, details) VALUES ($1, $2, $3, $4, $5, $6)",
        [
            uuid::Uuid::now_v7().into(),
            kind.as_str().into(),
            user.map(|u| u.id).into(),
            user.map(|u| u.username.clone()).into(),
            message.to_owned().into(),
            details.into(),
        ],
    )
    .await
    .map(drop)
}

/// The PostgreSQL channel of the live change stream (`GET /api/stream`):
/// the change-stream triggers (docs/data.md) and [`notify_change`] send on
/// it, the API listens on it. Delivered when the sending transaction commits.
pub const CHANGE_CHANNEL: &str = "chroma_changes";

/// Sends `note` (a JSON object with at least `kind`) on the change stream,
/// delivered to listeners when the caller's transaction commits.
pub async fn notify_change(db: &impl sea_orm::ConnectionTrait, note: &serde_json::Value) -> Result<(), sea_orm::DbErr> {
    crate::sql::execute(
        db,
        "SELECT pg_notify($1, $2)",
        [CHANGE_CHANNEL.into(), note.to_string().into()],
    )
    .await
    .map(drop)
}

/// A command that just finished, as its outcome event tells of it.
#[derive(Debug, Clone)]
pub struct CommandOutcome {
    pub id: uuid::Uuid,
    /// The command's message (what the user asked for).
    pub message: String,
    pub state: lustre::CommandState,
}

/// Writes the outcome event (`command_succeeded`, `command_failed`,
/// `command_cancelled`) of each finished command in `outcomes`, about
/// `command/ID`, in one statement; unfinished states are skipped. The
/// change stream does not carry these events: the command's own change is
/// already on it.
pub async fn record_command_outcomes(
    db: &impl sea_orm::ConnectionTrait,
    outcomes: &[CommandOutcome],
) -> Result<(), sea_orm::DbErr> {
    let (mut ids, mut kinds, mut items, mut messages, mut details) = (vec![], vec![], vec![], vec![], vec![]);
    for outcome in outcomes {
        let Some(kind) = EventKind::command_outcome(outcome.state) else {
            continue;
        };
        ids.push(uuid::Uuid::now_v7());
        kinds.push(kind.as_str().to_owned());
        items.push(lustre::Item::Command(outcome.id).to_string());
        messages.push(format!("{}: {}", outcome.message, outcome.state));
        details.push(serde_json::json!({"command_id": outcome.id, "state": outcome.state.as_str()}).to_string());
    }
    if ids.is_empty() {
        return Ok(());
    }
    crate::sql::execute(
        db,
        "INSERT INTO event (id, kind, item, message, details)
         SELECT i, k, it, m, d::jsonb
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) AS t(i, k, it, m, d)",
        [ids.into(), kinds.into(), items.into(), messages.into(), details.into()],
    )
    .await
    .map(drop)
}

/// One line of the API's audit trail: a change `username` made.
#[derive(Debug, Clone)]
pub struct ApiChange {
    pub user_id: uuid::Uuid,
    pub username: String,
    pub message: String,
    pub details: serde_json::Value,
}

/// Writes `changes` as `api_change` events in one statement; returns how
/// many were written.
pub async fn record_api_changes(
    db: &impl sea_orm::ConnectionTrait,
    changes: &[ApiChange],
) -> Result<u64, sea_orm::DbErr> {
    let ids: Vec<uuid::Uuid> = changes.iter().map(|_| uuid::Uuid::now_v7()).collect();
    let users: Vec<uuid::Uuid> = changes.iter().map(|c| c.user_id).collect();
    let names: Vec<String> = changes.iter().map(|c| c.username.clone()).collect();
    let messages: Vec<String> = changes.iter().map(|c| c.message.clone()).collect();
    let details: Vec<String> = changes.iter().map(|c| c.details.to_string()).collect();
    crate::sql::execute(
        db,
        "INSERT INTO event (id, kind, user_id, username, message, details)
         SELECT i, $6, u, n, m, d::jsonb
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[]) AS t(i, u, n, m, d)",
        [
            ids.into(),
            users.into(),
            names.into(),
            messages.into(),
            details.into(),
            EventKind::ApiChange.as_str().into(),
        ],
    )
    .await
}

/// How many events of each kind happened at or after `since`, by kind
/// name. By time, not by id: the state-change trigger's ids are random
/// (`gen_random_uuid()`), not time-ordered.
pub async fn count_by_kind_since(
    db: &impl sea_orm::ConnectionTrait,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<(String, i64)>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT kind AS label, count(*) AS n FROM event WHERE at >= $1 GROUP BY kind",
        [since.into()],
    )
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "label")?, r.try_get("", "n")?)))
        .collect()
}

/// Which events [`list`] shows; `None` leaves a criterion out.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// The stored kind.
    pub kind: Option<String>,
    pub username: Option<String>,
    /// At or after.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// At or before.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    pub item: Option<String>,
    /// An `ILIKE` pattern the message matches.
    pub message_like: Option<String>,
}

/// The order of a list of events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListOrder {
    /// Newest first.
    #[default]
    Newest,
    /// Oldest first.
    Oldest,
}

/// One page of the events `filter` selects, `limit` from `offset` in
/// `order`, as the API shows them, and how many it selects in all.
pub async fn list(
    db: &impl sea_orm::ConnectionTrait,
    filter: &ListFilter,
    order: ListOrder,
    limit: i64,
    offset: i64,
) -> Result<(Vec<api_types::events::EventView>, i64), sea_orm::DbErr> {
    let condition = "($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR username = $2)
                  AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at <= $4)
                  AND ($5::text IS NULL OR item = $5) AND ($6::text IS NULL OR message ILIKE $6)";
    let order = match order {
        ListOrder::Newest => "at DESC, id DESC",
        ListOrder::Oldest => "at, id",
    };
    let values: Vec<sea_orm::Value> = vec![
        filter.kind.clone().into(),
        filter.username.clone().into(),
        filter.since.into(),
        filter.until.into(),
        filter.item.clone().into(),
        filter.message_like.clone().into(),
    ];
    let selection = crate::sql::Selection {
        columns: "id, at, kind, username, item, message, details",
        from: "event",
        filter: condition,
        order,
        values,
    };
    let (rows, total) = crate::sql::count_and_page(db, selection, limit, offset).await?;
    let events = rows
        .iter()
        .map(|r| {
            Ok(api_types::events::EventView {
                id: r.try_get("", "id")?,
                at: r.try_get("", "at")?,
                kind: r.try_get("", "kind")?,
                username: r.try_get("", "username")?,
                item: r.try_get("", "item")?,
                message: r.try_get("", "message")?,
                details: r.try_get("", "details")?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    Ok((events, total))
}
