//! `GET /api/filesystem` and `GET /api/filesystem/{id}`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::error::ApiError;
use crate::routes::query::id;
use crate::state::AppState;
use crate::views::{Page, PageMeta};

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    /// Include removed file systems.
    #[serde(default)]
    removed: bool,
}

/// Every file system (removed ones only when asked), by name.
pub async fn handle(state: web::Data<AppState>, query: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let filter = if query.removed { "true" } else { "NOT f.removed" };
    let filesystems = super::load(&state.db, filter, Vec::new()).await?;
    let total_count = filesystems.len() as u64;
    let meta = PageMeta {
        total_count,
        limit: total_count,
        offset: 0,
    };
    Ok(crate::respond::ok(Page {
        objects: filesystems,
        meta,
    }))
}

/// One file system with its targets.
pub async fn get(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "file system")?;
    Ok(crate::respond::ok(super::load_one(&state.db, id).await?))
}
