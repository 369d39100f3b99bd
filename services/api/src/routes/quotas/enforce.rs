//! `PUT /api/filesystem/{id}/quota[?dry_run=true] {"ost": "ug", "mdt":
//! "ug"}`: the quota types a file system enforces.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use api_types::planning::Planned;
use api_types::quotas::QuotaEnforcement;
use lustre::plan::Goal;
use lustre::submission::FieldError;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{change, DryRun};
use crate::routes::query::id;
use crate::state::AppState;

/// Plans setting the enforcement on the file system's MGS.
#[utoipa::path(
    put,
    path = "/api/filesystem/{id}/quota",
    tag = "quota",
    params(("id" = Uuid, Path, description = "The file system's id"), DryRun),
    request_body = QuotaEnforcement,
    responses(
        (status = 200, description = "A dry run: the job it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored", body = Envelope<Planned>),
        (status = 400, description = "A setting is not letters of ugp nor none", body = ErrorEnvelope),
        (status = 404, description = "No such file system", body = ErrorEnvelope),
        (status = 409, description = "The MGS is not mounted, or work is unfinished", body = ErrorEnvelope),
    ),
)]
pub async fn handle(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<QuotaEnforcement>,
) -> Result<HttpResponse, ApiError> {
    let fs_id = id(&path, "file system")?;
    let request = body.into_inner();
    let errors: Vec<FieldError> = [("ost", &request.ost), ("mdt", &request.mdt)]
        .into_iter()
        .filter_map(|(field, value)| {
            lustre::actions::check_quota_types(value)
                .err()
                .map(|message| FieldError {
                    field: field.into(),
                    message,
                })
        })
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let fs = store::filesystems::views(&state.db, store::filesystems::FilesystemSelection::Id(fs_id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::NotFound(format!("file system {fs_id} does not exist")))?;
    let goal = Goal::QuotaEnforcement {
        filesystem: fs_id,
        ost: request.ost.clone(),
        mdt: request.mdt.clone(),
    };
    let message = format!(
        "Enforce quotas on {}: ost={}, mdt={}",
        fs.name, request.ost, request.mdt
    );
    change(&state, goal, message, query.dry_run, false).await
}
