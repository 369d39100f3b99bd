//! `GET /api/version`: the API version this server speaks (clients check
//! it) and the server's own version. Public.

use actix_web::HttpResponse;
use serde_json::json;

/// The API's major version: a breaking change gets a new one, and a new
/// path prefix beside the old.
pub const API_VERSION: &str = "1";

/// The versions.
pub async fn get() -> HttpResponse {
    crate::respond::ok(json!({
        "api_version": API_VERSION,
        "server_version": env!("CARGO_PKG_VERSION"),
    }))
}
