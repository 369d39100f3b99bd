//! `POST /api/filesystem/detect`: read the configuration llogs of every MGS
//! on the managed hosts and record the file systems Chroma did not create,
//! as monitored-only objects. Answers 202 with the command.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use common::messages::SchedulerMessage;
use common::submission::{NewCommand, NewJob};
use common::Action;
use serde_json::json;

use crate::error::ApiError;
use crate::state::AppState;

/// Submits the detection.
pub async fn handle(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let command = NewCommand {
        message: "Detect file systems".into(),
        jobs: vec![NewJob {
            key: "detect".into(),
            description: "Read the MGS configuration logs and record the file systems found".into(),
            steps: vec![Action::DetectFilesystems],
            // One detection at a time: two would insert the same objects.
            locks: vec![("detect".into(), true)],
            wait_for: Vec::new(),
        }],
    };
    let stored = store::commands::insert(&state.db, &command).await?;
    state.notify_scheduler(SchedulerMessage::CommandSubmitted { command_id: stored.id });
    Ok(crate::respond::with_status(
        StatusCode::ACCEPTED,
        json!({ "command": stored.id }),
    ))
}
