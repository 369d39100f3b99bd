//! The API's one error type. Each variant has a stable snake_case code and
//! an HTTP status; unexpected errors answer an opaque 500 and log the cause.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use api_types::envelope::{Envelope, ErrorBody};
use lustre::submission::FieldError;
use store::control::ControlError;

/// An error answered in the envelope.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("request is invalid")]
    Validation(Vec<FieldError>),
    #[error("{message}")]
    BadRequest {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{message}")]
    TooManyRequests { message: String, retry_after_secs: u64 },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The request would change objects it did not name; repeat it with
    /// `"confirm": true`.
    #[error("{0}")]
    ConfirmationRequired(String),
    /// A host added before presents another host key; repeat with the
    /// new `fingerprint` once it is checked, or `replace_key`.
    #[error("{0}")]
    HostKeyChanged(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// A 400 about one field.
    pub fn bad(code: &'static str, message: impl Into<String>, field: Option<&str>) -> Self {
        ApiError::BadRequest {
            code,
            message: message.into(),
            field: field.map(str::to_owned),
        }
    }

    fn bodies(&self) -> Vec<ErrorBody> {
        let one = |code: &str, message: String, field: Option<String>| {
            vec![ErrorBody {
                code: code.to_owned(),
                message,
                field,
            }]
        };
        match self {
            ApiError::Validation(errors) => errors
                .iter()
                .map(|e| ErrorBody {
                    code: "invalid_field".into(),
                    message: e.message.clone(),
                    field: Some(e.field.clone()),
                })
                .collect(),
            ApiError::BadRequest { code, message, field } => one(code, message.clone(), field.clone()),
            ApiError::Unauthenticated(message) => one("unauthenticated", message.clone(), None),
            ApiError::Forbidden(message) => one("forbidden", message.clone(), None),
            ApiError::TooManyRequests { message, .. } => one("too_many_requests", message.clone(), None),
            ApiError::NotFound(message) => one("not_found", message.clone(), None),
            ApiError::Conflict(message) => one("conflict", message.clone(), None),
            ApiError::ConfirmationRequired(message) => {
                one("confirmation_required", message.clone(), Some("confirm".into()))
            }
            ApiError::HostKeyChanged(message) => one("host_key_changed", message.clone(), Some("fingerprint".into())),
            ApiError::Unavailable(message) => one("unavailable", message.clone(), None),
            ApiError::Internal(_) => one(
                "internal_error",
                "an unexpected error occurred; see the server log".into(),
                None,
            ),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) | ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) | ApiError::ConfirmationRequired(_) | ApiError::HostKeyChanged(_) => {
                StatusCode::CONFLICT
            }
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!("request failed: {cause:#}");
        }
        let mut response = HttpResponse::build(self.status_code());
        if let ApiError::TooManyRequests { retry_after_secs, .. } = self {
            response.insert_header((actix_web::http::header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let ApiError::Unauthenticated(_) = self {
            response.insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(Envelope::<()>::err(self.bodies()))
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        // A connection lost under a statement (the server restarting) is
        // an outage to retry, not Chroma's bug.
        if store::is_unavailable(&err) {
            tracing::error!("database unavailable: {err}");
            return ApiError::Unavailable("the database is unavailable; try again shortly".into());
        }
        ApiError::Internal(err.into())
    }
}

impl From<lustre::plan::PlanError> for ApiError {
    fn from(err: lustre::plan::PlanError) -> Self {
        use lustre::plan::PlanError;
        match err {
            PlanError::NotFound(m) => ApiError::NotFound(m),
            PlanError::Invalid(m) => ApiError::bad("invalid_transition", m, Some("state")),
            PlanError::Conflict(m) => ApiError::Conflict(m),
        }
    }
}

impl From<ControlError> for ApiError {
    fn from(err: ControlError) -> Self {
        match err {
            ControlError::NotFound { .. } => ApiError::NotFound(err.to_string()),
            ControlError::Conflict { .. } => ApiError::Conflict(err.to_string()),
            ControlError::Db(db) => db.into(),
        }
    }
}
