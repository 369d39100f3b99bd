//! `PATCH /api/host/{id} {"state": "removed"} | {"lnet_state": "lnet_up" |
//! "lnet_down"}, "confirm"?}[?dry_run=true]`: remove a host, or start or
//! stop LNet on it.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use lustre::domain::{HostState, LnetState};
use lustre::plan::Goal;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{change, DryRun, Planned};
use crate::routes::query::id;
use crate::state::AppState;

/// The body: exactly one of `state` and `lnet_state`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HostChange {
    /// `removed`.
    #[schema(pattern = "^(unconfigured|managed|removed)$")]
    state: Option<String>,
    /// `lnet_up` or `lnet_down`.
    #[schema(pattern = "^(lnet_unknown|lnet_down|lnet_up)$")]
    lnet_state: Option<String>,
    /// Go ahead although it changes objects the request did not name.
    #[serde(default)]
    confirm: bool,
}

/// Plans the change asked for.
#[utoipa::path(
    patch,
    path = "/api/host/{id}",
    tag = "host",
    params(("id" = Uuid, Path, description = "The host's id"), DryRun),
    request_body = HostChange,
    responses(
        (status = 200, description = "A dry run, or nothing to do: the jobs it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored: its id and jobs", body = Envelope<Planned>),
        (status = 400, description = "The id or the body is invalid, or the host cannot reach that state", body = ErrorEnvelope),
        (status = 404, description = "No such host", body = ErrorEnvelope),
        (status = 409, description = "Unfinished work on the objects it touches, or `confirm` is needed", body = ErrorEnvelope),
    ),
)]
pub async fn patch(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<HostChange>,
) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "host")?;
    let request = body.into_inner();
    let host = store::hosts::views(&state.db, store::hosts::HostSelection::Id(id))
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("host {id} does not exist")))?;
    let label = host.nodename.unwrap_or(host.address);
    let (goal, message) = match (request.state, request.lnet_state) {
        (Some(wanted), None) => {
            let want: HostState = wanted
                .parse()
                .map_err(|e| ApiError::bad("invalid_field", e, Some("state")))?;
            (Goal::Host(id, want), format!("Set host {label} {want}"))
        }
        (None, Some(wanted)) => {
            let want: LnetState = wanted
                .parse()
                .map_err(|e| ApiError::bad("invalid_field", e, Some("lnet_state")))?;
            (Goal::Lnet(id, want), format!("Set LNet on {label} {want}"))
        }
        _ => {
            return Err(ApiError::bad(
                "invalid_field",
                "give exactly one of state and lnet_state",
                Some("state"),
            ))
        }
    };
    change(&state, goal, message, query.dry_run, request.confirm).await
}
