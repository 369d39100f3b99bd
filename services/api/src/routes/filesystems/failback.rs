//! `POST /api/filesystem/{id}/failback[?dry_run=true]`: after a failover
//! storm, move every target of a file system (its MGS included) that
//! Pacemaker runs away from its primary host back there with one command,
//! one failback job per target, run in parallel. Targets already on their
//! primary are left alone; when every one is, the plan is empty (200).

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use lustre::plan::Goal;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{change, DryRun, Planned};
use crate::routes::query::id;
use crate::state::AppState;

/// Plans moving every target of the file system back to its primary host.
#[utoipa::path(
    post,
    path = "/api/filesystem/{id}/failback",
    tag = "filesystem",
    params(("id" = Uuid, Path, description = "The file system's id"), DryRun),
    responses(
        (status = 200, description = "A dry run, or nothing to do: the jobs it would take, one per target away from its primary", body = Envelope<Planned>),
        (status = 202, description = "The command is stored: its id and jobs", body = Envelope<Planned>),
        (status = 400, description = "The id is invalid, or the file system is removed", body = ErrorEnvelope),
        (status = 404, description = "No such file system", body = ErrorEnvelope),
        (status = 409, description = "The file system is monitored only, or work on it is unfinished", body = ErrorEnvelope),
    ),
)]
pub async fn post(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "file system")?;
    let fs = super::load_one(&state.db, id).await?;
    let message = format!("Fail back every target of {}", fs.name);
    change(&state, Goal::FailbackFilesystem(id), message, query.dry_run, false).await
}
