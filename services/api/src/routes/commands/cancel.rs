//! `POST /api/command/{id}/cancel`: cancel every unfinished job.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use wire::messages::SchedulerMessage;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::state::AppState;
use crate::views::CommandView;

/// Cancels the command; 409 if it already finished.
#[utoipa::path(
    post,
    path = "/api/command/{id}/cancel",
    tag = "command",
    params(("id" = Uuid, Path, description = "The command's id")),
    responses(
        (status = 200, description = "The command as cancelled", body = Envelope<CommandView>),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "No such command", body = ErrorEnvelope),
        (status = 409, description = "The command already finished", body = ErrorEnvelope),
    ),
)]
pub async fn handle(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = crate::routes::query::id(&path, "command")?;
    store::control::cancel_command(&state.db, id).await?;
    // Cancelled jobs released their locks: let waiting jobs start.
    state.notify_scheduler(SchedulerMessage::Kick { job_ids: Vec::new() });
    Ok(crate::respond::ok(super::get::load(&state.db, id).await?))
}
