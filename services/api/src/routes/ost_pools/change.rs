//! `PATCH /api/ost_pool/{id} {"ost_ids"}` (the pool's new membership: OSTs
//! added and removed) and `DELETE /api/ost_pool/{id}` (its OSTs removed,
//! then the pool destroyed), each `[?dry_run=true]`.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use api_types::ost_pools::OstPoolChange;
use lustre::plan::{Goal, PoolFacts};

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{change, DryRun, Planned};
use crate::routes::query::id;
use crate::state::AppState;

async fn facts(state: &AppState, path: &str) -> Result<(PoolFacts, String), ApiError> {
    let id = id(path, "OST pool")?;
    let pool = super::load_one(&state.db, id).await?;
    if pool.state == "removed" {
        return Err(ApiError::bad(
            "invalid_transition",
            format!("pool {}.{} is removed", pool.filesystem_name, pool.name),
            Some("id"),
        ));
    }
    let full = format!("{}.{}", pool.filesystem_name, pool.name);
    Ok((
        PoolFacts {
            id,
            filesystem_id: pool.filesystem_id,
            member_ids: pool.osts.iter().map(|o| o.id).collect(),
            name: pool.name,
            state: pool.state,
        },
        full,
    ))
}

/// Plans the pool's new membership.
#[utoipa::path(
    patch,
    path = "/api/ost_pool/{id}",
    tag = "ost_pool",
    params(("id" = Uuid, Path, description = "The pool's id"), DryRun),
    request_body = OstPoolChange,
    responses(
        (status = 200, description = "A dry run: the job it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored", body = Envelope<Planned>),
        (status = 400, description = "An OST is refused, or the pool is removed", body = ErrorEnvelope),
        (status = 404, description = "No such pool", body = ErrorEnvelope),
        (status = 409, description = "The file system is not running, or work on the pool is unfinished", body = ErrorEnvelope),
    ),
)]
pub async fn patch(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<OstPoolChange>,
) -> Result<HttpResponse, ApiError> {
    let (pool, full) = facts(&state, &path).await?;
    let ost_ids = body.into_inner().ost_ids;
    let mut errors = Vec::new();
    super::check_osts(&state.db, pool.filesystem_id, &ost_ids, &mut errors).await?;
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let message = format!("Change the OSTs of pool {full}");
    change(
        &state,
        Goal::ChangePool { pool, ost_ids },
        message,
        query.dry_run,
        false,
    )
    .await
}

/// Plans the pool's destruction.
#[utoipa::path(
    delete,
    path = "/api/ost_pool/{id}",
    tag = "ost_pool",
    params(("id" = Uuid, Path, description = "The pool's id"), DryRun),
    responses(
        (status = 200, description = "A dry run: the job it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored", body = Envelope<Planned>),
        (status = 400, description = "The pool is removed", body = ErrorEnvelope),
        (status = 404, description = "No such pool", body = ErrorEnvelope),
        (status = 409, description = "The file system is not running, or work on the pool is unfinished", body = ErrorEnvelope),
    ),
)]
pub async fn delete(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
) -> Result<HttpResponse, ApiError> {
    let (pool, full) = facts(&state, &path).await?;
    let message = format!("Destroy OST pool {full}");
    change(&state, Goal::DestroyPool(pool), message, query.dry_run, false).await
}
