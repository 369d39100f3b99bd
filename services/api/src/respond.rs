//! Building successful responses in the envelope.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use api_types::envelope::Envelope;
use serde::Serialize;

/// 200 with `response` in the envelope.
pub fn ok<T: Serialize>(response: T) -> HttpResponse {
    HttpResponse::Ok().json(Envelope::ok(response))
}

/// `status` with `response` in the envelope.
pub fn with_status<T: Serialize>(status: StatusCode, response: T) -> HttpResponse {
    HttpResponse::build(status).json(Envelope::ok(response))
}
