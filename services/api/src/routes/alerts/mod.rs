//! `/api/alert`: alerts the monitor, the sweeps and failed jobs raise; list
//! and read them, and acknowledge them.

pub mod acknowledge;
pub mod list;

use actix_web::{web, HttpResponse};
pub use api_types::alerts::AlertView;
use api_types::envelope::Envelope;
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::state::AppState;

/// The alert as the API shows it.
pub fn view(a: store::alerts::Alert) -> AlertView {
    AlertView {
        id: a.id,
        kind: a.kind,
        severity: a.severity,
        item: a.item,
        message: a.message,
        details: a.details,
        raised_at: a.raised_at,
        cleared_at: a.cleared_at,
        acknowledged_at: a.acknowledged_at,
        acknowledged_by: a.acknowledged_by,
    }
}

/// The alert `id`, if it exists.
async fn load(db: &impl sea_orm::ConnectionTrait, id: Uuid) -> Result<Option<AlertView>, ApiError> {
    Ok(store::alerts::get(db, id).await?.map(view))
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
