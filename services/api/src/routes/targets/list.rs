//! `GET /api/target` and `GET /api/target/{id}`.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::TargetView;
use crate::error::ApiError;
use crate::routes::listing;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::{id, Paging};
use crate::state::AppState;
use crate::views::{Page, PageMeta};
use store::targets::TargetSelection;

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// Only targets of this file system.
    filesystem_id: Option<Uuid>,
    /// `mgt`, `mdt` or `ost`.
    kind: Option<String>,
    /// Only targets in this state.
    state: Option<String>,
    /// Targets this host serves (primary, failover or active).
    host_id: Option<Uuid>,
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
    /// `name`, `kind`, `state`, `filesystem`, `index`, `active_host` or `created_at`; `-` first for
    /// descending.
    order_by: Option<String>,
}

/// Every target, by file system, kind and index.
#[utoipa::path(
    get,
    path = "/api/target",
    tag = "target",
    params(Filters),
    responses(
        (status = 200, description = "A page of targets", body = Envelope<Page<TargetView>>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
)]
pub async fn handle(state: web::Data<AppState>, query: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let f = query.into_inner();
    if let Some(kind) = &f.kind {
        kind.parse::<lustre::domain::TargetKind>()
            .map_err(|e| ApiError::bad("invalid_query", e, Some("kind")))?;
    }
    if let Some(wanted) = &f.state {
        wanted
            .parse::<lustre::domain::TargetState>()
            .map_err(|e| ApiError::bad("invalid_query", e, Some("state")))?;
    }
    let selection = TargetSelection::Matching {
        filesystem_id: f.filesystem_id,
        kind: f.kind,
        state: f.state,
        host_id: f.host_id,
    };
    let paging = Paging {
        limit: f.limit,
        offset: f.offset,
    };
    let sortable = [
        "name",
        "kind",
        "state",
        "filesystem",
        "index",
        "active_host",
        "created_at",
    ];
    if f.order_by.is_none() {
        // The store's own order: the database pages, so a large site's
        // first page reads 50 targets, not all of them.
        let (limit, offset) = paging.resolve()?;
        let (objects, total_count) = store::targets::views_page(&state.db, selection, limit, offset).await?;
        return Ok(crate::respond::ok(Page {
            objects,
            meta: PageMeta {
                total_count,
                limit,
                offset,
            },
        }));
    }
    let targets = store::targets::views(&state.db, selection).await?;
    listing::page(targets, paging, f.order_by.as_deref(), &sortable)
}

/// One target.
#[utoipa::path(
    get,
    path = "/api/target/{id}",
    tag = "target",
    params(("id" = Uuid, Path, description = "The target's id")),
    responses(
        (status = 200, description = "The target", body = Envelope<TargetView>),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "No such target", body = ErrorEnvelope),
    ),
)]
pub async fn get(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "target")?;
    let target = store::targets::views(&state.db, TargetSelection::Id(id))
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("target {id} does not exist")))?;
    Ok(crate::respond::ok(target))
}
