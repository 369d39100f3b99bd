//! `GET /api/filesystem/{id}/job_stats` and `GET /api/target/{id}/job_stats`:
//! the jobs that moved the most bytes over a time range, from Lustre's
//! per-job statistics.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use store::metric_query::{JobScope, JobUsage};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::state::AppState;

/// Jobs answered when the request does not say.
const DEFAULT_LIMIT: u64 = 10;
/// The most jobs answered.
const MAX_LIMIT: u64 = 1000;

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TargetJobStats {
    /// Start of the range (RFC 3339; send `+` as `%2B`); an hour before
    /// `end` by default.
    #[param(format = DateTime)]
    begin: Option<String>,
    /// End of the range, excluded (RFC 3339); now by default.
    #[param(format = DateTime)]
    end: Option<String>,
    /// How many jobs, the busiest first.
    #[param(minimum = 1, maximum = 1000, default = 10)]
    limit: Option<u64>,
}

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FilesystemJobStats {
    /// Start of the range (RFC 3339; send `+` as `%2B`); an hour before
    /// `end` by default.
    #[param(format = DateTime)]
    begin: Option<String>,
    /// End of the range, excluded (RFC 3339); now by default.
    #[param(format = DateTime)]
    end: Option<String>,
    /// How many jobs, the busiest first.
    #[param(minimum = 1, maximum = 1000, default = 10)]
    limit: Option<u64>,
    /// Only the I/O on this target of the file system.
    #[param(value_type = Option<Uuid>)]
    target_id: Option<String>,
}

/// The busiest jobs of a range.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobStatsView {
    begin: DateTime<Utc>,
    end: DateTime<Utc>,
    /// Most bytes (read + written) first.
    jobs: Vec<JobUsageView>,
}

/// One job's I/O over the range. Lustre samples each job's rates at every
/// collection; each sample counts for one collection period of its target
/// (the shortest gap between its collections in the range), so these are
/// estimates of the totals.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobUsageView {
    /// The job id as Lustre's `jobid_var` names it (`SLURM_JOB_ID`,
    /// `procname_uid`…).
    job: String,
    /// Bytes read.
    read_bytes: f64,
    /// Bytes written.
    write_bytes: f64,
    /// Bytes read and written.
    bytes: f64,
    /// I/O operations.
    ops: f64,
}

impl From<JobUsage> for JobUsageView {
    fn from(u: JobUsage) -> Self {
        Self {
            bytes: u.read_bytes + u.write_bytes,
            job: u.job,
            read_bytes: u.read_bytes,
            write_bytes: u.write_bytes,
            ops: u.ops,
        }
    }
}

async fn answer(
    state: &AppState,
    scope: JobScope,
    begin: Option<&str>,
    end: Option<&str>,
    limit: Option<u64>,
) -> Result<HttpResponse, ApiError> {
    let (begin, end) = super::range(begin, end, Utc::now())?;
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad(
            "invalid_query",
            format!("limit must be between 1 and {MAX_LIMIT}"),
            Some("limit"),
        ));
    }
    let jobs = store::metric_query::top_jobs(&state.db, scope, begin, end, limit)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(match scope {
                JobScope::Filesystem { id, .. } => format!("file system {id} does not exist"),
                JobScope::Target(id) => format!("target {id} does not exist"),
            })
        })?;
    Ok(crate::respond::ok(JobStatsView {
        begin,
        end,
        jobs: jobs.into_iter().map(JobUsageView::from).collect(),
    }))
}

/// The jobs that moved the most bytes on a file system's targets.
#[utoipa::path(
    get,
    path = "/api/filesystem/{id}/job_stats",
    tag = "metric",
    params(("id" = Uuid, Path, description = "The file system's id"), FilesystemJobStats),
    responses(
        (status = 200, description = "The busiest jobs, most bytes first", body = Envelope<JobStatsView>),
        (status = 400, description = "The id or a parameter is invalid", body = ErrorEnvelope),
        (status = 404, description = "No such file system", body = ErrorEnvelope),
    ),
)]
pub async fn filesystem(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<FilesystemJobStats>,
) -> Result<HttpResponse, ApiError> {
    let id = crate::routes::query::id(&path, "file system")?;
    let q = query.into_inner();
    let target_id = q
        .target_id
        .as_deref()
        .map(|text| {
            Uuid::parse_str(text).map_err(|_| {
                ApiError::bad(
                    "invalid_query",
                    format!("target_id {text:?} is not a target id (a UUID)"),
                    Some("target_id"),
                )
            })
        })
        .transpose()?;
    let scope = JobScope::Filesystem { id, target_id };
    answer(&state, scope, q.begin.as_deref(), q.end.as_deref(), q.limit).await
}

/// The jobs that moved the most bytes on one target.
#[utoipa::path(
    get,
    path = "/api/target/{id}/job_stats",
    tag = "metric",
    params(("id" = Uuid, Path, description = "The target's id"), TargetJobStats),
    responses(
        (status = 200, description = "The busiest jobs, most bytes first", body = Envelope<JobStatsView>),
        (status = 400, description = "The id or a parameter is invalid", body = ErrorEnvelope),
        (status = 404, description = "No such target", body = ErrorEnvelope),
    ),
)]
pub async fn target(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<TargetJobStats>,
) -> Result<HttpResponse, ApiError> {
    let id = crate::routes::query::id(&path, "target")?;
    let q = query.into_inner();
    answer(
        &state,
        JobScope::Target(id),
        q.begin.as_deref(),
        q.end.as_deref(),
        q.limit,
    )
    .await
}
