//! Who may do what: users log in for a session token (or create API
//! tokens), every request but a few public ones carries one, and each route
//! says which role it needs (`routes::ENDPOINTS`). Passwords are hashed
//! with argon2id; tokens are random and stored as their SHA-256. A change
//! made with the session cookie must come from the API's own origin.

pub mod audit;
pub mod guard;
pub mod limiter;
pub mod origin;
pub mod password;

use actix_web::{FromRequest, HttpMessage, HttpRequest};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::future::{ready, Ready};

use crate::error::ApiError;
pub use store::users::User;

/// Name of the session cookie the console uses.
pub const COOKIE: &str = "chroma_session";

/// Roles as in Intel Manager for Lustre, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything, changes nothing.
    Readonly,
    /// Also changes file systems, targets, jobs and parameters.
    Fsadmin,
    /// Also manages users and servers.
    Superuser,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Readonly => "readonly",
            Role::Fsadmin => "fsadmin",
            Role::Superuser => "superuser",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "readonly" => Ok(Role::Readonly),
            "fsadmin" => Ok(Role::Fsadmin),
            "superuser" => Ok(Role::Superuser),
            other => Err(format!(
                "unknown role {other:?}; roles are readonly, fsadmin, superuser"
            )),
        }
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without logging in.
    Public,
    /// Any logged-in user, whatever the role.
    Role(Role),
}

/// The logged-in caller, put in the request by the guard.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub role: Role,
    /// The token the request came with.
    pub token_id: uuid::Uuid,
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Caller>()
                .cloned()
                .ok_or_else(|| ApiError::Unauthenticated("log in first: POST /api/session".into())),
        )
    }
}

/// A new random token (256 bits, hex).
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What is stored of a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
    }

    #[test]
    fn roles_order_by_power() {
        assert!(Role::Readonly < Role::Fsadmin && Role::Fsadmin < Role::Superuser);
        assert_eq!("fsadmin".parse::<Role>(), Ok(Role::Fsadmin));
        assert!("root".parse::<Role>().is_err());
    }
}
