//! `GET /api/ssh_key`: Chroma's public SSH key, for operators to add to
//! `~root/.ssh/authorized_keys` on their servers before adding them.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

/// Chroma's public key.
#[derive(Serialize, ToSchema)]
pub struct PublicKey {
    /// One `authorized_keys` line.
    public_key: String,
    /// `SHA256:…`.
    fingerprint: String,
}

/// The public key (created with the key pair if there is none yet).
#[utoipa::path(
    get,
    path = "/api/ssh_key",
    tag = "host",
    responses((status = 200, description = "The public key", body = Envelope<PublicKey>)),
)]
pub async fn get(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let path = state.settings.ssh_key_path.clone();
    let key = web::block(move || chroma_ssh::KeyPair::load_or_create(&path))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(crate::respond::ok(PublicKey {
        public_key: key.public_key_openssh(),
        fingerprint: key.fingerprint().as_str().to_owned(),
    }))
}
