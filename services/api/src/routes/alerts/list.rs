//! `GET /api/alert`: alerts, newest first.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use store::alerts::{ListFilter, ListOrder};
use utoipa::IntoParams;

use super::AlertView;
use crate::error::ApiError;
use crate::routes::events::{check_time, contains_pattern};
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::Paging;
use crate::state::AppState;
use crate::views::{Page, PageMeta};

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// Only alerts not cleared yet (`true`) or only cleared ones (`false`).
    active: Option<bool>,
    /// Only acknowledged alerts (`true`) or only those not acknowledged
    /// (`false`).
    acknowledged: Option<bool>,
    /// Only alerts of this kind.
    kind: Option<String>,
    /// `info`, `warning` or `error`.
    severity: Option<String>,
    /// The object, exactly: `host/ID`, `target/ID`, `job/ID`.
    item: Option<String>,
    /// Only alerts whose message contains this text (any case).
    q: Option<String>,
    /// Alerts raised at or after this time.
    since: Option<DateTime<Utc>>,
    /// Alerts raised at or before this time.
    until: Option<DateTime<Utc>>,
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
    /// `raised_at`, `-raised_at` (the default) or `severity`.
    order_by: Option<String>,
}

/// Alerts matching the filters.
#[utoipa::path(
    get,
    path = "/api/alert",
    tag = "alert",
    params(Filters),
    responses(
        (status = 200, description = "A page of alerts, newest first unless ordered", body = Envelope<Page<AlertView>>),
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
    crate::routes::query::text(f.item.as_deref(), "item")?;
    crate::routes::query::text(f.q.as_deref(), "q")?;
    check_time(f.since, "since")?;
    check_time(f.until, "until")?;
    if let Some(s) = &f.severity {
        if !["info", "warning", "error"].contains(&s.as_str()) {
            return Err(ApiError::bad(
                "invalid_query",
                format!("unknown severity {s:?}; one of info, warning, error"),
                Some("severity"),
            ));
        }
    }
    let order = match f.order_by.as_deref() {
        None | Some("-raised_at") => ListOrder::Newest,
        Some("raised_at") => ListOrder::Oldest,
        Some("severity") => ListOrder::Severity,
        Some(other) => {
            return Err(ApiError::bad(
                "invalid_query",
                format!("cannot order by {other:?}; order_by takes raised_at, -raised_at or severity"),
                Some("order_by"),
            ))
        }
    };
    let filter = ListFilter {
        active: f.active,
        kind: f.kind,
        severity: f.severity,
        item: f.item,
        acknowledged: f.acknowledged,
        message_like: f.q.as_deref().map(contains_pattern),
        since: f.since,
        until: f.until,
    };
    let (alerts, total) = store::alerts::list(
        &state.db,
        &filter,
        order,
        i64::try_from(limit).unwrap_or(i64::MAX),
        i64::try_from(offset).unwrap_or(i64::MAX),
    )
    .await?;
    let objects = alerts.into_iter().map(super::view).collect();
    let meta = PageMeta {
        total_count: u64::try_from(total).unwrap_or(0),
        limit,
        offset,
    };
    Ok(crate::respond::ok(Page { objects, meta }))
}
