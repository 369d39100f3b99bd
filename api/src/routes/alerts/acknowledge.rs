//! `POST /api/alert/{id}/acknowledge` and `POST /api/alert/acknowledge`
//! `{"ids": [...]}` or `{"all_active": true}`: an operator saw the alert.
//!
//! Acknowledging records who and when; an alert already acknowledged keeps
//! its first acknowledgement. Most alerts stay active until their condition
//! ends, but a failed job has no condition to end: its `job_failed` (or
//! `step_dead_lettered`) alert is cleared when acknowledged.

use actix_web::{web, HttpResponse};
use common::envelope::Envelope;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{AlertView, COLUMNS};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::state::AppState;

/// Most alerts one bulk request names.
const MAX_IDS: usize = 1000;

/// Sets the acknowledgement of the alerts `which` selects (an SQL
/// condition over `$2`) that have none, clearing failed-job alerts; `$1`
/// is the user. Returns the rows changed.
async fn mark(
    db: &impl sea_orm::ConnectionTrait,
    username: &str,
    which: &str,
    value: sea_orm::Value,
) -> Result<Vec<sea_orm::QueryResult>, ApiError> {
    let sql = format!(
        "UPDATE alert SET acknowledged_at = now(), acknowledged_by = $1,
             cleared_at = CASE WHEN kind IN ('job_failed', 'step_dead_lettered') THEN COALESCE(cleared_at, now()) ELSE cleared_at END
         WHERE acknowledged_at IS NULL AND ({which})
         RETURNING {COLUMNS}"
    );
    Ok(store::sql::query(db, &sql, [username.to_owned().into(), value]).await?)
}

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
    let changed = mark(&state.db, &caller.user.username, "id = $2", id.into()).await?;
    let alert = match changed.first() {
        Some(row) => AlertView::from_row(row)?,
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
            let missing = store::sql::query(
                &state.db,
                "SELECT w.id FROM unnest($1::uuid[]) AS w(id) WHERE NOT EXISTS (SELECT 1 FROM alert a WHERE a.id = w.id)",
                [ids.clone().into()],
            )
            .await?
            .iter()
            .map(|r| r.try_get::<Uuid>("", "id").map(|id| id.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
            if !missing.is_empty() {
                return Err(ApiError::NotFound(format!(
                    "no alert {}; nothing was acknowledged",
                    missing.join(", ")
                )));
            }
            mark(&state.db, username, "id = ANY($2::uuid[])", ids.into()).await?
        }
        (None, true) => mark(&state.db, username, "cleared_at IS NULL AND $2::boolean", true.into()).await?,
        _ => {
            return Err(ApiError::bad(
                "invalid_field",
                "give either ids or \"all_active\": true",
                Some("ids"),
            ))
        }
    };
    let acknowledged = changed
        .iter()
        .map(|r| r.try_get::<Uuid>("", "id"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(crate::respond::ok(AlertsAcknowledged { acknowledged }))
}
