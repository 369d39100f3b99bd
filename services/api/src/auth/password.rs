//! Password hashing with argon2id (PHC strings) and the rules a password
//! must meet.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;

/// Shortest password accepted.
pub const MIN_LENGTH: usize = 10;
/// Longest password accepted (hashing cost grows with length).
pub const MAX_LENGTH: usize = 256;

/// Checks a new password; the error says what is wrong.
pub fn check(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(format!("must be at least {MIN_LENGTH} characters"));
    }
    if length > MAX_LENGTH {
        return Err(format!("must be at most {MAX_LENGTH} characters"));
    }
    Ok(())
}

/// The PHC string of `password` with a fresh random salt.
pub fn hash(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// Whether `password` matches the stored PHC string.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Hashes on a blocking thread: argon2 takes tens of milliseconds.
pub async fn hash_blocking(password: String) -> Result<String, crate::error::ApiError> {
    actix_web::web::block(move || hash(&password))
        .await
        .map_err(|e| crate::error::ApiError::Internal(e.into()))?
        .map_err(|e| crate::error::ApiError::Internal(anyhow::anyhow!(e)))
}

/// Verifies on a blocking thread.
pub async fn verify_blocking(password: String, stored: String) -> Result<bool, crate::error::ApiError> {
    actix_web::web::block(move || verify(&password, &stored))
        .await
        .map_err(|e| crate::error::ApiError::Internal(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password() {
        let stored = hash("correct horse battery").unwrap_or_default();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse batterz", &stored));
        assert!(!verify("anything", "not a hash"));
        assert!(check("short").is_err());
        assert!(check("long enough!").is_ok());
    }
}
