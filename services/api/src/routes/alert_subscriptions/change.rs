//! `PATCH` and `DELETE /api/alert_subscription/{id}`.

use actix_web::{web, HttpResponse};
use api_types::alert_delivery::{SubscriptionChange, SubscriptionView};
use api_types::envelope::Envelope;
use serde::Serialize;
use store::alert_delivery::Channel;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::id;
use crate::state::AppState;

/// The answer to a deletion.
#[derive(Serialize, ToSchema)]
pub struct Deleted {
    id: Uuid,
    deleted: bool,
}

/// Changes a subscription: its kinds, least severity, whether it is
/// enabled, and its address or URL and secret (not its channel).
#[utoipa::path(
    patch,
    path = "/api/alert_subscription/{id}",
    tag = "alert_subscription",
    params(("id" = Uuid, Path, description = "The subscription's id")),
    request_body = SubscriptionChange,
    responses(
        (status = 200, description = "The subscription as changed", body = Envelope<SubscriptionView>),
        (status = 400, description = "The id or the body is invalid", body = ErrorEnvelope),
        (status = 404, description = "The caller has no such subscription", body = ErrorEnvelope),
    ),
)]
pub async fn patch(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<SubscriptionChange>,
) -> Result<HttpResponse, ApiError> {
    let sub_id = id(&path, "alert subscription")?;
    let body = body.into_inner();
    let current = super::owned(&state, &caller, sub_id).await?;
    let wrong = |field: &str| {
        ApiError::bad(
            "invalid_field",
            format!("{field} does not belong to a {} subscription", current.channel.name()),
            Some(field),
        )
    };
    let channel = match &current.channel {
        Channel::Email { .. } => {
            if body.webhook_url.is_some() {
                return Err(wrong("webhook_url"));
            }
            if body.webhook_secret.is_some() {
                return Err(wrong("webhook_secret"));
            }
            body.email
                .map(super::checked_email)
                .transpose()?
                .map(|address| Channel::Email { address })
        }
        Channel::Webhook { url, secret } => {
            if body.email.is_some() {
                return Err(wrong("email"));
            }
            let new_url = body.webhook_url.map(|u| super::checked_url(&state, u)).transpose()?;
            let new_secret = body.webhook_secret.map(super::checked_secret).transpose()?;
            (new_url.is_some() || new_secret.is_some()).then(|| Channel::Webhook {
                url: new_url.unwrap_or_else(|| url.clone()),
                secret: new_secret.unwrap_or_else(|| secret.clone()),
            })
        }
    };
    let change = store::alert_delivery::SubscriptionChange {
        kinds: body.kinds.map(super::checked_kinds).transpose()?,
        min_severity: body.min_severity.map(|s| s.as_str().to_owned()),
        enabled: body.enabled,
        channel,
    };
    let changed = store::alert_delivery::update_subscription(&state.db, sub_id, &change)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("you have no alert subscription {sub_id}")))?;
    Ok(crate::respond::ok(super::view(changed)))
}

/// Deletes a subscription with its deliveries.
#[utoipa::path(
    delete,
    path = "/api/alert_subscription/{id}",
    tag = "alert_subscription",
    params(("id" = Uuid, Path, description = "The subscription's id")),
    responses(
        (status = 200, description = "The subscription is deleted", body = Envelope<Deleted>),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "The caller has no such subscription", body = ErrorEnvelope),
    ),
)]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let sub_id = id(&path, "alert subscription")?;
    super::owned(&state, &caller, sub_id).await?;
    let deleted = store::alert_delivery::delete_subscription(&state.db, sub_id).await?;
    Ok(crate::respond::ok(Deleted { id: sub_id, deleted }))
}
