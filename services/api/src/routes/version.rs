//! `GET /api/version`: the API version this server speaks (clients check
//! it) and the server's own version. Public.

use actix_web::HttpResponse;
use api_types::envelope::Envelope;
use serde::Serialize;
use utoipa::ToSchema;

/// The API's major version: a breaking change gets a new one, and a new
/// path prefix beside the old.
pub const API_VERSION: &str = "1";

/// What `GET /api/version` answers.
#[derive(Serialize, ToSchema)]
pub struct Versions {
    /// [`API_VERSION`].
    api_version: &'static str,
    /// The server's release.
    server_version: &'static str,
}

/// The versions.
#[utoipa::path(
    get,
    path = "/api/version",
    tag = "meta",
    responses((status = 200, description = "The API and server versions", body = Envelope<Versions>)),
)]
pub async fn get() -> HttpResponse {
    crate::respond::ok(Versions {
        api_version: API_VERSION,
        server_version: env!("CARGO_PKG_VERSION"),
    })
}
