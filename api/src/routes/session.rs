//! `POST /api/session {"username", "password"}` logs in: a session token in
//! the envelope (for scripts, as a Bearer token) and in an HttpOnly cookie
//! (for the console). `GET` says who is logged in; `DELETE` logs out.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{new_token, password, token_hash, Caller, COOKIE};
use crate::error::ApiError;
use crate::state::AppState;

/// The login body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    username: String,
    password: String,
}

/// Logs in; 401 for a wrong name or password (the same answer for both),
/// 429 after repeated failures.
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<Login>,
) -> Result<HttpResponse, ApiError> {
    let Login { username, password } = body.into_inner();
    let address = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    let keys = vec![format!("user:{username}"), format!("ip:{address}")];
    if let Some(wait) = state.logins.blocked(&keys) {
        return Err(ApiError::TooManyRequests {
            message: format!("too many failed logins; try again in {} s", wait.as_secs().max(1)),
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    let found = store::users::with_password(&state.db, &username).await?;
    let verified = match &found {
        Some((user, stored)) if !user.disabled => password::verify_blocking(password, stored.clone()).await?,
        _ => false,
    };
    let (Some((user, _)), true) = (found, verified) else {
        state.logins.failed(&keys);
        let _ = store::users::event(
            &state.db,
            "login_failed",
            None,
            &format!("failed login as {username:?} from {address}"),
            json!({"username": username, "address": address}),
        )
        .await;
        return Err(ApiError::Unauthenticated("wrong user name or password".into()));
    };
    state.logins.succeeded(&keys);
    let token = new_token();
    let ttl = chrono::Duration::from_std(state.settings.session_ttl).map_err(|e| ApiError::Internal(e.into()))?;
    let expires_at = chrono::Utc::now() + ttl;
    store::users::add_token(
        &state.db,
        user.id,
        &token_hash(&token),
        "session",
        "login",
        Some(expires_at),
    )
    .await?;
    store::users::event(
        &state.db,
        "login",
        Some(&user),
        &format!("{} logged in from {address}", user.username),
        json!({"address": address}),
    )
    .await?;
    let cookie = Cookie::build(COOKIE, token.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(actix_web::cookie::time::Duration::seconds(ttl.num_seconds()))
        .finish();
    Ok(HttpResponse::Ok()
        .cookie(cookie)
        .json(common::envelope::Envelope::ok(json!({
            "token": token,
            "expires_at": expires_at,
            "user": user,
        }))))
}

/// Who the caller is.
pub async fn get(caller: Caller) -> Result<HttpResponse, ApiError> {
    Ok(crate::respond::ok(
        json!({ "user": caller.user, "token_id": caller.token_id }),
    ))
}

/// Logs out: revokes the token the request came with.
pub async fn delete(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    store::users::revoke(&state.db, caller.user.id, caller.token_id).await?;
    let mut gone = Cookie::build(COOKIE, "").path("/").finish();
    gone.make_removal();
    Ok(HttpResponse::Ok()
        .cookie(gone)
        .json(common::envelope::Envelope::ok(json!({ "logged_out": true }))))
}
