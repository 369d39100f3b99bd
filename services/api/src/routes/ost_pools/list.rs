//! `GET /api/ost_pool[?filesystem_id=]` and `GET /api/ost_pool/{id}`.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use api_types::ost_pools::OstPoolView;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::listing;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::{id, Paging};
use crate::state::AppState;
use crate::views::Page;

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// Only the pools of this file system.
    filesystem_id: Option<Uuid>,
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
    /// `name`, `filesystem_name`, `state`, `bytes_free` or `created_at`; `-` first for descending.
    order_by: Option<String>,
}

/// Every live pool (not removed), by file system and name.
#[utoipa::path(
    get,
    path = "/api/ost_pool",
    tag = "ost_pool",
    params(Filters),
    responses(
        (status = 200, description = "The pools with their OSTs and space", body = Envelope<Page<OstPoolView>>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
)]
pub async fn handle(state: web::Data<AppState>, query: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let f = query.into_inner();
    let selection = store::ost_pools::PoolSelection::Live {
        filesystem_id: f.filesystem_id,
    };
    let pools = store::ost_pools::views(&state.db, selection).await?;
    let paging = Paging {
        limit: f.limit,
        offset: f.offset,
    };
    listing::page(
        pools,
        paging,
        f.order_by.as_deref(),
        &["name", "filesystem_name", "state", "bytes_free", "created_at"],
    )
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
