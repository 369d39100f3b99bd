//! `GET /api/ssh_key`: Chroma's public SSH key, for operators to add to
//! `~root/.ssh/authorized_keys` on their servers before adding them.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::error::ApiError;
use crate::state::AppState;

/// The public key (created with the key pair if there is none yet).
pub async fn get(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let path = state.settings.ssh_key_path.clone();
    let key = web::block(move || chroma_ssh::KeyPair::load_or_create(&path))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(crate::respond::ok(json!({
        "public_key": key.public_key_openssh(),
        "fingerprint": key.fingerprint().as_str(),
    })))
}
