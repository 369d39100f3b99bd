//! `/api/user`: superusers create users, list them, and change a user's
//! role, password or disabled flag.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::auth::{password, Role};
use crate::error::ApiError;
use crate::routes::query::id;
use crate::state::AppState;
use common::submission::FieldError;

/// List parameters; any other is refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    limit: Option<u64>,
    offset: Option<u64>,
    order_by: Option<String>,
}

/// The body of `POST /api/user`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    username: String,
    password: String,
    role: String,
}

/// The body of `PATCH /api/user/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    role: Option<String>,
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

/// Changes a user; disabling one or changing their password ends their
/// sessions.
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
