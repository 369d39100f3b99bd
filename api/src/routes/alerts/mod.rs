//! `/api/alert`: alerts the monitor, the sweeps and failed jobs raise; list
//! and read them, and acknowledge them.

pub mod acknowledge;
pub mod list;

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use common::envelope::Envelope;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::state::AppState;

/// The columns an [`AlertView`] is read from.
const COLUMNS: &str =
    "id, kind, severity, item, message, details, raised_at, cleared_at, acknowledged_at, acknowledged_by";

/// One alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertView {
    id: Uuid,
    kind: String,
    /// `info`, `warning` or `error`.
    severity: String,
    /// The object it is about: `host/ID`, `target/ID`, `job/ID`.
    item: String,
    message: String,
    /// What the raiser adds (for a failed job: `job_id`, `command_id`).
    details: serde_json::Value,
    raised_at: DateTime<Utc>,
    /// When its condition ended (a failed job's: when acknowledged); null
    /// while active.
    cleared_at: Option<DateTime<Utc>>,
    acknowledged_at: Option<DateTime<Utc>>,
    /// Who acknowledged it.
    acknowledged_by: Option<String>,
}

impl AlertView {
    fn from_row(r: &sea_orm::QueryResult) -> Result<Self, sea_orm::DbErr> {
        Ok(Self {
            id: r.try_get("", "id")?,
            kind: r.try_get("", "kind")?,
            severity: r.try_get("", "severity")?,
            item: r.try_get("", "item")?,
            message: r.try_get("", "message")?,
            details: r.try_get("", "details")?,
            raised_at: r.try_get("", "raised_at")?,
            cleared_at: r.try_get("", "cleared_at")?,
            acknowledged_at: r.try_get("", "acknowledged_at")?,
            acknowledged_by: r.try_get("", "acknowledged_by")?,
        })
    }
}

/// The alert `id`, if it exists.
async fn load(db: &impl sea_orm::ConnectionTrait, id: Uuid) -> Result<Option<AlertView>, ApiError> {
    let rows = store::sql::query(db, &format!("SELECT {COLUMNS} FROM alert WHERE id = $1"), [id.into()]).await?;
    Ok(rows.first().map(AlertView::from_row).transpose()?)
}

/// One alert.
#[utoipa::path(
    get,
    path = "/api/alert/{id}",
    tag = "alert",
    params(("id" = Uuid, Path, description = "The alert's id")),
    responses(
        (status = 200, description = "The alert", body = Envelope<AlertView>),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "No such alert", body = ErrorEnvelope),
    ),
)]
pub async fn get(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = crate::routes::query::id(&path, "alert")?;
    let alert = load(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("alert {id} does not exist")))?;
    Ok(crate::respond::ok(alert))
}
