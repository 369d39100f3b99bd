//! `GET /api/job/{id}`: a job with its steps, locks and dependencies.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::state::AppState;
use crate::views::{self, JobView, LockView};

/// Shows one job in full.
#[utoipa::path(
    get,
    path = "/api/job/{id}",
    tag = "job",
    params(("id" = Uuid, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job with its steps, locks and dependencies", body = Envelope<JobView>),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "No such job", body = ErrorEnvelope),
    ),
)]
pub async fn handle(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = crate::routes::query::id(&path, "job")?;
    Ok(crate::respond::ok(load(&state.db, id).await?))
}

/// A job with its steps, locks and the keys of the jobs it waits for.
pub async fn load(db: &DatabaseConnection, id: Uuid) -> Result<JobView, ApiError> {
    let found = store::jobs::get(db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("job {id} does not exist")))?;
    let steps = store::steps::of_jobs(db, vec![id]).await?;
    let locks = store::jobs::locks_of(db, id)
        .await?
        .into_iter()
        .map(|l| LockView {
            item: l.item,
            write: l.write,
        })
        .collect();
    let wait_for = store::jobs::dependency_keys(db, id).await?;
    Ok(JobView {
        steps: Some(steps.into_iter().map(views::step).collect()),
        locks: Some(locks),
        wait_for: Some(wait_for),
        ..views::job_summary(found)
    })
}
