//! `/api/user`: superusers create users, list them, and change a user's
//! role, password or disabled flag (the last two revoke the user's
//! sessions and API tokens).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use serde::Deserialize;
use store::users::User;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{password, Role};
use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::id;
use crate::state::AppState;
use crate::views::Page;
use lustre::submission::FieldError;

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
    /// `username`, `role` or `created_at`; `-` first for descending.
    order_by: Option<String>,
}

/// The body of `POST /api/user`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// 1 to 64 letters, digits or `_.@-`.
    #[schema(pattern = "^[A-Za-z0-9_.@-]{1,64}$")]
    username: String,
    /// 10 to 256 characters.
    #[schema(min_length = 10, max_length = 256)]
    password: String,
    #[schema(value_type = RoleName)]
    role: String,
}

/// A role, from least to most allowed.
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleName {
    Readonly,
    Fsadmin,
    Superuser,
}

/// The body of `PATCH /api/user/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    #[schema(value_type = Option<RoleName>)]
    role: Option<String>,
    /// 10 to 256 characters.
    #[schema(min_length = 10, max_length = 256)]
    password: Option<String>,
    disabled: Option<bool>,
}

fn invalid(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// Checks a user name: 1–64 letters, digits or `_.@-`.
pub fn check_username(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '-'));
    if valid {
        Ok(())
    } else {
        Err(format!("{name:?} must be 1 to 64 letters, digits or _.@-"))
    }
}

/// Creates a user; 409 if the name is taken.
#[utoipa::path(
    post,
    path = "/api/user",
    tag = "user",
    request_body = NewUser,
    responses(
        (status = 201, description = "The user", body = Envelope<User>),
        (status = 400, description = "The body is invalid", body = ErrorEnvelope),
        (status = 409, description = "The name is taken", body = ErrorEnvelope),
    ),
)]
pub async fn create(state: web::Data<AppState>, body: web::Json<NewUser>) -> Result<HttpResponse, ApiError> {
    let NewUser {
        username,
        password,
        role,
    } = body.into_inner();
    let mut errors = Vec::new();
    if let Err(m) = check_username(&username) {
        errors.push(invalid("username", m));
    }
    if let Err(m) = password::check(&password) {
        errors.push(invalid("password", m));
    }
    let role = role.parse::<Role>().map_err(|m| errors.push(invalid("role", m))).ok();
    let (Some(role), true) = (role, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let hash = password::hash_blocking(password).await?;
    let user = store::users::create(&state.db, &username, &hash, role.as_str())
        .await?
        .ok_or_else(|| ApiError::Conflict(format!("user {username} already exists")))?;
    Ok(crate::respond::with_status(StatusCode::CREATED, user))
}

/// Every user.
#[utoipa::path(
    get,
    path = "/api/user",
    tag = "user",
    params(ListParams),
    responses(
        (status = 200, description = "A page of users", body = Envelope<Page<User>>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
)]
pub async fn list(state: web::Data<AppState>, params: web::Query<ListParams>) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let objects = store::users::list(&state.db).await?;
    let paging = crate::routes::query::Paging {
        limit: params.limit,
        offset: params.offset,
    };
    crate::routes::listing::page(
        objects,
        paging,
        params.order_by.as_deref(),
        &["username", "role", "created_at"],
    )
}

/// Changes a user; disabling one or changing their password revokes all
/// their tokens, sessions and API tokens alike (enabling them again brings
/// none back).
#[utoipa::path(
    patch,
    path = "/api/user/{id}",
    tag = "user",
    params(("id" = Uuid, Path, description = "The user's id")),
    request_body = UserChange,
    responses(
        (status = 200, description = "The user as changed", body = Envelope<User>),
        (status = 400, description = "The id or the body is invalid", body = ErrorEnvelope),
        (status = 404, description = "No such user", body = ErrorEnvelope),
    ),
)]
pub async fn update(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<UserChange>,
) -> Result<HttpResponse, ApiError> {
    let user_id = id(&path, "user")?;
    let UserChange {
        role,
        password,
        disabled,
    } = body.into_inner();
    let role = role
        .map(|r| r.parse::<Role>())
        .transpose()
        .map_err(|m| ApiError::Validation(vec![invalid("role", m)]))?;
    let hash = match password {
        Some(p) => {
            password::check(&p).map_err(|m| ApiError::Validation(vec![invalid("password", m)]))?;
            Some(password::hash_blocking(p).await?)
        }
        None => None,
    };
    let user = store::users::update(&state.db, user_id, role.map(Role::as_str), hash.as_deref(), disabled)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("user {user_id} does not exist")))?;
    Ok(crate::respond::ok(user))
}
