//! `GET /api/volume`: block devices found on managed hosts, each with the
//! hosts it is visible from (two for a failover pair) and the target it
//! holds, if any.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::state::AppState;
use crate::views::Page;

pub use api_types::volumes::{NodeView, VolumeView};

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// Volumes this host sees.
    host_id: Option<Uuid>,
    /// Only volumes holding no target (true) or holding one (false).
    free: Option<bool>,
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
    /// `serial`, `size_bytes` or `target`; `-` first for descending.
    order_by: Option<String>,
}

/// Volumes with their nodes, by serial unless ordered.
#[utoipa::path(
    get,
    path = "/api/volume",
    tag = "volume",
    params(Filters),
    responses(
        (status = 200, description = "A page of volumes", body = Envelope<Page<VolumeView>>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
)]
pub async fn list(state: web::Data<AppState>, params: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let f = params.into_inner();
    let volumes = store::volumes::views(&state.db).await?;
    let objects: Vec<VolumeView> = volumes
        .into_iter()
        .filter(|v| f.host_id.is_none_or(|h| v.nodes.iter().any(|n| n.host_id == h)))
        .filter(|v| f.free.is_none_or(|free| free == v.target_id.is_none()))
        .collect();
    let paging = crate::routes::query::Paging {
        limit: f.limit,
        offset: f.offset,
    };
    crate::routes::listing::page(
        objects,
        paging,
        f.order_by.as_deref(),
        &["serial", "size_bytes", "target"],
    )
}
