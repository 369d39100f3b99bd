//! The JSON envelope of every API response, shared by the server and its
//! clients.

use serde::{Deserialize, Serialize};

/// One error: a stable snake_case code, a message a person can act on, and
/// the request field at fault, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

/// `{"success": bool, "errors": [...], "response": ...}`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Envelope<T> {
    pub success: bool,
    pub errors: Vec<ErrorBody>,
    pub response: Option<T>,
}

impl<T> Envelope<T> {
    /// A successful response carrying `response`.
    pub fn ok(response: T) -> Self {
        Self {
            success: true,
            errors: Vec::new(),
            response: Some(response),
        }
    }

    /// A failed response carrying `errors`.
    pub fn err(errors: Vec<ErrorBody>) -> Self {
        Self {
            success: false,
            errors,
            response: None,
        }
    }
}
