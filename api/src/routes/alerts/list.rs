//! `GET /api/alert`: alerts, newest first.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use common::envelope::Envelope;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{AlertView, COLUMNS};
use crate::error::ApiError;
use crate::routes::events::{check_time, contains_pattern};
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::Paging;
use crate::state::AppState;
use crate::views::Page;

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
        None | Some("-raised_at") => "raised_at DESC, id DESC",
        Some("raised_at") => "raised_at, id",
        Some("severity") => "severity, raised_at DESC, id DESC",
        Some(other) => {
            return Err(ApiError::bad(
                "invalid_query",
                format!("cannot order by {other:?}; order_by takes raised_at, -raised_at or severity"),
                Some("order_by"),
            ))
        }
    };
    let filter = "($1::boolean IS NULL OR (cleared_at IS NULL) = $1) AND ($2::text IS NULL OR kind = $2)
                  AND ($3::text IS NULL OR severity = $3) AND ($4::text IS NULL OR item = $4)
                  AND ($5::boolean IS NULL OR (acknowledged_at IS NOT NULL) = $5)
                  AND ($6::text IS NULL OR message ILIKE $6)
                  AND ($7::timestamptz IS NULL OR raised_at >= $7)
                  AND ($8::timestamptz IS NULL OR raised_at <= $8)";
    let values = vec![
        f.active.into(),
        f.kind.clone().into(),
        f.severity.clone().into(),
        f.item.clone().into(),
        f.acknowledged.into(),
        f.q.as_deref().map(contains_pattern).into(),
        f.since.into(),
        f.until.into(),
    ];
    let selection = crate::routes::listing::Selection {
        columns: COLUMNS,
        table: "alert",
        filter,
        order,
        values,
    };
    let (rows, meta) = crate::routes::listing::sql_page(&state.db, selection, limit, offset).await?;
    let objects = rows
        .iter()
        .map(AlertView::from_row)
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    Ok(crate::respond::ok(Page { objects, meta }))
}
