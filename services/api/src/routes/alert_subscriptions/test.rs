//! `POST /api/alert_subscription/{id}/test`: sends a test message now.

use actix_web::{web, HttpResponse};
use api_types::alert_delivery::DeliveryView;
use api_types::envelope::Envelope;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::id;
use crate::state::AppState;

/// Sends a test message through the subscription's channel at once (one
/// attempt, not retried) and answers the recorded delivery: `sent`, or
/// `failed` with the error (e.g. the SMTP server's answer).
#[utoipa::path(
    post,
    path = "/api/alert_subscription/{id}/test",
    tag = "alert_subscription",
    params(("id" = Uuid, Path, description = "The subscription's id")),
    responses(
        (status = 200, description = "The test delivery, sent or failed", body = Envelope<DeliveryView>),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "The caller has no such subscription", body = ErrorEnvelope),
    ),
)]
pub async fn handle(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let sub_id = id(&path, "alert subscription")?;
    super::owned(&state, &caller, sub_id).await?;
    let sender = alert_delivery::Sender::new(&state.settings.alert_delivery)
        .map_err(|e| ApiError::Unavailable(format!("alert delivery is not usable: {e}")))?;
    let delivery_id = sender.send_test(&state.db, sub_id).await?;
    let delivery = store::alert_delivery::delivery(&state.db, delivery_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no delivery {delivery_id}")))?;
    Ok(crate::respond::ok(super::deliveries::view(delivery)))
}
