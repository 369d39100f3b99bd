//! `GET /api/host` and `GET /api/host/{id}`.

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
    state: Option<String>,
}

/// Every host (a site has tens to hundreds), by address.
pub async fn handle(state: web::Data<AppState>, query: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let hosts = match query.into_inner().state {
        None => super::load(&state.db, "true", Vec::new()).await?,
        Some(wanted) => {
            if !["unconfigured", "managed", "removed"].contains(&wanted.as_str()) {
                return Err(ApiError::bad(
                    "invalid_query",
                    format!("unknown host state {wanted:?}"),
                    Some("state"),
                ));
            }
            super::load(&state.db, "state = $1", vec![wanted.into()]).await?
        }
    };
    let total_count = hosts.len() as u64;
    let meta = PageMeta {
        total_count,
        limit: total_count,
        offset: 0,
    };
    Ok(crate::respond::ok(Page { objects: hosts, meta }))
}

/// One host.
pub async fn get(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "host")?;
    let host = super::load(&state.db, "id = $1", vec![id.into()])
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("host {id} does not exist")))?;
    Ok(crate::respond::ok(host))
}
