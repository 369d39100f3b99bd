//! `POST /api/command/{id}/cancel`: cancel every unfinished job.

use actix_web::{web, HttpResponse};
use common::messages::SchedulerMessage;

use crate::error::ApiError;
use crate::state::AppState;

/// Cancels the command; 409 if it already finished.
pub async fn handle(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = crate::routes::query::id(&path, "command")?;
    store::control::cancel_command(&state.db, id).await?;
    // Cancelled jobs released their locks: let waiting jobs start.
    state.notify_scheduler(SchedulerMessage::Kick { job_ids: Vec::new() });
    Ok(crate::respond::ok(super::get::load(&state.db, id).await?))
}
