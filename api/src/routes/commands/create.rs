//! `POST /api/command`: validate, store, notify the scheduler, answer 202.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use common::messages::SchedulerMessage;
use common::submission::CommandRequest;
use serde::Serialize;
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Serialize)]
struct Submitted {
    id: Uuid,
    state: &'static str,
    jobs: Vec<SubmittedJob>,
}

#[derive(Serialize)]
struct SubmittedJob {
    id: Uuid,
    key: String,
    state: &'static str,
}

/// Stores a valid command; nothing is stored for an invalid one.
pub async fn handle(state: web::Data<AppState>, body: web::Json<CommandRequest>) -> Result<HttpResponse, ApiError> {
    let command = body.into_inner().validate().map_err(ApiError::Validation)?;
    let stored = store::commands::insert(&state.db, &command).await?;
    state.notify_scheduler(SchedulerMessage::CommandSubmitted { command_id: stored.id });
    let response = Submitted {
        id: stored.id,
        state: "pending",
        jobs: stored
            .jobs
            .into_iter()
            .map(|(id, key)| SubmittedJob {
                id,
                key,
                state: "pending",
            })
            .collect(),
    };
    Ok(crate::respond::with_status(StatusCode::ACCEPTED, response))
}
