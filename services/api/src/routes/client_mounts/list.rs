//! `GET /api/client_mount[?host_id=&filesystem_id=]` and
//! `GET /api/client_mount/{id}`.

use actix_web::{web, HttpResponse};
use api_types::client_mounts::ClientMountView;
use api_types::envelope::Envelope;
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
    /// Only the mounts on this host.
    host_id: Option<Uuid>,
    /// Only the mounts of this file system.
    filesystem_id: Option<Uuid>,
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
    /// `host_name`, `filesystem_name`, `mountpoint`, `state` or `created_at`; `-` first for descending.
    order_by: Option<String>,
}

/// Every live client mount (not removed), oldest first.
#[utoipa::path(
    get,
    path = "/api/client_mount",
    tag = "client_mount",
    params(Filters),
    responses(
        (status = 200, description = "The client mounts", body = Envelope<Page<ClientMountView>>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
)]
pub async fn handle(state: web::Data<AppState>, query: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let f = query.into_inner();
    let selection = store::client_mounts::Selection {
        id: None,
        host_id: f.host_id,
        filesystem_id: f.filesystem_id,
    };
    let mounts = store::client_mounts::views(&state.db, selection).await?;
    let paging = Paging {
        limit: f.limit,
        offset: f.offset,
    };
    listing::page(
        mounts,
        paging,
        f.order_by.as_deref(),
        &["host_name", "filesystem_name", "mountpoint", "state", "created_at"],
    )
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
