//! `GET /api/command/{id}`: a command with its jobs and their steps.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::state::AppState;
use crate::views::{self, CommandView, JobView, StepView};

/// Shows one command in full.
#[utoipa::path(
    get,
    path = "/api/command/{id}",
    tag = "command",
    params(("id" = Uuid, Path, description = "The command's id")),
    responses(
        (status = 200, description = "The command with its jobs and their steps", body = Envelope<CommandView>),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "No such command", body = ErrorEnvelope),
    ),
)]
pub async fn handle(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = crate::routes::query::id(&path, "command")?;
    Ok(crate::respond::ok(load(&state.db, id).await?))
}

/// A command with its jobs (submission order) and their steps.
pub async fn load(db: &DatabaseConnection, id: Uuid) -> Result<CommandView, ApiError> {
    let found = store::commands::get(db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("command {id} does not exist")))?;
    let jobs = store::jobs::of_commands(db, vec![id]).await?;
    let job_ids: Vec<Uuid> = jobs.iter().map(|j| j.id).collect();
    let mut steps: HashMap<Uuid, Vec<StepView>> = HashMap::new();
    for s in store::steps::of_jobs(db, job_ids).await? {
        steps.entry(s.job_id).or_default().push(views::step(s));
    }
    let jobs = jobs
        .into_iter()
        .map(|j| {
            let job_steps = steps.remove(&j.id).unwrap_or_default();
            JobView {
                steps: Some(job_steps),
                ..views::job_summary(j)
            }
        })
        .collect();
    Ok(views::command(found, jobs))
}
