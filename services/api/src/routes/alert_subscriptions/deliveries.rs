//! `GET /api/alert_delivery`: messages sent or to send, newest first.

use actix_web::{web, HttpResponse};
use api_types::alert_delivery::{ChannelKind, DeliveryStatus, DeliveryView};
use api_types::envelope::Envelope;
use serde::Deserialize;
use store::alert_delivery::{Delivery, DeliveryFilter, DeliveryOrder};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::Paging;
use crate::state::AppState;
use crate::views::{Page, PageMeta};

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// Only this subscription's.
    subscription_id: Option<Uuid>,
    /// Only those in this state.
    status: Option<DeliveryStatus>,
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
    /// `created_at`, `-created_at` (the default) or `status`.
    order_by: Option<String>,
}

/// The delivery as shown.
pub fn view(d: Delivery) -> DeliveryView {
    let status = match d.status.as_str() {
        "collecting" => DeliveryStatus::Collecting,
        "pending" => DeliveryStatus::Pending,
        "sending" => DeliveryStatus::Sending,
        "sent" => DeliveryStatus::Sent,
        _ => DeliveryStatus::Failed,
    };
    DeliveryView {
        id: d.id,
        subscription_id: d.subscription_id,
        username: d.username,
        channel: if d.channel == "email" {
            ChannelKind::Email
        } else {
            ChannelKind::Webhook
        },
        test: d.test,
        status,
        attempts: d.attempts,
        last_error: d.last_error,
        last_attempt_at: d.last_attempt_at,
        sent_at: d.sent_at,
        due_at: d.due_at,
        alert_count: d.alert_count,
        created_at: d.created_at,
    }
}

fn status_name(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Collecting => "collecting",
        DeliveryStatus::Pending => "pending",
        DeliveryStatus::Sending => "sending",
        DeliveryStatus::Sent => "sent",
        DeliveryStatus::Failed => "failed",
    }
}

/// Alert deliveries of the caller's subscriptions (a superuser's:
/// everyone's), with their status, attempts and last error.
#[utoipa::path(
    get,
    path = "/api/alert_delivery",
    tag = "alert_subscription",
    params(Filters),
    responses(
        (status = 200, description = "A page of deliveries", body = Envelope<Page<DeliveryView>>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<Filters>,
) -> Result<HttpResponse, ApiError> {
    let f = query.into_inner();
    let (limit, offset) = Paging {
        limit: f.limit,
        offset: f.offset,
    }
    .resolve()?;
    let order = match f.order_by.as_deref() {
        None | Some("-created_at") => DeliveryOrder::Newest,
        Some("created_at") => DeliveryOrder::Oldest,
        Some("status") => DeliveryOrder::Status,
        Some(other) => {
            return Err(ApiError::bad(
                "invalid_query",
                format!("cannot order by {other:?}; order_by takes created_at, -created_at or status"),
                Some("order_by"),
            ))
        }
    };
    let filter = DeliveryFilter {
        user_id: super::visible_to(&caller),
        subscription_id: f.subscription_id,
        status: f.status.map(|s| status_name(s).to_owned()),
    };
    let (deliveries, total) = store::alert_delivery::deliveries(
        &state.db,
        &filter,
        order,
        i64::try_from(limit).unwrap_or(i64::MAX),
        i64::try_from(offset).unwrap_or(i64::MAX),
    )
    .await?;
    let objects = deliveries.into_iter().map(view).collect();
    let meta = PageMeta {
        total_count: u64::try_from(total).unwrap_or(0),
        limit,
        offset,
    };
    Ok(crate::respond::ok(Page { objects, meta }))
}
