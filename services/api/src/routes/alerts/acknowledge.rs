//! `POST /api/alert/{id}/acknowledge` and `POST /api/alert/acknowledge`
//! `{"ids": [...]}` or `{"all_active": true}`: an operator saw the alert.
//!
//! Acknowledging records who and when; an alert already acknowledged keeps
//! its first acknowledgement. Most alerts stay active until their condition
//! ends, but a failed job has no condition to end: its `job_failed` (or
//! `step_dead_lettered`) alert is cleared when acknowledged.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use serde::{Deserialize, Serialize};
use store::alerts::Acknowledge;
use utoipa::ToSchema;
use uuid::Uuid;

use super::AlertView;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::state::AppState;

/// Most alerts one bulk request names.
const MAX_IDS: usize = 1000;

/// Acknowledges one alert (200 and unchanged if it already was).
#[utoipa::path(
    post,
    path = "/api/alert/{id}/acknowledge",
    tag = "alert",
    params(("id" = Uuid, Path, description = "The alert's id")),
    responses(
        (status = 200, description = "The alert as acknowledged", body = Envelope<AlertView>),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "No such alert", body = ErrorEnvelope),
    ),
)]
pub async fn one(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = crate::routes::query::id(&path, "alert")?;
    let changed = store::alerts::acknowledge(&state.db, &caller.user.username, Acknowledge::One(id)).await?;
    let alert = match changed.into_iter().next() {
        Some(alert) => super::view(alert),
        None => super::load(&state.db, id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("alert {id} does not exist")))?,
    };
    Ok(crate::respond::ok(alert))
}

/// Which alerts to acknowledge: `ids`, or every active one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertSelection {
    /// These alerts (1 to 1000); all must exist.
    #[schema(min_items = 1, max_items = 1000)]
    ids: Option<Vec<Uuid>>,
    /// Every alert not cleared yet (instead of `ids`).
    #[serde(default)]
    all_active: bool,
}

/// What a bulk acknowledgement changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertsAcknowledged {
    /// The alerts acknowledged now (not those that already were).
    acknowledged: Vec<Uuid>,
}

/// Acknowledges several alerts at once.
#[utoipa::path(
    post,
    path = "/api/alert/acknowledge",
    tag = "alert",
    request_body = AlertSelection,
    responses(
        (status = 200, description = "The alerts acknowledged by this request", body = Envelope<AlertsAcknowledged>),
        (status = 400, description = "Neither or both of `ids` and `all_active`, or too many ids", body = ErrorEnvelope),
        (status = 404, description = "An id names no alert; nothing was acknowledged", body = ErrorEnvelope),
    ),
)]
pub async fn many(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<AlertSelection>,
) -> Result<HttpResponse, ApiError> {
    let AlertSelection { ids, all_active } = body.into_inner();
    let username = &caller.user.username;
    let changed = match (ids, all_active) {
        (Some(ids), false) => {
            if ids.is_empty() || ids.len() > MAX_IDS {
                return Err(ApiError::bad(
                    "invalid_field",
                    format!("ids must name 1 to {MAX_IDS} alerts"),
                    Some("ids"),
                ));
            }
            let missing: Vec<String> = store::alerts::missing(&state.db, &ids)
                .await?
                .iter()
                .map(Uuid::to_string)
                .collect();
            if !missing.is_empty() {
                return Err(ApiError::NotFound(format!(
                    "no alert {}; nothing was acknowledged",
                    missing.join(", ")
                )));
            }
            store::alerts::acknowledge(&state.db, username, Acknowledge::Many(ids)).await?
        }
        (None, true) => store::alerts::acknowledge(&state.db, username, Acknowledge::AllActive).await?,
        _ => {
            return Err(ApiError::bad(
                "invalid_field",
                "give either ids or \"all_active\": true",
                Some("ids"),
            ))
        }
    };
    let acknowledged = changed.iter().map(|a| a.id).collect();
    Ok(crate::respond::ok(AlertsAcknowledged { acknowledged }))
}
