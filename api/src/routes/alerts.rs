//! `GET /api/alert`: alerts raised by workers and sweeps, newest first.

use actix_web::{web, HttpResponse};
use common::envelope::Envelope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::Paging;
use crate::state::AppState;
use crate::views::Page;

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// Only alerts not cleared yet.
    #[serde(default)]
    active: bool,
    /// Only alerts of this kind.
    kind: Option<String>,
    /// `info`, `warning` or `error`.
    severity: Option<String>,
    /// The object, as `host/ID`, `target/ID`.
    item: Option<String>,
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
    /// `raised_at`, `-raised_at` (the default) or `severity`.
    order_by: Option<String>,
}

/// One alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertView {
    id: Uuid,
    kind: String,
    severity: String,
    /// The object it is about: `host/ID`, `target/ID`.
    item: String,
    message: String,
    raised_at: chrono::DateTime<chrono::Utc>,
    cleared_at: Option<chrono::DateTime<chrono::Utc>>,
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
        None | Some("-raised_at") => "raised_at DESC",
        Some("raised_at") => "raised_at",
        Some("severity") => "severity, raised_at DESC",
        Some(other) => {
            return Err(ApiError::bad(
                "invalid_query",
                format!("cannot order by {other:?}; order_by takes raised_at, -raised_at or severity"),
                Some("order_by"),
            ))
        }
    };
    let filter = "(NOT $1 OR cleared_at IS NULL) AND ($2::text IS NULL OR kind = $2)
                  AND ($3::text IS NULL OR severity = $3) AND ($4::text IS NULL OR item = $4)";
    let values = vec![
        f.active.into(),
        f.kind.clone().into(),
        f.severity.clone().into(),
        f.item.clone().into(),
    ];
    let selection = crate::routes::listing::Selection {
        columns: "id, kind, severity, item, message, raised_at, cleared_at",
        table: "alert",
        filter,
        order,
        values,
    };
    let (rows, meta) = crate::routes::listing::sql_page(&state.db, selection, limit, offset).await?;
    let objects = rows
        .iter()
        .map(|r| {
            Ok(AlertView {
                id: r.try_get("", "id")?,
                kind: r.try_get("", "kind")?,
                severity: r.try_get("", "severity")?,
                item: r.try_get("", "item")?,
                message: r.try_get("", "message")?,
                raised_at: r.try_get("", "raised_at")?,
                cleared_at: r.try_get("", "cleared_at")?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    Ok(crate::respond::ok(Page { objects, meta }))
}
