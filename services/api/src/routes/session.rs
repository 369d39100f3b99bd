//! `POST /api/session {"username", "password"}` logs in: a session token in
//! the envelope (for scripts, as a Bearer token) and in an HttpOnly cookie
//! (for the console). `GET` says who is logged in; `DELETE` logs out.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use api_types::envelope::Envelope;
use api_types::users::{NewSession, Whoami};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::{limiter, new_token, password, token_hash, Caller, User, COOKIE};
use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::state::AppState;

/// The login body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    username: String,
    password: String,
}

/// The answer to a logout.
#[derive(Serialize, ToSchema)]
pub struct LoggedOut {
    logged_out: bool,
}

/// Logs in; 401 for a wrong name or password (the same answer for both),
/// 429 after repeated failures.
#[utoipa::path(
    post,
    path = "/api/session",
    tag = "session",
    request_body = Login,
    responses(
        (status = 200, description = "Logged in; the token is also set as an HttpOnly cookie",
            body = Envelope<NewSession>),
        (status = 400, description = "The body is not a login", body = ErrorEnvelope),
        (status = 401, description = "Wrong user name or password", body = ErrorEnvelope),
        (status = 429, description = "Too many failed logins; see Retry-After", body = ErrorEnvelope),
    ),
)]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<Login>,
) -> Result<HttpResponse, ApiError> {
    let Login { username, password } = body.into_inner();
    let client = limiter::client_address(&req, &state.settings.trusted_proxies);
    let address = client.to_string();
    // A name no user can have (one with a NUL would fail the query) is
    // looked up nowhere, and answered like any unknown name; such names
    // are counted together, so junk of any length is not kept.
    let plausible = crate::routes::users::check_username(&username).is_ok();
    let counted_as = if plausible { username.as_str() } else { "" };
    // Counted as a failure before the password is checked, so concurrent
    // guesses cannot all get past the limit.
    let attempt = state
        .logins
        .reserve(counted_as, client)
        .await?
        .map_err(|wait| ApiError::TooManyRequests {
            message: format!("too many failed logins; try again in {} s", wait.as_secs().max(1)),
            retry_after_secs: wait.as_secs().max(1),
        })?;
    let user = match check(&state, plausible, &username, password).await {
        Ok(user) => user,
        Err(err) => {
            state.logins.release(attempt).await;
            return Err(err);
        }
    };
    let Some(user) = user else {
        let recorded = if plausible {
            username.clone()
        } else {
            format!("{username:?}")
        };
        let _ = store::events::record(
            &state.db,
            store::events::EventKind::LoginFailed,
            None,
            // The name tried (often a password typed in the wrong box)
            // only in the details, which superusers alone read.
            &format!("failed login from {address}"),
            json!({"username": recorded, "address": address}),
        )
        .await;
        return Err(ApiError::Unauthenticated("wrong user name or password".into()));
    };
    state.logins.succeeded(attempt).await;
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
    store::events::record(
        &state.db,
        store::events::EventKind::Login,
        Some(&user),
        &format!("{} logged in from {address}", user.username),
        json!({"address": address}),
    )
    .await?;
    let cookie = Cookie::build(COOKIE, token.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        // Sent back only over HTTPS when it came over HTTPS (`crate::tls`).
        .secure(crate::tls::is_https(&req, &state.settings.trusted_proxies))
        .max_age(actix_web::cookie::time::Duration::seconds(ttl.num_seconds()))
        .finish();
    Ok(HttpResponse::Ok().cookie(cookie).json(Envelope::ok(NewSession {
        token,
        expires_at,
        user,
    })))
}

/// The enabled user with this name and password, if any.
async fn check(state: &AppState, plausible: bool, username: &str, password: String) -> Result<Option<User>, ApiError> {
    let found = if plausible {
        store::users::with_password(&state.db, username).await?
    } else {
        None
    };
    // One verification whoever the name is: the time does not tell.
    // One verification whoever the name is: the time does not tell.
    password::check_login(found, password).await
}

/// Who the caller is.
#[utoipa::path(
    get,
    path = "/api/session",
    tag = "session",
    responses((status = 200, description = "The caller and their token", body = Envelope<Whoami>)),
)]
pub async fn get(caller: Caller) -> Result<HttpResponse, ApiError> {
    Ok(crate::respond::ok(Whoami {
        user: caller.user,
        token_id: caller.token_id,
    }))
}

/// Logs out: revokes the token the request came with.
#[utoipa::path(
    delete,
    path = "/api/session",
    tag = "session",
    responses((status = 200, description = "The token is revoked and the cookie removed", body = Envelope<LoggedOut>)),
)]
pub async fn delete(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    store::users::revoke(&state.db, caller.user.id, caller.token_id).await?;
    let mut gone = Cookie::build(COOKIE, "").path("/").finish();
    gone.make_removal();
    Ok(HttpResponse::Ok()
        .cookie(gone)
        .json(Envelope::ok(LoggedOut { logged_out: true })))
}
