//! `POST /api/filesystem/{id}/mirror[?dry_run=true] {"path", "action",
//! "mirrors": [{"pool"}…]}`: create a mirrored file, add mirrors to a
//! file, resync its stale mirrors or read its layout again, as a job.

use actix_web::{web, HttpResponse};
use api_types::data::{MirrorAction, MirrorRequest};
use api_types::envelope::Envelope;
use lustre::data::{MirrorOp, MIRROR_COUNT_MAX};
use lustre::plan::{DataRequest, Goal};
use lustre::submission::FieldError;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{change, DryRun, Planned};
use crate::routes::query::id;
use crate::state::AppState;

/// Plans the mirror job.
#[utoipa::path(
    post,
    path = "/api/filesystem/{id}/mirror",
    tag = "data",
    params(("id" = Uuid, Path, description = "The file system's id"), DryRun),
    request_body = MirrorRequest,
    responses(
        (status = 200, description = "A dry run: the job it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored: its id and job", body = Envelope<Planned>),
        (status = 400, description = "The path, a pool or the mirrors are refused (unknown pool, another file system's, two mirrors on one pool or on pools sharing OSTs, more than 16 mirrors with the file's own)", body = ErrorEnvelope),
        (status = 404, description = "No such file system", body = ErrorEnvelope),
        (status = 409, description = "No mounted client mount, or unfinished work on it", body = ErrorEnvelope),
    ),
)]
pub async fn post(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<MirrorRequest>,
) -> Result<HttpResponse, ApiError> {
    let fs_id = id(&path, "file system")?;
    let request = body.into_inner();
    let fs = super::filesystem(&state.db, fs_id).await?;
    let mut errors = Vec::new();
    let file = super::path("path", &request.path, &mut errors);
    if file == "/" {
        errors.push(FieldError {
            field: "path".into(),
            message: "must name a file, not the file system's root".into(),
        });
    }
    let op = match request.action {
        MirrorAction::Create => MirrorOp::Create,
        MirrorAction::Extend => MirrorOp::Extend,
        MirrorAction::Resync => MirrorOp::Resync,
        MirrorAction::Verify => MirrorOp::Verify,
    };
    let pools: Vec<String> = request
        .mirrors
        .iter()
        .map(|m| {
            m.pool
                .strip_prefix(&format!("{}.", fs.name))
                .unwrap_or(&m.pool)
                .to_string()
        })
        .collect();
    let wanted = match op {
        MirrorOp::Create => 2..=MIRROR_COUNT_MAX,
        MirrorOp::Extend => 1..=MIRROR_COUNT_MAX - 1,
        MirrorOp::Resync | MirrorOp::Verify => 0..=0,
    };
    if !wanted.contains(&pools.len()) {
        errors.push(FieldError {
            field: "mirrors".into(),
            message: format!(
                "{} takes {} mirrors, not {}",
                op.as_str(),
                if wanted.end() == &0 {
                    "no".to_string()
                } else {
                    format!("{} to {}", wanted.start(), wanted.end())
                },
                pools.len()
            ),
        });
    }
    if op == MirrorOp::Extend && errors.is_empty() {
        // The layout last read: the file's mirrors count against the limit too.
        let layout = store::data_layouts::get(&state.db, fs.id, &file)
            .await?
            .and_then(|r| serde_json::from_value::<lustre::data::FileLayout>(r.layout).ok());
        if let Some(have) = layout.map(|l| l.mirrors.len()) {
            if have + pools.len() > MIRROR_COUNT_MAX {
                errors.push(FieldError {
                    field: "mirrors".into(),
                    message: format!(
                        "{}:{file} has {have} mirrors; {have} + {} is more than the {MIRROR_COUNT_MAX} a file may have",
                        fs.name,
                        pools.len()
                    ),
                });
            }
        }
    }
    let mut members: Vec<(&String, Vec<uuid::Uuid>)> = Vec::new();
    for (i, pool) in pools.iter().enumerate() {
        let field = format!("mirrors[{i}].pool");
        if pools[..i].contains(pool) {
            errors.push(FieldError {
                field,
                message: format!("two mirrors on pool {pool}: each mirror needs its own pool"),
            });
            continue;
        }
        let osts = super::pool(&state.db, &fs, &field, pool, &mut errors).await?;
        // Mirrors on shared OSTs may land on the same OST: one failure
        // would take both copies.
        if let Some((other, _)) = members.iter().find(|(_, m)| m.iter().any(|o| osts.contains(o))) {
            errors.push(FieldError {
                field,
                message: format!("pools {other} and {pool} share OSTs: each mirror needs OSTs of its own"),
            });
            continue;
        }
        members.push((pool, osts));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mount = super::client(&state.db, &fs).await?;
    let message = match op {
        MirrorOp::Create => format!("Create mirrored file {}:{file}", fs.name),
        MirrorOp::Extend => format!("Add mirrors to {}:{file}", fs.name),
        MirrorOp::Resync => format!("Resync the mirrors of {}:{file}", fs.name),
        MirrorOp::Verify => format!("Read the layout of {}:{file}", fs.name),
    };
    let goal = Goal::Data {
        mount,
        request: DataRequest::Mirror { path: file, op, pools },
    };
    change(&state, goal, message, query.dry_run, false).await
}
