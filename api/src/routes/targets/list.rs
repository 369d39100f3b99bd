//! `GET /api/target` and `GET /api/target/{id}`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::query::id;
use crate::state::AppState;
use crate::views::{Page, PageMeta};

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    filesystem_id: Option<Uuid>,
    kind: Option<String>,
}

/// Every target, by file system, kind and index.
pub async fn handle(state: web::Data<AppState>, query: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let Filters { filesystem_id, kind } = query.into_inner();
    if let Some(kind) = &kind {
        kind.parse::<common::domain::TargetKind>()
            .map_err(|e| ApiError::bad("invalid_query", e, Some("kind")))?;
    }
    let targets = super::load(
        &state.db,
        "($1::uuid IS NULL OR t.filesystem_id = $1) AND ($2::text IS NULL OR t.kind = $2)",
        vec![filesystem_id.into(), kind.into()],
    )
    .await?;
    let total_count = targets.len() as u64;
    let meta = PageMeta {
        total_count,
        limit: total_count,
        offset: 0,
    };
    Ok(crate::respond::ok(Page { objects: targets, meta }))
}

/// One target.
pub async fn get(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "target")?;
    let target = super::load(&state.db, "t.id = $1", vec![id.into()])
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("target {id} does not exist")))?;
    Ok(crate::respond::ok(target))
}
