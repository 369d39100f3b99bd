//! `GET /api/ost_pool[?filesystem_id=]` and `GET /api/ost_pool/{id}`.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use api_types::ost_pools::OstPoolView;
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
    /// Only the pools of this file system.
    filesystem_id: Option<Uuid>,
}

/// Every live pool (not removed), by file system and name.
#[utoipa::path(
    get,
    path = "/api/ost_pool",
    tag = "ost_pool",
    params(Filters),
    responses(
        (status = 200, description = "The pools with their OSTs and space", body = Envelope<Vec<OstPoolView>>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
)]
pub async fn handle(state: web::Data<AppState>, query: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let selection = store::ost_pools::PoolSelection::Live {
        filesystem_id: query.filesystem_id,
    };
    Ok(crate::respond::ok(store::ost_pools::views(&state.db, selection).await?))
}

/// One pool.
#[utoipa::path(
    get,
    path = "/api/ost_pool/{id}",
    tag = "ost_pool",
    params(("id" = Uuid, Path, description = "The pool's id")),
    responses(
        (status = 200, description = "The pool", body = Envelope<OstPoolView>),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "No such pool", body = ErrorEnvelope),
    ),
)]
pub async fn get(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "OST pool")?;
    Ok(crate::respond::ok(super::load_one(&state.db, id).await?))
}
