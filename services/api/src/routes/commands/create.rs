//! `POST /api/command`: validate, store, notify the scheduler, answer 202.
//! Only superusers: such a command runs the engine's diagnostic actions
//! with any locks its jobs name, so it can hold a write lock on any object
//! (an fsadmin changes objects through their own routes, which plan the
//! locks).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use lustre::submission::CommandRequest;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use wire::messages::SchedulerMessage;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::state::AppState;

/// A stored command.
#[derive(Serialize, ToSchema)]
pub struct Submitted {
    id: Uuid,
    /// `pending`.
    state: &'static str,
    jobs: Vec<SubmittedJob>,
}

/// A stored job.
#[derive(Serialize, ToSchema)]
pub struct SubmittedJob {
    id: Uuid,
    key: String,
    /// `pending`.
    state: &'static str,
}

/// The body, as documented: the shape of `lustre::submission::CommandRequest`
/// (which lives where `utoipa` is not a dependency).
#[derive(ToSchema)]
#[schema(as = CommandRequest)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "describes the request body; never built")]
pub struct CommandRequestSchema {
    /// What the command does, for people (1 to 1024 bytes).
    #[schema(min_length = 1, max_length = 1024)]
    message: String,
    /// At least one.
    #[schema(min_items = 1)]
    jobs: Vec<JobRequestSchema>,
}

/// One job of a command.
#[derive(ToSchema)]
#[schema(as = JobRequest)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "describes the request body; never built")]
pub struct JobRequestSchema {
    /// Unique within the command; `wait_for` names jobs by it.
    key: String,
    #[serde(default)]
    description: String,
    /// At least one.
    #[schema(min_items = 1)]
    steps: Vec<StepRequestSchema>,
    #[serde(default)]
    locks: Vec<LockRequestSchema>,
    /// Keys of jobs of this command to wait for.
    #[serde(default)]
    wait_for: Vec<String>,
}

/// One step of a job.
#[derive(ToSchema)]
#[schema(as = StepRequest)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "describes the request body; never built")]
pub struct StepRequestSchema {
    /// The action's name.
    action: String,
    /// The action's arguments.
    #[serde(default)]
    args: serde_json::Value,
}

/// A lock a job asks for.
#[derive(ToSchema)]
#[schema(as = LockRequest)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "describes the request body; never built")]
pub struct LockRequestSchema {
    /// The object, as `host/ID`, `target/ID`.
    item: String,
    #[serde(default)]
    write: bool,
}

/// Stores a valid command of diagnostic actions (superusers only);
/// nothing is stored for an invalid one.
#[utoipa::path(
    post,
    path = "/api/command",
    tag = "command",
    request_body = CommandRequestSchema,
    responses(
        (status = 202, description = "The command is stored and the scheduler told", body = Envelope<Submitted>,
            links(
                ("command" = (operation_id = "get_command_id", parameters(("id" = "$response.body#/response/id")))),
                ("cancel" = (operation_id = "post_command_id_cancel",
                    parameters(("id" = "$response.body#/response/id")))),
                ("job" = (operation_id = "get_job_id", parameters(("id" = "$response.body#/response/jobs/0/id")))),
                ("pause" = (operation_id = "post_job_id_pause",
                    parameters(("id" = "$response.body#/response/jobs/0/id")))),
                ("resume" = (operation_id = "post_job_id_resume",
                    parameters(("id" = "$response.body#/response/jobs/0/id")))),
                ("cancel_job" = (operation_id = "post_job_id_cancel",
                    parameters(("id" = "$response.body#/response/jobs/0/id")))),
            )),
        (status = 400, description = "The body is invalid; nothing is stored", body = ErrorEnvelope),
        (status = 403, description = "The caller is not a superuser", body = ErrorEnvelope),
    ),
)]
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
