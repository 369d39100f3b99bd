//! `GET /api/job?state=…&command=…`: jobs in submission order.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::{id, Paging};
use crate::state::AppState;
use crate::views::{self, JobView, Page, PageMeta};

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// Only jobs in this state.
    state: Option<String>,
    /// Only jobs of this command (its id).
    #[param(format = Uuid)]
    command: Option<String>,
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
    /// `seq` (submission order, the default) or `-seq`.
    order_by: Option<String>,
}

/// Lists jobs matching the filters.
#[utoipa::path(
    get,
    path = "/api/job",
    tag = "job",
    params(Filters),
    responses(
        (status = 200, description = "A page of jobs, without their steps", body = Envelope<Page<JobView>>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
)]
pub async fn handle(state: web::Data<AppState>, query: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let filters = query.into_inner();
    let (limit, offset) = Paging {
        limit: filters.limit,
        offset: filters.offset,
    }
    .resolve()?;
    let newest_first = match filters.order_by.as_deref() {
        None | Some("seq") => false,
        Some("-seq") => true,
        Some(other) => {
            return Err(ApiError::bad(
                "invalid_query",
                format!("cannot order by {other:?}; order_by takes seq or -seq"),
                Some("order_by"),
            ))
        }
    };
    let mut filter = store::jobs::JobFilter::default();
    if let Some(wanted) = filters.state {
        let parsed = lustre::JobState::parse(&wanted)
            .ok_or_else(|| ApiError::bad("invalid_query", format!("unknown job state {wanted:?}"), Some("state")))?;
        filter.state = Some(parsed);
    }
    if let Some(command) = filters.command {
        let command = id(&command, "command").map_err(|_| {
            ApiError::bad(
                "invalid_query",
                format!("{command:?} is not a command id (a UUID)"),
                Some("command"),
            )
        })?;
        filter.command = Some(command);
    }
    let (jobs, total_count) = store::jobs::page(&state.db, &filter, newest_first, limit, offset).await?;
    let objects = jobs.into_iter().map(views::job_summary).collect();
    Ok(crate::respond::ok(Page::<JobView> {
        objects,
        meta: PageMeta {
            total_count,
            limit,
            offset,
        },
    }))
}
