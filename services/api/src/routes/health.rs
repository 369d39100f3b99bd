//! `GET /api/health`: whether the database and the broker answer.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use api_types::envelope::{Envelope, ErrorBody};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// Whether each dependency answers.
#[derive(Serialize, ToSchema)]
pub struct Health {
    database: bool,
    broker: bool,
}

/// 200 when both answer, else 503 naming what does not.
#[utoipa::path(
    get,
    path = "/api/health",
    tag = "meta",
    responses(
        (status = 200, description = "The database and the broker answer", body = Envelope<Health>),
        (status = 503, description = "Something does not answer: an error names each, and `response` says which",
            body = Envelope<Health>),
    ),
)]
pub async fn get(state: web::Data<AppState>) -> HttpResponse {
    // A health check answers quickly even when a dependency hangs.
    let within = std::time::Duration::from_secs(3);
    let database = matches!(tokio::time::timeout(within, state.db.ping()).await, Ok(Ok(())));
    let broker = tokio::time::timeout(within, state.broker.is_healthy())
        .await
        .unwrap_or(false);
    let health = Health { database, broker };
    if database && broker {
        return crate::respond::ok(health);
    }
    let errors = [(database, "database"), (broker, "broker")]
        .into_iter()
        .filter(|(up, _)| !up)
        .map(|(_, name)| ErrorBody {
            code: "unavailable".into(),
            message: format!("the {name} does not answer"),
            field: Some(name.into()),
        })
        .collect();
    let mut envelope = Envelope::err(errors);
    envelope.response = Some(health);
    HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE).json(envelope)
}
