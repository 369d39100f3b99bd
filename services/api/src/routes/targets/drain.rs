//! `POST /api/target/{id}/drain` and `…/undrain`: stop or resume new object
//! creation on an OST from every MDT of its file system, persistently
//! (`lctl set_param -P osp.FS-OSTxxxx-osc-MDT*.max_create_count=0` on the
//! MGS; 20000, Lustre's default, to undrain). A drained OST keeps serving
//! the objects it has, so its files can be migrated off it with
//! `lfs migrate` before it is removed (`PATCH /api/target/{id}
//! {"state": "removed", "confirm": true}`).

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use lustre::plan::Goal;
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{change, DryRun, Planned};
use crate::routes::query::id;
use crate::state::AppState;

async fn submit(state: &AppState, path: &str, dry_run: bool, drained: bool) -> Result<HttpResponse, ApiError> {
    let id: Uuid = id(path, "target")?;
    let name = super::change::name_of(state, id).await?;
    let verb = if drained { "Drain" } else { "Undrain" };
    let message = format!("{verb} {name}");
    change(state, Goal::Drain { target: id, drained }, message, dry_run, false).await
}

/// Stops new object creation on an OST from every MDT.
#[utoipa::path(
    post,
    path = "/api/target/{id}/drain",
    tag = "target",
    params(("id" = Uuid, Path, description = "The OST's id"), DryRun),
    responses(
        (status = 200, description = "A dry run: the jobs it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored: its id and jobs", body = Envelope<Planned>),
        (status = 400, description = "The id is invalid", body = ErrorEnvelope),
        (status = 404, description = "No such target", body = ErrorEnvelope),
        (status = 409, description = "The target is not an OST of a live file system, is monitored only, or the objects it touches have unfinished work", body = ErrorEnvelope),
    ),
)]
pub async fn drain(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
) -> Result<HttpResponse, ApiError> {
    submit(&state, &path, query.dry_run, true).await
}

/// Lets the MDTs create objects on a drained OST again.
#[utoipa::path(
    post,
    path = "/api/target/{id}/undrain",
    tag = "target",
    params(("id" = Uuid, Path, description = "The OST's id"), DryRun),
    responses(
        (status = 200, description = "A dry run: the jobs it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored: its id and jobs", body = Envelope<Planned>),
        (status = 400, description = "The id is invalid", body = ErrorEnvelope),
        (status = 404, description = "No such target", body = ErrorEnvelope),
        (status = 409, description = "The target is not an OST of a live file system, is monitored only, or the objects it touches have unfinished work", body = ErrorEnvelope),
    ),
)]
pub async fn undrain(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
) -> Result<HttpResponse, ApiError> {
    submit(&state, &path, query.dry_run, false).await
}
