//! `POST /api/filesystem/{id}/hsm/request {"action", "path", "archive_id"?}`:
//! one file archived, released, restored or removed from the archive, as a job that issues the
//! request from a mounted client and follows it to its end.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use api_types::hsm::HsmRequestBody;
use lustre::hsm::{check_hsm_path, HsmAction, MAX_ARCHIVE_ID};
use lustre::plan::{Goal, HsmRequestFacts};
use lustre::submission::FieldError;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{change, DryRun, Planned};
use crate::state::AppState;

fn field(name: &str, message: String) -> FieldError {
    FieldError {
        field: name.into(),
        message,
    }
}

#[utoipa::path(
    post,
    path = "/api/filesystem/{id}/hsm/request",
    tag = "hsm",
    params(("id" = Uuid, Path, description = "The file system's id"), DryRun),
    request_body = HsmRequestBody,
    responses(
        (status = 200, description = "A dry run: the job it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored", body = Envelope<Planned>),
        (status = 400, description = "The action, path or archive id is refused, or the file system is removed", body = ErrorEnvelope),
        (status = 404, description = "No such file system", body = ErrorEnvelope),
        (status = 409, description = "The coordinator is not enabled, no started copytool serves the archive, no client mount is mounted, the file system is not running, or (remove) the file is released", body = ErrorEnvelope),
    ),
)]
pub async fn post(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<HsmRequestBody>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let mut errors = Vec::new();
    let action = HsmAction::parse(&request.action);
    if action.is_none() {
        errors.push(field(
            "action",
            format!("must be archive, release, restore or remove (not {:?})", request.action),
        ));
    }
    if let Err(m) = check_hsm_path(&request.path) {
        errors.push(field("path", m));
    }
    let archive_id = match request.archive_id {
        None => None,
        Some(id) if action.is_some() && action != Some(HsmAction::Archive) => {
            errors.push(field(
                "archive_id",
                format!("only an archive names an archive (not {id})"),
            ));
            None
        }
        Some(id) => match u32::try_from(id).ok().filter(|id| (1..=MAX_ARCHIVE_ID).contains(id)) {
            Some(id) => Some(id),
            None => {
                errors.push(field("archive_id", format!("must be 1 to {MAX_ARCHIVE_ID} (not {id})")));
                None
            }
        },
    };
    let Some(action) = action.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let fs = super::live_filesystem(&state.db, &path).await?;
    if action == HsmAction::Remove {
        // 2.15 `mdt_hsm_is_action_compat`: a released file's data is only
        // in the archive, so its copy is not removed (restore it first).
        let file = store::hsm::file(&state.db, fs.id, &request.path).await?;
        if file.is_some_and(|f| u32::try_from(f.flags).unwrap_or(0) & lustre::hsm::HS_RELEASED != 0) {
            return Err(ApiError::Conflict(format!(
                "path: {} on {} is released: its data is only in the archive; restore it before removing its archive copy",
                request.path, fs.name
            )));
        }
    }
    if action != HsmAction::Release {
        let control = store::hsm::status(&state.db, fs.id).await?.map(|s| s.control);
        if control.as_deref() != Some("enabled") {
            return Err(ApiError::Conflict(format!(
                "the HSM coordinator of {} is {}, not enabled; enable it with PUT /api/filesystem/{}/hsm",
                fs.name,
                control.as_deref().unwrap_or("not enabled by Chroma"),
                fs.id
            )));
        }
        let file_archive = store::hsm::file(&state.db, fs.id, &request.path)
            .await?
            .map(|f| f.archive_id)
            .filter(|id| *id > 0);
        let wanted = archive_id
            .and_then(|id| i32::try_from(id).ok())
            .or(file_archive)
            .unwrap_or(1);
        if !store::hsm::archive_served(&state.db, fs.id, wanted).await? {
            return Err(ApiError::Conflict(format!(
                "archive_id: no started copytool serves archive {wanted} of {}; the request would wait forever (add one with POST /api/copytool)",
                fs.name
            )));
        }
    }
    let Some((client_mount_id, host_id, _)) = store::client_mounts::mounted_for_filesystem(&state.db, fs.id).await?
    else {
        return Err(ApiError::Conflict(format!(
            "file system {} has no mounted client mount; add one with POST /api/client_mount",
            fs.name
        )));
    };
    let goal = Goal::HsmRequest(HsmRequestFacts {
        filesystem_id: fs.id,
        client_mount_id,
        host_id,
        action,
        path: request.path.clone(),
        archive_id,
    });
    let verb = match action {
        HsmAction::Archive => "Archive",
        HsmAction::Release => "Release",
        HsmAction::Restore => "Restore",
        HsmAction::Remove => "Remove the archive copy of",
    };
    change(
        &state,
        goal,
        format!("{verb} {} on {}", request.path, fs.name),
        query.dry_run,
        false,
    )
    .await
}
