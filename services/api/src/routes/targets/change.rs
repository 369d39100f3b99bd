//! `PATCH /api/target/{id} {"state", "confirm"?}[?dry_run=true]`, and
//! `POST /api/target/{id}/failover {"host_id"?}` / `…/failback`.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use lustre::domain::TargetState;
use lustre::plan::Goal;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{change, DryRun, Planned};
use crate::routes::query::id;
use crate::state::AppState;
use store::targets::TargetSelection;

/// The body of a state change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateChange {
    /// The state wanted (one of the object's `available_transitions`).
    pub state: String,
    /// Go ahead although it changes objects the request did not name.
    #[serde(default)]
    pub confirm: bool,
}

/// The body of a failover request (optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FailoverRequest {
    /// The failover host to move to; by default the target's first.
    pub host_id: Option<Uuid>,
    /// Go ahead although it changes objects the request did not name.
    #[serde(default)]
    pub confirm: bool,
}

/// Target `id`'s name; 404 when there is no such target.
pub(super) async fn name_of(state: &AppState, id: Uuid) -> Result<String, ApiError> {
    store::targets::views(&state.db, TargetSelection::Id(id))
        .await?
        .pop()
        .map(|t| t.name)
        .ok_or_else(|| ApiError::NotFound(format!("target {id} does not exist")))
}

/// Plans the route to the state asked for.
#[utoipa::path(
    patch,
    path = "/api/target/{id}",
    tag = "target",
    params(("id" = Uuid, Path, description = "The target's id"), DryRun),
    request_body = StateChange,
    responses(
        (status = 200, description = "A dry run, or nothing to do: the jobs it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored: its id and jobs", body = Envelope<Planned>),
        (status = 400, description = "The id or the body is invalid, or the target cannot reach that state", body = ErrorEnvelope),
        (status = 404, description = "No such target", body = ErrorEnvelope),
        (status = 409, description = "Unfinished work on the objects it touches, or `confirm` is needed", body = ErrorEnvelope),
    ),
)]
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
#[utoipa::path(
    post,
    path = "/api/target/{id}/failover",
    tag = "target",
    params(("id" = Uuid, Path, description = "The target's id"), DryRun),
    request_body(content = Option<FailoverRequest>, description = "Optional: by default the first failover host"),
    responses(
        (status = 200, description = "A dry run, or nothing to do: the jobs it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored: its id and jobs", body = Envelope<Planned>),
        (status = 400, description = "The id or the body is invalid, or the target cannot reach that state", body = ErrorEnvelope),
        (status = 404, description = "No such target", body = ErrorEnvelope),
        (status = 409, description = "Unfinished work on the objects it touches, `confirm` is needed, or the target has no failover host", body = ErrorEnvelope),
    ),
)]
pub async fn failover(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "target")?;
    // The body is optional (absent or null); when present it must be valid.
    let request: FailoverRequest = if body.iter().all(u8::is_ascii_whitespace) {
        FailoverRequest::default()
    } else {
        serde_json::from_slice::<Option<FailoverRequest>>(&body)
            .map_err(|e| ApiError::bad("invalid_json", e.to_string(), None))?
            .unwrap_or_default()
    };
    let target = store::targets::views(&state.db, TargetSelection::Id(id))
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
#[utoipa::path(
    post,
    path = "/api/target/{id}/failback",
    tag = "target",
    params(("id" = Uuid, Path, description = "The target's id"), DryRun),
    responses(
        (status = 200, description = "A dry run, or nothing to do: the jobs it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored: its id and jobs", body = Envelope<Planned>),
        (status = 400, description = "The id or the body is invalid, or the target cannot reach that state", body = ErrorEnvelope),
        (status = 404, description = "No such target", body = ErrorEnvelope),
        (status = 409, description = "Unfinished work on the objects it touches, or `confirm` is needed", body = ErrorEnvelope),
    ),
)]
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
