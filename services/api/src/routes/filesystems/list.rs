//! `GET /api/filesystem` and `GET /api/filesystem/{id}`.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use serde::Deserialize;
use utoipa::IntoParams;

use super::FilesystemView;
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
    /// Include removed file systems.
    #[serde(default)]
    removed: bool,
    /// Only the file system of this name.
    name: Option<String>,
    /// Only file systems Chroma created (true) or only detected ones (false).
    managed: Option<bool>,
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
    /// `name`, `state`, `managed` or `created_at`; `-` first for descending.
    order_by: Option<String>,
}

/// Every file system (removed ones only when asked), by name.
#[utoipa::path(
    get,
    path = "/api/filesystem",
    tag = "filesystem",
    params(Filters),
    responses(
        (status = 200, description = "A page of file systems", body = Envelope<Page<FilesystemView>>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
)]
pub async fn handle(state: web::Data<AppState>, query: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let f = query.into_inner();
    crate::routes::query::text(f.name.as_deref(), "name")?;
    let filesystems = store::filesystems::views(
        &state.db,
        store::filesystems::FilesystemSelection::Matching {
            removed: f.removed,
            name: f.name,
            managed: f.managed,
        },
    )
    .await?;
    let paging = Paging {
        limit: f.limit,
        offset: f.offset,
    };
    listing::page(
        filesystems,
        paging,
        f.order_by.as_deref(),
        &["name", "state", "managed", "created_at"],
    )
}

/// One file system with its targets.
#[utoipa::path(
    get,
    path = "/api/filesystem/{id}",
    tag = "filesystem",
    params(("id" = Uuid, Path, description = "The file system's id")),
    responses(
        (status = 200, description = "The file system", body = Envelope<FilesystemView>),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "No such file system", body = ErrorEnvelope),
    ),
)]
pub async fn get(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "file system")?;
    Ok(crate::respond::ok(super::load_one(&state.db, id).await?))
}
