//! `POST /api/alert_subscription`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use api_types::alert_delivery::{ChannelKind, MinSeverity, NewSubscription, SubscriptionView};
use api_types::envelope::Envelope;
use store::alert_delivery::Channel;

use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::state::AppState;

/// The most subscriptions one user keeps.
const MAX_PER_USER: usize = 50;

/// Subscribes the caller (or, for a superuser, `username`) to alerts of
/// `kinds` (all when empty) of at least `min_severity`, by email or
/// webhook. Alerts raised from now on are delivered.
#[utoipa::path(
    post,
    path = "/api/alert_subscription",
    tag = "alert_subscription",
    request_body = NewSubscription,
    responses(
        (status = 201, description = "The subscription", body = Envelope<SubscriptionView>,
            links(("test" = (operation_id = "post_alert_subscription_id_test",
                parameters(("id" = "$response.body#/response/id")))))),
        (status = 400, description = "The body is invalid", body = ErrorEnvelope),
        (status = 403, description = "Only a superuser subscribes another user", body = ErrorEnvelope),
        (status = 404, description = "No such user", body = ErrorEnvelope),
    ),
)]
pub async fn handle(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewSubscription>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let user_id = match body.username.as_deref() {
        None => caller.user.id,
        Some(name) if name == caller.user.username => caller.user.id,
        Some(_) if caller.role != Role::Superuser => {
            return Err(ApiError::Forbidden("only a superuser subscribes another user".into()))
        }
        Some(name) => store::users::list(&state.db)
            .await?
            .into_iter()
            .find(|u| u.username == name)
            .map(|u| u.id)
            .ok_or_else(|| ApiError::NotFound(format!("no user {name:?}")))?,
    };
    let unexpected = |field: &str, channel: &str| {
        ApiError::bad(
            "invalid_field",
            format!("{field} does not belong to a {channel} subscription"),
            Some(field),
        )
    };
    let missing = |field: &str, channel: &str| {
        ApiError::bad(
            "invalid_field",
            format!("a {channel} subscription needs {field}"),
            Some(field),
        )
    };
    let channel = match body.channel {
        ChannelKind::Email => {
            if body.webhook_url.is_some() {
                return Err(unexpected("webhook_url", "email"));
            }
            if body.webhook_secret.is_some() {
                return Err(unexpected("webhook_secret", "email"));
            }
            let address = body.email.ok_or_else(|| missing("email", "email"))?;
            Channel::Email {
                address: super::checked_email(address)?,
            }
        }
        ChannelKind::Webhook => {
            if body.email.is_some() {
                return Err(unexpected("email", "webhook"));
            }
            let url = body.webhook_url.ok_or_else(|| missing("webhook_url", "webhook"))?;
            let secret = body
                .webhook_secret
                .ok_or_else(|| missing("webhook_secret", "webhook"))?;
            Channel::Webhook {
                url: super::checked_url(&state, url)?,
                secret: super::checked_secret(secret)?,
            }
        }
    };
    let kinds = super::checked_kinds(body.kinds)?;
    if store::alert_delivery::subscriptions(&state.db, Some(user_id))
        .await?
        .len()
        >= MAX_PER_USER
    {
        return Err(ApiError::bad(
            "too_many_subscriptions",
            format!("a user keeps at most {MAX_PER_USER} alert subscriptions"),
            None,
        ));
    }
    let new = store::alert_delivery::NewSubscription {
        user_id,
        kinds,
        min_severity: body.min_severity.unwrap_or(MinSeverity::Warning).as_str().to_owned(),
        channel,
    };
    let created = store::alert_delivery::create_subscription(&state.db, &new).await?;
    Ok(crate::respond::with_status(StatusCode::CREATED, super::view(created)))
}
