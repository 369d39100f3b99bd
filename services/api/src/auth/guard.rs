//! The middleware that authenticates every API request, refuses a change
//! made with the session cookie from another origin (`origin`), and checks
//! the route's role (`routes::ENDPOINTS`), then writes each change that
//! succeeded to the audit trail with the user who made it.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, ResponseError};
use serde_json::json;

use super::{token_hash, Access, Caller, Role, COOKIE};
use crate::error::ApiError;
use crate::state::AppState;

/// The token a request carries: `Authorization: Bearer …`, else the
/// session cookie; and whether it came in the cookie.
fn presented_token(req: &ServiceRequest) -> Option<(String, bool)> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| (t.trim().to_owned(), false));
    header.or_else(|| req.cookie(COOKIE).map(|c| (c.value().to_owned(), true)))
}

fn refuse(req: ServiceRequest, error: ApiError) -> ServiceResponse<BoxBody> {
    let response = error.error_response();
    req.into_response(response)
}

/// Authenticates and authorises `req`, then runs it.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // The path as the router matches it (percent-escapes decoded), never
    // the raw one: `/%61pi/user` is routed to `/api/user` and must be
    // guarded as such.
    let access = crate::routes::access(req.method(), req.match_info().as_str());
    let required = match access {
        Access::Public => return Ok(next.call(req).await?.map_into_boxed_body()),
        Access::Role(role) => role,
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(refuse(req, ApiError::Internal(anyhow::anyhow!("no application state"))));
    };
    let Some((token, by_cookie)) = presented_token(&req) else {
        return Ok(refuse(
            req,
            ApiError::Unauthenticated("log in first: POST /api/session, then send the token as a Bearer token".into()),
        ));
    };
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // A browser sends the cookie whichever page makes the request.
    if by_cookie && changes {
        if let Err(refused) = super::origin::check(&req, &state.settings.trusted_proxies) {
            return Ok(refuse(req, refused));
        }
    }
    let found = match store::users::by_token(&state.db, &token_hash(&token)).await {
        Ok(found) => found,
        Err(e) => return Ok(refuse(req, e.into())),
    };
    let Some((user, token_id)) = found else {
        return Ok(refuse(
            req,
            ApiError::Unauthenticated("the token is unknown, expired or revoked; log in again".into()),
        ));
    };
    let role: Role = match user.role.parse() {
        Ok(role) => role,
        Err(e) => return Ok(refuse(req, ApiError::Internal(anyhow::anyhow!(e)))),
    };
    if role < required {
        let message = format!(
            "{} is {}; {} {} needs {}",
            user.username,
            role.as_str(),
            req.method(),
            req.path(),
            required.as_str()
        );
        return Ok(refuse(req, ApiError::Forbidden(message)));
    }
    let (method, path) = (req.method().to_string(), req.path().to_owned());
    let caller = Caller { user, role, token_id };
    req.extensions_mut().insert(caller.clone());
    let response = next.call(req).await?;
    if changes && response.status().is_success() {
        let status = response.status().as_u16();
        let message = format!("{} {method} {path} ({status})", caller.user.username);
        let details = json!({"method": method, "path": path, "status": status});
        let line = super::audit::Line {
            user_id: caller.user.id,
            username: caller.user.username.clone(),
            message: message.clone(),
            details,
        };
        if let Err(e) = state.audit.write(line).await {
            // The change is made; losing its audit line is logged loudly.
            tracing::error!("failed to write the audit event for {message}: {e}");
        }
    }
    Ok(response.map_into_boxed_body())
}
