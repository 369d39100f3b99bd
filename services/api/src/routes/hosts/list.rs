//! `GET /api/host` and `GET /api/host/{id}`.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use lustre::domain::{HostState, LnetState};
use serde::Deserialize;
use utoipa::IntoParams;

use super::HostView;
use crate::error::ApiError;
use crate::routes::listing;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::{id, Paging};
use crate::state::AppState;
use crate::views::Page;
use store::hosts::HostSelection;

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// Only hosts in this state.
    state: Option<String>,
    /// Only hosts whose LNet is in this state.
    lnet_state: Option<String>,
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
    /// `address`, `nodename`, `state`, `lnet_state` or `created_at`; `-` first for descending.
    order_by: Option<String>,
}

/// Hosts (a site has tens to hundreds), by address unless ordered.
#[utoipa::path(
    get,
    path = "/api/host",
    tag = "host",
    params(Filters),
    responses(
        (status = 200, description = "A page of hosts", body = Envelope<Page<HostView>>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
)]
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
    let hosts = store::hosts::views(
        &state.db,
        HostSelection::Matching {
            state: f.state,
            lnet_state: f.lnet_state,
        },
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
#[utoipa::path(
    get,
    path = "/api/host/{id}",
    tag = "host",
    params(("id" = Uuid, Path, description = "The host's id")),
    responses(
        (status = 200, description = "The host", body = Envelope<HostView>),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "No such host", body = ErrorEnvelope),
    ),
)]
pub async fn get(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "host")?;
    let host = store::hosts::views(&state.db, HostSelection::Id(id))
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("host {id} does not exist")))?;
    Ok(crate::respond::ok(host))
}
