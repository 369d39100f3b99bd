//! `PATCH /api/filesystem/{id} {"state": "available"|"stopped"|"removed",
//! "confirm"?}[?dry_run=true]`: start, stop or remove a file system; or
//! `{"managed": true}`: take over a detected one ([`super::takeover`]).

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use lustre::domain::FilesystemState;
use lustre::plan::Goal;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{change, DryRun, Planned};
use crate::routes::query::id;
use crate::state::AppState;

/// The body: exactly one of `state` and `managed`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilesystemChange {
    /// The state wanted (one of the file system's `available_transitions`).
    #[schema(pattern = "^(available|stopped|removed|unavailable)$")]
    state: Option<String>,
    /// `true`: Chroma manages a file system it detected (checked first;
    /// nothing runs on the servers).
    managed: Option<bool>,
    /// Go ahead although it changes objects the request did not name.
    #[serde(default)]
    confirm: bool,
}

/// What the answer holds: the plan of a state change, or the file system
/// now managed.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum ChangeAnswer {
    Planned(Planned),
    Managed(Box<super::FilesystemView>),
}

/// Plans the start, stop or removal asked for, or takes the file system over.
#[utoipa::path(
    patch,
    path = "/api/filesystem/{id}",
    tag = "filesystem",
    params(("id" = Uuid, Path, description = "The file system's id"), DryRun),
    request_body = FilesystemChange,
    responses(
        (status = 200, description = "A dry run or nothing to do (the jobs it would take), or the file system now managed", body = Envelope<ChangeAnswer>),
        (status = 202, description = "The command is stored: its id and jobs", body = Envelope<Planned>),
        (status = 400, description = "The id or the body is invalid, or the file system cannot reach that state", body = ErrorEnvelope),
        (status = 404, description = "No such file system", body = ErrorEnvelope),
        (status = 409, description = "Unfinished work on the objects it touches, `confirm` is needed, or Chroma cannot manage it yet (the reasons)", body = ErrorEnvelope),
    ),
)]
pub async fn patch(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<FilesystemChange>,
) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "file system")?;
    let request = body.into_inner();
    let wanted = match (request.state, request.managed) {
        (Some(wanted), None) => wanted,
        // Boxed: both futures inline overflow an actix worker's stack in
        // debug builds.
        (None, Some(true)) => return Box::pin(super::takeover::take_over(&state, id)).await,
        (None, Some(false)) => {
            return Err(ApiError::bad(
                "invalid_field",
                "Chroma does not stop managing a file system; remove it instead",
                Some("managed"),
            ))
        }
        _ => {
            return Err(ApiError::bad(
                "invalid_field",
                "give exactly one of state and managed",
                Some("state"),
            ))
        }
    };
    let want: FilesystemState = wanted
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
