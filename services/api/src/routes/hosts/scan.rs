//! `POST /api/host/scan {"address", "port"?}`: the host key a server
//! presents, read without logging in, so the operator can compare its
//! fingerprint with the server's own before adding it (then `POST
//! /api/host` with that fingerprint refuses any other key).

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;

/// How long reading a key may take.
const SCAN_TIMEOUT: Duration = Duration::from_secs(5);

/// The server to read.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    /// A host name or an IP address.
    #[schema(pattern = "^[A-Za-z0-9._:][A-Za-z0-9._:-]{0,252}$")]
    address: String,
    /// The SSH port (default 22).
    #[schema(minimum = 1, maximum = 65535)]
    port: Option<u16>,
}

/// The key the server presented.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScannedKey {
    address: String,
    port: u16,
    /// `SHA256:…`, as `ssh-keygen -lf` prints it.
    fingerprint: String,
    /// e.g. `ssh-ed25519`.
    key_type: String,
}

/// Reads a server's host key; 400 naming `address` when it cannot be read.
#[utoipa::path(
    post,
    path = "/api/host/scan",
    tag = "host",
    request_body = ScanRequest,
    responses(
        (status = 200, description = "The key the server presents", body = Envelope<ScannedKey>),
        (status = 400, description = "The body is invalid or the server could not be reached", body = ErrorEnvelope),
    ),
)]
pub async fn handle(body: web::Json<ScanRequest>) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    super::create::check_address(&request.address)?;
    let port = request.port.unwrap_or(22);
    if port == 0 {
        return Err(ApiError::bad(
            "invalid_field",
            "must be between 1 and 65535",
            Some("port"),
        ));
    }
    let target = chroma_ssh::Target::new(request.address.clone(), port, "root");
    let scanned = chroma_ssh::scan_host_key(&target, SCAN_TIMEOUT).await.map_err(|e| {
        ApiError::bad(
            e.code(),
            format!("cannot read the host key of {}:{port}: {e}", request.address),
            Some("address"),
        )
    })?;
    Ok(crate::respond::ok(ScannedKey {
        address: request.address,
        port,
        fingerprint: scanned.fingerprint.as_str().to_owned(),
        key_type: scanned.algorithm,
    }))
}
