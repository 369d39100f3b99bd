//! `GET /api/alert_subscription`: the caller's subscriptions (a
//! superuser's: everyone's).

use actix_web::{web, HttpResponse};
use api_types::alert_delivery::SubscriptionView;
use api_types::envelope::Envelope;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::listing;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::Paging;
use crate::state::AppState;
use crate::views::Page;

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
    /// `created_at`, `username`, `channel` or `min_severity`; `-` first
    /// for descending.
    order_by: Option<String>,
}

/// Alert subscriptions, oldest first.
#[utoipa::path(
    get,
    path = "/api/alert_subscription",
    tag = "alert_subscription",
    params(Filters),
    responses(
        (status = 200, description = "A page of subscriptions", body = Envelope<Page<SubscriptionView>>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
)]
pub async fn handle(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<Filters>,
) -> Result<HttpResponse, ApiError> {
    let f = query.into_inner();
    let subscriptions = store::alert_delivery::subscriptions(&state.db, super::visible_to(&caller)).await?;
    let objects: Vec<SubscriptionView> = subscriptions.into_iter().map(super::view).collect();
    let paging = Paging {
        limit: f.limit,
        offset: f.offset,
    };
    listing::page(
        objects,
        paging,
        f.order_by.as_deref(),
        &["created_at", "username", "channel", "min_severity"],
    )
}
