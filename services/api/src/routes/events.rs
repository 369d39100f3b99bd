//! `GET /api/event`: the event log (logins, every change made through the
//! API with its user, state changes and command outcomes the database
//! records), newest first.
//!
//! The name a failed login tried is often a password typed in the wrong
//! box: it is kept in the event's details (`username`), which superusers
//! alone see; others see `failed login from ADDRESS` and the address.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use chrono::Datelike;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Caller, Role};
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

/// Events matching the filters. The name a failed login tried
/// (`details.username` of a `login_failed` event) shows to superusers only.
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
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filters: web::Query<Filters>,
) -> Result<HttpResponse, ApiError> {
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
    let (mut objects, total) = store::events::list(
        &state.db,
        &filter,
        order,
        i64::try_from(limit).unwrap_or(i64::MAX),
        i64::try_from(offset).unwrap_or(i64::MAX),
    )
    .await?;
    if caller.role < Role::Superuser {
        objects.iter_mut().for_each(hide_login_name);
    }
    let meta = PageMeta {
        total_count: u64::try_from(total).unwrap_or(0),
        limit,
        offset,
    };
    Ok(crate::respond::ok(Page { objects, meta }))
}

/// A failed login as a user who is not a superuser sees it: the name
/// tried left out, of the message too (events recorded before it was
/// kept out of the message had it there).
fn hide_login_name(event: &mut EventView) {
    if event.kind != store::events::EventKind::LoginFailed.as_str() {
        return;
    }
    let address = event.details["address"]
        .as_str()
        .unwrap_or("an unknown address")
        .to_owned();
    event.message = format!("failed login from {address}");
    event.details = serde_json::json!({"address": address});
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_logins_name_is_hidden() {
        let mut event = EventView {
            id: uuid::Uuid::nil(),
            at: chrono::Utc::now(),
            kind: "login_failed".into(),
            username: None,
            item: None,
            message: "failed login as \"hunter2\" from 192.0.2.1".into(),
            details: serde_json::json!({"username": "hunter2", "address": "192.0.2.1"}),
        };
        hide_login_name(&mut event);
        assert_eq!(event.message, "failed login from 192.0.2.1");
        assert_eq!(event.details, serde_json::json!({"address": "192.0.2.1"}));
        let mut login = EventView {
            kind: "login".into(),
            message: "ops logged in from 192.0.2.1".into(),
            ..event
        };
        hide_login_name(&mut login);
        assert_eq!(login.message, "ops logged in from 192.0.2.1");
    }

    #[test]
    fn text_search_takes_wildcards_literally() {
        assert_eq!(contains_pattern("OST0001"), "%OST0001%");
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
