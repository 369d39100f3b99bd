//! `GET /api/command`: commands newest first, a page at a time.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::Paging;
use crate::state::AppState;
use crate::views::{self, CommandView, JobView, Page, PageMeta};

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// Only commands in this state.
    state: Option<String>,
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
    /// `-created_at` (newest first, the default) or `created_at`.
    order_by: Option<String>,
}

/// Lists commands, newest first, with their jobs (without steps).
#[utoipa::path(
    get,
    path = "/api/command",
    tag = "command",
    params(Filters),
    responses(
        (status = 200, description = "A page of commands", body = Envelope<Page<CommandView>>),
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
        None | Some("-created_at") => true,
        Some("created_at") => false,
        Some(other) => {
            return Err(ApiError::bad(
                "invalid_query",
                format!("cannot order by {other:?}; order_by takes created_at or -created_at"),
                Some("order_by"),
            ))
        }
    };
    let state_filter = match filters.state {
        Some(wanted) => Some(lustre::CommandState::parse(&wanted).ok_or_else(|| {
            ApiError::bad(
                "invalid_query",
                format!("unknown command state {wanted:?}"),
                Some("state"),
            )
        })?),
        None => None,
    };
    let (commands, total_count) = store::commands::page(&state.db, state_filter, newest_first, limit, offset).await?;
    let ids: Vec<Uuid> = commands.iter().map(|c| c.id).collect();
    let mut jobs: HashMap<Uuid, Vec<JobView>> = HashMap::new();
    for j in store::jobs::of_commands(&state.db, ids).await? {
        jobs.entry(j.command_id).or_default().push(views::job_summary(j));
    }
    let objects = commands
        .into_iter()
        .map(|c| {
            let command_jobs = jobs.remove(&c.id).unwrap_or_default();
            views::command(c, command_jobs)
        })
        .collect();
    Ok(crate::respond::ok(Page {
        objects,
        meta: PageMeta {
            total_count,
            limit,
            offset,
        },
    }))
}
