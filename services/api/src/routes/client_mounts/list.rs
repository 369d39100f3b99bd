//! `GET /api/client_mount[?host_id=&filesystem_id=]` and
//! `GET /api/client_mount/{id}`.

use actix_web::{web, HttpResponse};
use api_types::client_mounts::ClientMountView;
use api_types::envelope::Envelope;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::id;
use crate::state::AppState;

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// Only the mounts on this host.
    host_id: Option<Uuid>,
    /// Only the mounts of this file system.
    filesystem_id: Option<Uuid>,
}

/// Every live client mount (not removed), oldest first.
#[utoipa::path(
    get,
    path = "/api/client_mount",
    tag = "client_mount",
    params(Filters),
    responses(
        (status = 200, description = "The client mounts", body = Envelope<Vec<ClientMountView>>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
)]
pub async fn handle(state: web::Data<AppState>, query: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let selection = store::client_mounts::Selection {
        id: None,
        host_id: query.host_id,
        filesystem_id: query.filesystem_id,
    };
    Ok(crate::respond::ok(
        store::client_mounts::views(&state.db, selection).await?,
    ))
}

/// One client mount.
#[utoipa::path(
    get,
    path = "/api/client_mount/{id}",
    tag = "client_mount",
    params(("id" = Uuid, Path, description = "The client mount's id")),
    responses(
        (status = 200, description = "The client mount", body = Envelope<ClientMountView>),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "No such client mount", body = ErrorEnvelope),
    ),
)]
pub async fn get(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "client mount")?;
    Ok(crate::respond::ok(super::load_one(&state.db, id).await?))
}
