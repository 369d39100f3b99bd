//! `GET /api/filesystem` and `GET /api/filesystem/{id}`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::error::ApiError;
use crate::routes::listing;
use crate::routes::query::{id, Paging};
use crate::state::AppState;

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    /// Include removed file systems.
    #[serde(default)]
    removed: bool,
    name: Option<String>,
    managed: Option<bool>,
    limit: Option<u64>,
    offset: Option<u64>,
    order_by: Option<String>,
}

/// Every file system (removed ones only when asked), by name.
pub async fn handle(state: web::Data<AppState>, query: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let f = query.into_inner();
    let filesystems = super::load(
        &state.db,
        "($1 OR NOT f.removed) AND ($2::text IS NULL OR f.name = $2) AND ($3::bool IS NULL OR f.managed = $3)",
        vec![f.removed.into(), f.name.into(), f.managed.into()],
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
pub async fn get(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "file system")?;
    Ok(crate::respond::ok(super::load_one(&state.db, id).await?))
}
