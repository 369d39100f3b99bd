//! `GET /api/event`: the event log (logins, every change made through the
//! API with its user, state changes and command outcomes the database
//! records), newest first.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use chrono::Datelike;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::Paging;
use crate::state::AppState;
use crate::views::{Page, PageMeta};
use store::events::{ListFilter, ListOrder};

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

pub use api_types::events::EventView;

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
        None | Some("-at") => ListOrder::Newest,
        Some("at") => ListOrder::Oldest,
        Some(other) => {
            return Err(ApiError::bad(
                "invalid_query",
                format!("cannot order by {other:?}; order_by takes at or -at"),
                Some("order_by"),
            ))
        }
    };
    let filter = ListFilter {
        kind: f.kind,
        username: f.username,
        since: f.since,
        until: f.until,
        item: f.item,
        message_like: f.q.as_deref().map(contains_pattern),
    };
    let (objects, total) = store::events::list(
        &state.db,
        &filter,
        order,
        i64::try_from(limit).unwrap_or(i64::MAX),
        i64::try_from(offset).unwrap_or(i64::MAX),
    )
    .await?;
    let meta = PageMeta {
        total_count: u64::try_from(total).unwrap_or(0),
        limit,
        offset,
    };
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
