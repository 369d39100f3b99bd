//! `GET /api/alert[?active=true]`: alerts raised by workers and sweeps,
//! newest first.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;
use crate::views::{Page, PageMeta};
use store::sql::query;

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    /// Only alerts not cleared yet.
    #[serde(default)]
    active: bool,
}

#[derive(Debug, Serialize)]
struct AlertView {
    id: Uuid,
    kind: String,
    severity: String,
    /// The object it is about: `host/ID`, `target/ID`.
    item: String,
    message: String,
    raised_at: chrono::DateTime<chrono::Utc>,
    cleared_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The latest 1,000 alerts.
pub async fn list(state: web::Data<AppState>, filters: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let rows = query(
        &state.db,
        "SELECT id, kind, severity, item, message, raised_at, cleared_at FROM alert
         WHERE NOT $1 OR cleared_at IS NULL ORDER BY raised_at DESC LIMIT 1000",
        [filters.active.into()],
    )
    .await?;
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
    let total_count = objects.len() as u64;
    let meta = PageMeta {
        total_count,
        limit: 1000,
        offset: 0,
    };
    Ok(crate::respond::ok(Page { objects, meta }))
}
