//! `GET /api/log`: the servers' journal lines and Lustre console messages
//! the monitor collects, newest first; with `after_id`, the lines stored
//! after one already seen, oldest first, to follow the log live.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::events::{check_time, contains_pattern};
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::Paging;
use crate::state::AppState;
use store::logs::{ListFilter, ListOrder};

/// Syslog severities, most severe first.
pub const SEVERITIES: [&str; 8] = ["emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"];

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// Only lines of this server.
    #[param(value_type = Option<Uuid>)]
    host_id: Option<String>,
    /// Only lines this severe or more: `emerg`, `alert`, `crit`, `error`,
    /// `warning`, `notice`, `info` or `debug` (all).
    severity: Option<String>,
    /// Only lines from this source, exactly (`kernel`, `lustre`, a unit).
    source: Option<String>,
    /// Only lines whose message contains this text (any case).
    q: Option<String>,
    /// Lines logged at or after this time.
    since: Option<DateTime<Utc>>,
    /// Lines logged at or before this time.
    until: Option<DateTime<Utc>>,
    /// Only lines stored after the line with this id, and oldest first
    /// unless ordered: poll with the last id seen to follow the log.
    #[param(minimum = 0)]
    after_id: Option<i64>,
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
    /// `at`, `-at` (the default), `id` (the default with `after_id`) or `-id`.
    order_by: Option<String>,
}

pub use api_types::logs::{LogPage, LogPageMeta, LogView};

/// The severities at least as severe as `level`.
fn at_least(level: &str) -> Result<Vec<String>, ApiError> {
    let index = SEVERITIES.iter().position(|s| *s == level).ok_or_else(|| {
        ApiError::bad(
            "invalid_query",
            format!("unknown severity {level:?}; one of {}", SEVERITIES.join(", ")),
            Some("severity"),
        )
    })?;
    Ok(SEVERITIES[..=index].iter().map(|s| (*s).to_owned()).collect())
}

/// Log lines matching the filters.
#[utoipa::path(
    get,
    path = "/api/log",
    tag = "log",
    params(Filters),
    responses(
        (status = 200, description = "A page of log lines, newest first unless ordered or following; \
            `meta.total_count` counts the matching lines no further than 10,000 past the page \
            (`meta.total_capped` when more match), `meta.has_more` says whether a next page exists", body = Envelope<LogPage>),
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
    let host_id = f
        .host_id
        .as_deref()
        .map(|text| {
            Uuid::parse_str(text).map_err(|_| {
                ApiError::bad(
                    "invalid_query",
                    format!("host_id {text:?} is not a host id (a UUID)"),
                    Some("host_id"),
                )
            })
        })
        .transpose()?;
    let severities = at_least(f.severity.as_deref().unwrap_or("debug"))?;
    crate::routes::query::text(f.source.as_deref(), "source")?;
    crate::routes::query::text(f.q.as_deref(), "q")?;
    check_time(f.since, "since")?;
    check_time(f.until, "until")?;
    if f.after_id.is_some_and(|id| id < 0) {
        return Err(ApiError::bad(
            "invalid_query",
            "after_id must not be negative",
            Some("after_id"),
        ));
    }
    let order = match (f.order_by.as_deref(), f.after_id) {
        (Some("id"), _) | (None, Some(_)) => ListOrder::Stored,
        (Some("-at"), _) | (None, None) => ListOrder::Newest,
        (Some("at"), _) => ListOrder::Oldest,
        (Some("-id"), _) => ListOrder::LastStored,
        (Some(other), _) => {
            return Err(ApiError::bad(
                "invalid_query",
                format!("cannot order by {other:?}; order_by takes at, -at, id or -id"),
                Some("order_by"),
            ))
        }
    };
    let filter = ListFilter {
        host_id,
        severities,
        source: f.source,
        message_like: f.q.as_deref().map(contains_pattern),
        since: f.since,
        until: f.until,
        after_id: f.after_id,
    };
    let listed = store::logs::list(
        &state.db,
        &filter,
        order,
        i64::try_from(limit).unwrap_or(i64::MAX),
        i64::try_from(offset).unwrap_or(i64::MAX),
    )
    .await?;
    let meta = LogPageMeta {
        total_count: u64::try_from(listed.counted).unwrap_or(0),
        total_capped: listed.capped,
        has_more: listed.more,
        limit,
        offset,
    };
    Ok(crate::respond::ok(LogPage {
        objects: listed.lines,
        meta,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_severity_includes_the_more_severe() {
        assert!(at_least("error").is_ok_and(|s| s == ["emerg", "alert", "crit", "error"]));
        assert!(at_least("debug").is_ok_and(|s| s.len() == 8));
        assert!(at_least("loud").is_err());
    }
}
