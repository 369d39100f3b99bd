//! `PATCH /api/target/{id} {"state", "confirm"?}[?dry_run=true]`, and
//! `POST /api/target/{id}/failover {"host_id"?}` / `…/failback`.

use actix_web::{web, HttpResponse};
use common::domain::TargetState;
use common::plan::Goal;
use serde::Deserialize;
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::planning::{change, DryRun};
use crate::routes::query::id;
use crate::state::AppState;

/// The body of a state change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateChange {
    pub state: String,
    #[serde(default)]
    pub confirm: bool,
}

/// The body of a failover request.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailoverRequest {
    pub host_id: Option<Uuid>,
    #[serde(default)]
    pub confirm: bool,
}

async fn name_of(state: &AppState, id: Uuid) -> Result<String, ApiError> {
    super::load(&state.db, "t.id = $1", vec![id.into()])
        .await?
        .pop()
        .map(|t| t.name)
        .ok_or_else(|| ApiError::NotFound(format!("target {id} does not exist")))
}

/// Plans the route to the state asked for.
pub async fn patch(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<StateChange>,
) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "target")?;
    let request = body.into_inner();
    let want: TargetState = request
        .state
        .parse()
        .map_err(|e| ApiError::bad("invalid_field", e, Some("state")))?;
    let name = name_of(&state, id).await?;
    let message = format!("Set {name} {want}");
    change(&state, Goal::Target(id, want), message, query.dry_run, request.confirm).await
}

/// Moves a mounted target to a failover host (by default its first).
pub async fn failover(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "target")?;
    // The body is optional; when present it must be valid.
    let request: FailoverRequest = if body.iter().all(u8::is_ascii_whitespace) {
        FailoverRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::bad("invalid_json", e.to_string(), None))?
    };
    let target = super::load(&state.db, "t.id = $1", vec![id.into()])
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("target {id} does not exist")))?;
    let host = match request.host_id {
        Some(host) => host,
        None => *target
            .failover_host_ids
            .first()
            .ok_or_else(|| ApiError::Conflict(format!("{} has no failover host", target.name)))?,
    };
    let message = format!("Fail {} over", target.name);
    let goal = Goal::Failover { target: id, host };
    change(&state, goal, message, query.dry_run, request.confirm).await
}

/// Moves a target back to its primary host.
pub async fn failback(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "target")?;
    let name = name_of(&state, id).await?;
    let message = format!("Fail {name} back");
    change(&state, Goal::Failback(id), message, query.dry_run, false).await
}
