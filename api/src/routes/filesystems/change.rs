//! `PATCH /api/filesystem/{id} {"state": "available"|"stopped"|"removed",
//! "confirm"?}[?dry_run=true]`: start, stop or remove a file system.

use actix_web::{web, HttpResponse};
use common::domain::FilesystemState;
use common::envelope::Envelope;
use common::plan::Goal;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{change, DryRun, Planned};
use crate::routes::query::id;
use crate::routes::targets::change::StateChange;
use crate::state::AppState;

/// Plans the start, stop or removal asked for.
#[utoipa::path(
    patch,
    path = "/api/filesystem/{id}",
    tag = "filesystem",
    params(("id" = Uuid, Path, description = "The file system's id"), DryRun),
    request_body = StateChange,
    responses(
        (status = 200, description = "A dry run, or nothing to do: the jobs it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored: its id and jobs", body = Envelope<Planned>),
        (status = 400, description = "The id or the body is invalid, or the file system cannot reach that state", body = ErrorEnvelope),
        (status = 404, description = "No such file system", body = ErrorEnvelope),
        (status = 409, description = "Unfinished work on the objects it touches, or `confirm` is needed", body = ErrorEnvelope),
    ),
)]
pub async fn patch(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<StateChange>,
) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "file system")?;
    let request = body.into_inner();
    let want: FilesystemState = request
        .state
        .parse()
        .map_err(|e| ApiError::bad("invalid_field", e, Some("state")))?;
    let fs = super::load_one(&state.db, id).await?;
    let verb = match want {
        FilesystemState::Available => "Start",
        FilesystemState::Stopped => "Stop",
        FilesystemState::Removed => "Remove",
        FilesystemState::Unavailable => "Change",
    };
    let message = format!("{verb} file system {}", fs.name);
    change(
        &state,
        Goal::Filesystem(id, want),
        message,
        query.dry_run,
        request.confirm,
    )
    .await
}
