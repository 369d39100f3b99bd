//! Error handling of actix's extractors, so malformed JSON, unknown query
//! parameters and unknown routes answer in the envelope too.

use actix_web::error::{JsonPayloadError, QueryPayloadError};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::ApiError;

/// Largest request body accepted (1 MiB).
pub const MAX_BODY: usize = 1 << 20;

/// JSON bodies: size limit, and serde's message (it names the field).
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(MAX_BODY).error_handler(|err, _req| {
        let error = match &err {
            JsonPayloadError::Deserialize(e) => ApiError::bad("invalid_json", format!("request body: {e}"), None),
            JsonPayloadError::ContentType => {
                ApiError::bad("invalid_content_type", "send the body as application/json", None)
            }
            JsonPayloadError::Overflow { limit } | JsonPayloadError::OverflowKnownLength { limit, .. } => {
                ApiError::bad("body_too_large", format!("the body may be at most {limit} bytes"), None)
            }
            other => ApiError::bad("invalid_json", format!("request body: {other}"), None),
        };
        error.into()
    })
}

/// Query strings: unknown parameters and bad values name the culprit.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        let QueryPayloadError::Deserialize(e) = &err else {
            return ApiError::bad("invalid_query", err.to_string(), None).into();
        };
        let message = e.to_string();
        let field = message
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned);
        ApiError::BadRequest {
            code: "invalid_query",
            message: format!("query: {message}"),
            field,
        }
        .into()
    })
}

/// Path segments.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| ApiError::bad("invalid_path", err.to_string(), None).into())
}

/// Any route that does not exist.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let error = ApiError::NotFound(format!("no such route: {} {}", req.method(), req.path()));
    actix_web::ResponseError::error_response(&error)
}
