//! `GET /api/host` and `GET /api/host/{id}`.

use actix_web::{web, HttpResponse};
use common::domain::{HostState, LnetState};
use serde::Deserialize;

use crate::error::ApiError;
use crate::routes::listing;
use crate::routes::query::{id, Paging};
use crate::state::AppState;

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    state: Option<String>,
    lnet_state: Option<String>,
    limit: Option<u64>,
    offset: Option<u64>,
    order_by: Option<String>,
}

/// Hosts (a site has tens to hundreds), by address unless ordered.
pub async fn handle(state: web::Data<AppState>, query: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let f = query.into_inner();
    if let Some(wanted) = &f.state {
        wanted
            .parse::<HostState>()
            .map_err(|e| ApiError::bad("invalid_query", format!("unknown host state: {e}"), Some("state")))?;
    }
    if let Some(wanted) = &f.lnet_state {
        wanted
            .parse::<LnetState>()
            .map_err(|e| ApiError::bad("invalid_query", format!("unknown LNet state: {e}"), Some("lnet_state")))?;
    }
    let hosts = super::load(
        &state.db,
        "($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR lnet_state = $2)",
        vec![f.state.into(), f.lnet_state.into()],
    )
    .await?;
    let paging = Paging {
        limit: f.limit,
        offset: f.offset,
    };
    listing::page(
        hosts,
        paging,
        f.order_by.as_deref(),
        &["address", "nodename", "state", "lnet_state", "created_at"],
    )
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
