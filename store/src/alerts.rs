//! Raising and clearing alerts. An alert is about one object (`host/ID`,
//! `target/ID`, `job/ID`) and is active until cleared; at most one alert of
//! a kind is active per object (a unique index), so raising an active one
//! again changes nothing and clearing one that is not active is a no-op.

use sea_orm::{ConnectionTrait, DbErr};
use serde_json::Value;
use uuid::Uuid;

use crate::sql::execute;

/// How serious an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One alert to raise.
#[derive(Debug, Clone)]
pub struct Raise<'a> {
    pub kind: &'a str,
    pub severity: Severity,
    pub item: String,
    pub message: String,
    pub details: Value,
}

/// Raises the alert unless the same kind is already active on the object;
/// returns whether a new alert was raised.
pub async fn raise(db: &impl ConnectionTrait, alert: Raise<'_>) -> Result<bool, DbErr> {
    let rows = execute(
        db,
        "INSERT INTO alert (id, kind, severity, item, message, details)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (kind, item) WHERE cleared_at IS NULL DO NOTHING",
        [
            Uuid::now_v7().into(),
            alert.kind.into(),
            alert.severity.as_str().into(),
            alert.item.into(),
            alert.message.into(),
            alert.details.into(),
        ],
    )
    .await?;
    Ok(rows > 0)
}

/// Clears the active alert of `kind` on `item`; returns whether one was.
pub async fn clear(db: &impl ConnectionTrait, kind: &str, item: &str) -> Result<bool, DbErr> {
    let rows = execute(
        db,
        "UPDATE alert SET cleared_at = now() WHERE kind = $1 AND item = $2 AND cleared_at IS NULL",
        [kind.into(), item.into()],
    )
    .await?;
    Ok(rows > 0)
}

/// Raises the alert when `active`, clears it otherwise.
pub async fn set(db: &impl ConnectionTrait, active: bool, alert: Raise<'_>) -> Result<(), DbErr> {
    if active {
        raise(db, alert).await?;
    } else {
        clear(db, alert.kind, &alert.item).await?;
    }
    Ok(())
}
