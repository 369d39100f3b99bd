//! `POST /api/job/{id}/cancel|pause|resume`.

use actix_web::{web, HttpResponse};
use common::messages::SchedulerMessage;

use crate::error::ApiError;
use crate::state::AppState;

/// Cancels the job and the jobs waiting on it; a running step is
/// interrupted. 409 if the job already finished.
pub async fn cancel(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = crate::routes::query::id(&path, "job")?;
    store::control::cancel_job(&state.db, id).await?;
    state.notify_scheduler(SchedulerMessage::Kick { job_ids: Vec::new() });
    Ok(crate::respond::ok(super::get::load(&state.db, id).await?))
}

/// Pauses a running job: its running step finishes, no new step starts.
pub async fn pause(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = crate::routes::query::id(&path, "job")?;
    store::control::set_paused(&state.db, id, true).await?;
    Ok(crate::respond::ok(super::get::load(&state.db, id).await?))
}

/// Resumes a paused job.
pub async fn resume(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = crate::routes::query::id(&path, "job")?;
    store::control::set_paused(&state.db, id, false).await?;
    state.notify_scheduler(SchedulerMessage::Kick { job_ids: vec![id] });
    Ok(crate::respond::ok(super::get::load(&state.db, id).await?))
}
