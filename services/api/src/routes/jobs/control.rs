//! `POST /api/job/{id}/cancel|pause|resume`.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use wire::messages::SchedulerMessage;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::state::AppState;
use crate::views::JobView;

/// Cancels the job and the jobs waiting on it; a running step is
/// interrupted. 409 if the job already finished.
#[utoipa::path(
    post,
    path = "/api/job/{id}/cancel",
    tag = "job",
    params(("id" = Uuid, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job as cancelled", body = Envelope<JobView>),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "No such job", body = ErrorEnvelope),
        (status = 409, description = "The job already finished", body = ErrorEnvelope),
    ),
)]
pub async fn cancel(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = crate::routes::query::id(&path, "job")?;
    store::control::cancel_job(&state.db, id).await?;
    state.notify_scheduler(SchedulerMessage::Kick { job_ids: Vec::new() });
    Ok(crate::respond::ok(super::get::load(&state.db, id).await?))
}

/// Pauses a running job: its running step finishes, no new step starts.
#[utoipa::path(
    post,
    path = "/api/job/{id}/pause",
    tag = "job",
    params(("id" = Uuid, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job as paused", body = Envelope<JobView>),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "No such job", body = ErrorEnvelope),
        (status = 409, description = "The job cannot be paused in its state", body = ErrorEnvelope),
    ),
)]
pub async fn pause(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = crate::routes::query::id(&path, "job")?;
    store::control::set_paused(&state.db, id, true).await?;
    Ok(crate::respond::ok(super::get::load(&state.db, id).await?))
}

/// Resumes a paused job.
#[utoipa::path(
    post,
    path = "/api/job/{id}/resume",
    tag = "job",
    params(("id" = Uuid, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job as resumed", body = Envelope<JobView>),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "No such job", body = ErrorEnvelope),
        (status = 409, description = "The job cannot be resumed in its state", body = ErrorEnvelope),
    ),
)]
pub async fn resume(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = crate::routes::query::id(&path, "job")?;
    store::control::set_paused(&state.db, id, false).await?;
    state.notify_scheduler(SchedulerMessage::Kick { job_ids: vec![id] });
    Ok(crate::respond::ok(super::get::load(&state.db, id).await?))
}
