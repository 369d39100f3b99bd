//! `POST /api/filesystem/{id}/stripe[?dry_run=true] {"path", "pool",
//! "stripe_count"?, "stripe_size"?}`: a directory's default striping over
//! a pool, as a job (`lfs setstripe -p POOL DIR`): new files under it go
//! to the pool's OSTs.

use actix_web::{web, HttpResponse};
use api_types::data::StripeRequest;
use api_types::envelope::Envelope;
use lustre::plan::{DataRequest, Goal};
use lustre::submission::FieldError;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{change, DryRun, Planned};
use crate::routes::query::id;
use crate::state::AppState;

/// Plans the striping job.
#[utoipa::path(
    post,
    path = "/api/filesystem/{id}/stripe",
    tag = "data",
    params(("id" = Uuid, Path, description = "The file system's id"), DryRun),
    request_body = StripeRequest,
    responses(
        (status = 200, description = "A dry run: the job it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored: its id and job", body = Envelope<Planned>),
        (status = 400, description = "The path, the pool, the stripe count or size is refused", body = ErrorEnvelope),
        (status = 404, description = "No such file system", body = ErrorEnvelope),
        (status = 409, description = "No mounted client mount, or unfinished work on it", body = ErrorEnvelope),
    ),
)]
pub async fn post(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<StripeRequest>,
) -> Result<HttpResponse, ApiError> {
    let fs_id = id(&path, "file system")?;
    let request = body.into_inner();
    let fs = super::filesystem(&state.db, fs_id).await?;
    let mut errors = Vec::new();
    let dir = super::path("path", &request.path, &mut errors);
    let members = super::pool(&state.db, &fs, "pool", &request.pool, &mut errors).await?;
    if let Some(count) = request.stripe_count {
        let most = i32::try_from(members.len()).unwrap_or(i32::MAX);
        if count < -1 || count == 0 || (!members.is_empty() && count > most) {
            errors.push(FieldError {
                field: "stripe_count".into(),
                message: format!("-1 (every OST of the pool) or 1 to {most}, not {count}"),
            });
        }
    }
    if let Some(size) = request.stripe_size {
        if size == 0 || size % 65_536 != 0 || size >= 4 << 30 {
            errors.push(FieldError {
                field: "stripe_size".into(),
                message: format!("a multiple of 64 KiB (65536) below 4 GiB, not {size}"),
            });
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mount = super::client(&state.db, &fs).await?;
    let pool = request
        .pool
        .strip_prefix(&format!("{}.", fs.name))
        .unwrap_or(&request.pool)
        .to_string();
    let message = format!("Stripe new files of {}:{dir} over pool {pool}", fs.name);
    let goal = Goal::Data {
        mount,
        request: DataRequest::Stripe {
            path: dir,
            pool,
            stripe_count: request.stripe_count,
            stripe_size: request.stripe_size,
        },
    };
    change(&state, goal, message, query.dry_run, false).await
}
