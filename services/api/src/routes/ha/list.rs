//! `GET /api/ha_cluster` and `GET /api/ha_cluster/{id}`.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use serde::Deserialize;
use utoipa::IntoParams;

use super::ClusterView;
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
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
    /// `name`, `state` or `created_at`; `-` first for descending.
    order_by: Option<String>,
}

/// HA clusters with their members and fencing state, by name.
#[utoipa::path(
    get,
    path = "/api/ha_cluster",
    tag = "ha_cluster",
    params(Filters),
    responses(
        (status = 200, description = "A page of HA clusters", body = Envelope<Page<ClusterView>>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
)]
pub async fn handle(state: web::Data<AppState>, query: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let f = query.into_inner();
    let clusters = store::ha::cluster_views(&state.db, store::ha::ClusterSelection::Live).await?;
    let paging = Paging {
        limit: f.limit,
        offset: f.offset,
    };
    listing::page(
        clusters,
        paging,
        f.order_by.as_deref(),
        &["name", "state", "created_at"],
    )
}

/// One HA cluster.
#[utoipa::path(
    get,
    path = "/api/ha_cluster/{id}",
    tag = "ha_cluster",
    params(("id" = Uuid, Path, description = "The cluster's id")),
    responses(
        (status = 200, description = "The cluster", body = Envelope<ClusterView>),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "No such cluster", body = ErrorEnvelope),
    ),
)]
pub async fn get(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "HA cluster")?;
    let cluster = store::ha::cluster_views(&state.db, store::ha::ClusterSelection::Id(id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::NotFound(format!("no HA cluster {id}")))?;
    Ok(crate::respond::ok(cluster))
}
