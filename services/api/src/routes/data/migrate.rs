//! `POST /api/filesystem/{id}/migrate[?dry_run=true] {"path",
//! "exclude_ost_ids"?, "pool"?, "stripe_count"?}`: move the files under a
//! path off OSTs (before an OST is removed) or into a pool, as a job
//! (`lfs find --ost`, then `lfs migrate` on the files found).

use actix_web::{web, HttpResponse};
use api_types::data::MigrateRequest;
use api_types::envelope::Envelope;
use lustre::plan::{DataRequest, Goal};
use lustre::submission::FieldError;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{change, DryRun, Planned};
use crate::routes::query::id;
use crate::state::AppState;

/// Plans the migration.
#[utoipa::path(
    post,
    path = "/api/filesystem/{id}/migrate",
    tag = "data",
    params(("id" = Uuid, Path, description = "The file system's id"), DryRun),
    request_body = MigrateRequest,
    responses(
        (status = 200, description = "A dry run: the job it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored: its id and job", body = Envelope<Planned>),
        (status = 400, description = "The path, an OST, the pool or the stripe count is refused", body = ErrorEnvelope),
        (status = 404, description = "No such file system", body = ErrorEnvelope),
        (status = 409, description = "No mounted client mount, no OST left to move onto, or unfinished work", body = ErrorEnvelope),
    ),
)]
pub async fn post(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<MigrateRequest>,
) -> Result<HttpResponse, ApiError> {
    let fs_id = id(&path, "file system")?;
    let request = body.into_inner();
    let fs = super::filesystem(&state.db, fs_id).await?;
    let mut errors = Vec::new();
    let dir = super::path("path", &request.path, &mut errors);
    if request.exclude_ost_ids.is_empty() && request.pool.is_none() {
        errors.push(FieldError {
            field: "exclude_ost_ids".into(),
            message: "give the OSTs to move objects off, or a pool to move the files into".into(),
        });
    }
    let osts = store::targets::views(
        &state.db,
        store::targets::TargetSelection::Matching {
            filesystem_id: Some(fs.id),
            kind: Some("ost".into()),
            state: None,
            host_id: None,
        },
    )
    .await?;
    for (i, ost) in request.exclude_ost_ids.iter().enumerate() {
        match osts.iter().find(|t| t.id == *ost) {
            Some(t) if t.state != "removed" => {}
            _ => errors.push(FieldError {
                field: format!("exclude_ost_ids[{i}]"),
                message: format!("{ost} is not an OST of file system {}", fs.name),
            }),
        }
    }
    if request.stripe_count == Some(0) {
        errors.push(FieldError {
            field: "stripe_count".into(),
            message: "at least 1".into(),
        });
    }
    let pool = match &request.pool {
        Some(name) => {
            let members = super::pool(&state.db, &fs, "pool", name, &mut errors).await?;
            let name = name.strip_prefix(&format!("{}.", fs.name)).unwrap_or(name).to_string();
            Some((name, members))
        }
        None => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mount = super::client(&state.db, &fs).await?;
    let goal = Goal::Data {
        mount,
        request: DataRequest::Migrate {
            path: dir.clone(),
            exclude: request.exclude_ost_ids,
            pool,
            stripe_count: request.stripe_count,
        },
    };
    let message = format!("Migrate the files of {}:{dir}", fs.name);
    change(&state, goal, message, query.dry_run, false).await
}
