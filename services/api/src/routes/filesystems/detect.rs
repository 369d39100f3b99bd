//! `POST /api/filesystem/detect`: read the configuration llogs of every MGS
//! on the managed hosts and record the file systems Chroma did not create,
//! as monitored-only objects. Answers 202 with the command.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use lustre::submission::{NewCommand, NewJob};
use lustre::Action;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use wire::messages::SchedulerMessage;

use crate::error::ApiError;
use crate::state::AppState;

/// The detection's command.
#[derive(Serialize, ToSchema)]
pub struct Detection {
    command: Uuid,
}

/// Submits the detection.
#[utoipa::path(
    post,
    path = "/api/filesystem/detect",
    tag = "filesystem",
    responses((status = 202, description = "The detection is submitted", body = Envelope<Detection>,
        links(("command" = (operation_id = "get_command_id",
            parameters(("id" = "$response.body#/response/command"))))))),
)]
pub async fn handle(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let command = NewCommand {
        message: "Detect file systems".into(),
        jobs: vec![NewJob {
            key: "detect".into(),
            description: "Read the MGS configuration logs and record the file systems found".into(),
            steps: vec![Action::DetectFilesystems],
            // One detection at a time: two would insert the same objects.
            locks: vec![(lustre::Item::Detection.to_string(), true)],
            wait_for: Vec::new(),
        }],
    };
    let stored = store::commands::insert(&state.db, &command).await?;
    state.notify_scheduler(SchedulerMessage::CommandSubmitted { command_id: stored.id });
    Ok(crate::respond::with_status(
        StatusCode::ACCEPTED,
        Detection { command: stored.id },
    ))
}
