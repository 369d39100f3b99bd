//! `POST /api/filesystem/{id}/writeconf {"confirm"?}[?dry_run=true]`: regenerate a file
//! system's configuration with its servers' current NIDs, as after a
//! change of a server's LNet networks (Intel Manager for Lustre's
//! `UpdateNidsJob`): the file system stops, every MDT and OST is
//! writeconf'd with the new NIDs, it starts again (MGS, MDTs, then OSTs)
//! and its conf_params are applied again.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use lustre::plan::Goal;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{change, DryRun, Planned};
use crate::routes::query::id;
use crate::state::AppState;

/// The body: `{}`, or `{"confirm": true}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Writeconf {
    /// Go ahead although it changes objects the request did not name.
    #[serde(default)]
    confirm: bool,
}

/// Plans the writeconf.
#[utoipa::path(
    post,
    path = "/api/filesystem/{id}/writeconf",
    tag = "filesystem",
    params(("id" = Uuid, Path, description = "The file system's id"), DryRun),
    request_body = Writeconf,
    responses(
        (status = 200, description = "A dry run: the jobs it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored: its id and jobs", body = Envelope<Planned>),
        (status = 400, description = "The id or the body is invalid, or the file system is removed", body = ErrorEnvelope),
        (status = 404, description = "No such file system", body = ErrorEnvelope),
        (status = 409, description = "A target is not registered yet, the file system is monitored only, or work on it is unfinished", body = ErrorEnvelope),
    ),
)]
pub async fn post(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<Writeconf>,
) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "file system")?;
    let request = body.into_inner();
    let fs = super::load_one(&state.db, id).await?;
    let message = format!(
        "Regenerate the configuration of {} with its servers' NIDs (writeconf)",
        fs.name
    );
    change(&state, Goal::Writeconf(id), message, query.dry_run, request.confirm).await
}
