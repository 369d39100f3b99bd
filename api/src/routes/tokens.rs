//! `/api/token`: API tokens for automation. Each user creates, lists and
//! revokes their own; a token is shown once, when created.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{new_token, token_hash, Caller};
use crate::error::ApiError;
use crate::routes::query::id;
use crate::state::AppState;

/// List parameters; any other is refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    limit: Option<u64>,
    offset: Option<u64>,
    order_by: Option<String>,
}

/// The body of `POST /api/token`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    name: String,
    /// Days until it expires; none: until revoked.
    expires_in_days: Option<u32>,
}

/// Creates an API token for the caller.
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewToken>,
) -> Result<HttpResponse, ApiError> {
    let NewToken { name, expires_in_days } = body.into_inner();
    if name.trim().is_empty() || name.len() > 128 || name.chars().any(char::is_control) {
        return Err(ApiError::bad(
            "invalid_field",
            "name must be 1 to 128 printable characters",
            Some("name"),
        ));
    }
    let expires_at = match expires_in_days {
        Some(0) => {
            return Err(ApiError::bad(
                "invalid_field",
                "must be at least 1",
                Some("expires_in_days"),
            ))
        }
        Some(days) => Some(chrono::Utc::now() + chrono::Duration::days(i64::from(days.min(3_660)))),
        None => None,
    };
    let token = new_token();
    let token_id =
        store::users::add_token(&state.db, caller.user.id, &token_hash(&token), "api", &name, expires_at).await?;
    Ok(crate::respond::with_status(
        StatusCode::CREATED,
        json!({ "id": token_id, "token": token, "name": name, "expires_at": expires_at }),
    ))
}

/// The caller's live tokens (sessions and API tokens), never their values.
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let objects = store::users::tokens(&state.db, caller.user.id).await?;
    let paging = crate::routes::query::Paging {
        limit: params.limit,
        offset: params.offset,
    };
    crate::routes::listing::page(
        objects,
        paging,
        params.order_by.as_deref(),
        &["name", "kind", "created_at", "expires_at"],
    )
}

/// Revokes one of the caller's tokens.
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token_id = id(&path, "token")?;
    if !store::users::revoke(&state.db, caller.user.id, token_id).await? {
        return Err(ApiError::NotFound(format!("you hold no live token {token_id}")));
    }
    Ok(crate::respond::ok(json!({ "id": token_id, "revoked": true })))
}
