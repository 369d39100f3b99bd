//! `/api/token`: API tokens for automation. Each user creates, lists and
//! revokes their own; a token is shown once, when created. Every API
//! token expires: after [`DEFAULT_EXPIRY_DAYS`] unless the request asks for
//! fewer or more days (at most [`MAX_EXPIRY_DAYS`]). A new password or a
//! disabled user revokes them all (`store::users::update`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use serde::{Deserialize, Serialize};
use store::users::Token;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{new_token, token_hash, Caller};
use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::id;
use crate::state::AppState;
use crate::views::Page;

/// Days an API token lives when created without `expires_in_days`.
pub const DEFAULT_EXPIRY_DAYS: u32 = 90;

/// The most days an API token lives; longer requests are cut to this.
pub const MAX_EXPIRY_DAYS: u32 = 3_660;

/// List parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
    /// `name`, `kind`, `created_at` or `expires_at`; `-` first for descending.
    order_by: Option<String>,
}

/// The body of `POST /api/token`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// 1 to 128 printable characters.
    #[schema(min_length = 1, max_length = 128)]
    name: String,
    /// Days until it expires: 90 when not given, at most 3660 (more are
    /// cut to 3660). Every API token expires.
    #[schema(minimum = 1)]
    expires_in_days: Option<u32>,
}

/// A new API token: the only time its value is shown.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    id: Uuid,
    /// Send it as `Authorization: Bearer …`.
    token: String,
    name: String,
    /// When it stops working: `expires_in_days` (90 by default) from now.
    expires_at: chrono::DateTime<chrono::Utc>,
}

/// The answer to a revocation.
#[derive(Serialize, ToSchema)]
pub struct Revoked {
    id: Uuid,
    revoked: bool,
}

/// Creates an API token for the caller; it expires after
/// `expires_in_days`, 90 days when not given, and is revoked when the
/// caller's password changes or the caller is disabled.
#[utoipa::path(
    post,
    path = "/api/token",
    tag = "token",
    request_body = NewToken,
    responses(
        (status = 201, description = "The token, shown this once", body = Envelope<CreatedToken>,
            links(("revoke" = (operation_id = "delete_token_id",
                parameters(("id" = "$response.body#/response/id")))))),
        (status = 400, description = "The body is invalid", body = ErrorEnvelope),
    ),
)]
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
    let days = match expires_in_days.unwrap_or(DEFAULT_EXPIRY_DAYS) {
        0 => {
            return Err(ApiError::bad(
                "invalid_field",
                "must be at least 1",
                Some("expires_in_days"),
            ))
        }
        days => days.min(MAX_EXPIRY_DAYS),
    };
    let expires_at = chrono::Utc::now() + chrono::Duration::days(i64::from(days));
    let token = new_token();
    let token_id = store::users::add_token(
        &state.db,
        caller.user.id,
        &token_hash(&token),
        "api",
        &name,
        Some(expires_at),
    )
    .await?;
    Ok(crate::respond::with_status(
        StatusCode::CREATED,
        CreatedToken {
            id: token_id,
            token,
            name,
            expires_at,
        },
    ))
}

/// The caller's live tokens (sessions and API tokens), never their values.
#[utoipa::path(
    get,
    path = "/api/token",
    tag = "token",
    params(ListParams),
    responses(
        (status = 200, description = "A page of the caller's tokens", body = Envelope<Page<Token>>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
)]
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
#[utoipa::path(
    delete,
    path = "/api/token/{id}",
    tag = "token",
    params(("id" = Uuid, Path, description = "The token's id")),
    responses(
        (status = 200, description = "The token is revoked", body = Envelope<Revoked>),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "The caller holds no live token of that id", body = ErrorEnvelope),
    ),
)]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token_id = id(&path, "token")?;
    if !store::users::revoke(&state.db, caller.user.id, token_id).await? {
        return Err(ApiError::NotFound(format!("you hold no live token {token_id}")));
    }
    Ok(crate::respond::ok(Revoked {
        id: token_id,
        revoked: true,
    }))
}
