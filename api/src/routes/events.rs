//! `GET /api/event`: the event log (logins, every change made through the
//! API with its user, state changes and command outcomes the database
//! records), newest first.

use actix_web::{web, HttpResponse};
use chrono::Datelike;
use common::envelope::Envelope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::Paging;
use crate::state::AppState;
use crate::views::Page;

/// The `ILIKE` pattern that finds `text` anywhere, its own `%`, `_` and
/// `\` taken literally.
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Refuses a time PostgreSQL cannot compare with its timestamps (they
/// start in 4713 BC; chrono's go further back).
pub fn check_time(time: Option<chrono::DateTime<chrono::Utc>>, field: &str) -> Result<(), ApiError> {
    if time.is_some_and(|t| t.year() < 1) {
        return Err(ApiError::bad(
            "invalid_query",
            format!("{field} must be a time after the year 0"),
            Some(field),
        ));
    }
    Ok(())
}

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// Only events of this kind.
    kind: Option<String>,
    /// Only events of this user.
    username: Option<String>,
    /// Only events about this object, exactly: `target/ID`, `command/ID`.
    item: Option<String>,
    /// Only events whose message contains this text (any case).
    q: Option<String>,
    /// Events at or after this time.
    since: Option<chrono::DateTime<chrono::Utc>>,
    /// Events at or before this time.
    until: Option<chrono::DateTime<chrono::Utc>>,
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
    /// `at` or `-at` (the default).
    order_by: Option<String>,
}

/// One event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    id: Uuid,
    at: chrono::DateTime<chrono::Utc>,
    kind: String,
    username: Option<String>,
    item: Option<String>,
    message: String,
    details: serde_json::Value,
}

/// Events matching the filters.
#[utoipa::path(
    get,
    path = "/api/event",
    tag = "event",
    params(Filters),
    responses(
        (status = 200, description = "A page of events, newest first unless ordered", body = Envelope<Page<EventView>>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
)]
pub async fn list(state: web::Data<AppState>, filters: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let f = filters.into_inner();
    let (limit, offset) = Paging {
        limit: f.limit,
        offset: f.offset,
    }
    .resolve()?;
    crate::routes::query::text(f.kind.as_deref(), "kind")?;
    crate::routes::query::text(f.username.as_deref(), "username")?;
    crate::routes::query::text(f.item.as_deref(), "item")?;
    crate::routes::query::text(f.q.as_deref(), "q")?;
    check_time(f.since, "since")?;
    check_time(f.until, "until")?;
    let order = match f.order_by.as_deref() {
        None | Some("-at") => "at DESC, id DESC",
        Some("at") => "at, id",
        Some(other) => {
            return Err(ApiError::bad(
                "invalid_query",
                format!("cannot order by {other:?}; order_by takes at or -at"),
                Some("order_by"),
            ))
        }
    };
    let filter = "($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR username = $2)
                  AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at <= $4)
                  AND ($5::text IS NULL OR item = $5) AND ($6::text IS NULL OR message ILIKE $6)";
    let selection = crate::routes::listing::Selection {
        columns: "id, at, kind, username, item, message, details",
        table: "event",
        filter,
        order,
        values: vec![
            f.kind.clone().into(),
            f.username.clone().into(),
            f.since.into(),
            f.until.into(),
            f.item.clone().into(),
            f.q.as_deref().map(contains_pattern).into(),
        ],
    };
    let (rows, meta) = crate::routes::listing::sql_page(&state.db, selection, limit, offset).await?;
    let objects = rows
        .iter()
        .map(|r| {
            Ok(EventView {
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
    Ok(crate::respond::ok(Page { objects, meta }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_search_takes_wildcards_literally() {
        assert_eq!(contains_pattern("OST0001"), "%OST0001%");
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
