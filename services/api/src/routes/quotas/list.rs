//! `GET /api/quota[?filesystem_id=&over=true]` and `GET /api/quota/{id}`.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use api_types::quotas::QuotaView;
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
    /// Only the quotas of this file system.
    filesystem_id: Option<Uuid>,
    /// Only those whose usage (as last read) is over a soft or hard limit.
    #[serde(default)]
    over: bool,
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
    /// `filesystem_name`, `kind`, `qid`, `block_used`, `inode_used`, `state` or `created_at`; `-` first for descending.
    order_by: Option<String>,
}

/// Every live quota with its usage as last read, oldest first.
#[utoipa::path(
    get,
    path = "/api/quota",
    tag = "quota",
    params(Filters),
    responses(
        (status = 200, description = "The quotas", body = Envelope<Page<QuotaView>>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
)]
pub async fn handle(state: web::Data<AppState>, query: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let f = query.into_inner();
    let selection = store::quotas::Selection {
        id: None,
        filesystem_id: f.filesystem_id,
        over: f.over,
    };
    let quotas = store::quotas::views(&state.db, selection).await?;
    let paging = Paging {
        limit: f.limit,
        offset: f.offset,
    };
    listing::page(
        quotas,
        paging,
        f.order_by.as_deref(),
        &[
            "filesystem_name",
            "kind",
            "qid",
            "block_used",
            "inode_used",
            "state",
            "created_at",
        ],
    )
}

/// One quota.
#[utoipa::path(
    get,
    path = "/api/quota/{id}",
    tag = "quota",
    params(("id" = Uuid, Path, description = "The quota's id")),
    responses(
        (status = 200, description = "The quota", body = Envelope<QuotaView>),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "No such quota", body = ErrorEnvelope),
    ),
)]
pub async fn get(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "quota")?;
    Ok(crate::respond::ok(super::load_one(&state.db, id).await?))
}
