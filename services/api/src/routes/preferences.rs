//! `/api/preference/{key}`: the caller's own console settings (the
//! dashboard's layout), one JSON value per key, kept on the server so they
//! follow the user from browser to browser. Nobody reads another's.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::state::AppState;

/// The largest value stored, serialised.
const MAX_VALUE_BYTES: usize = 64 * 1024;

/// A setting; `value` is null when none is stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreferenceView {
    key: String,
    value: serde_json::Value,
    updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The body of `PUT`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPreference {
    /// Any JSON value up to 64 KiB.
    value: serde_json::Value,
}

/// 1 to 64 of `a-z 0-9 _ . -`.
fn checked(key: String) -> Result<String, ApiError> {
    let valid = (1..=64).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'));
    if valid {
        Ok(key)
    } else {
        Err(ApiError::bad(
            "invalid_path",
            format!("{key:?} is not a setting name: 1 to 64 of a-z, 0-9, '_', '.', '-'"),
            Some("key"),
        ))
    }
}

/// The caller's setting `key` (null when not stored).
#[utoipa::path(
    get,
    path = "/api/preference/{key}",
    tag = "preference",
    params(("key" = String, Path, description = "The setting, e.g. `dashboard`", pattern = "^[a-z0-9_.-]{1,64}$")),
    responses(
        (status = 200, description = "The setting", body = Envelope<PreferenceView>),
        (status = 400, description = "The name is invalid", body = ErrorEnvelope),
    ),
)]
pub async fn get(state: web::Data<AppState>, caller: Caller, key: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let key = checked(key.into_inner())?;
    let stored = store::preferences::get(&state.db, caller.user.id, &key).await?;
    Ok(crate::respond::ok(PreferenceView {
        key,
        value: stored.as_ref().map_or(serde_json::Value::Null, |p| p.value.clone()),
        updated_at: stored.map(|p| p.updated_at),
    }))
}

/// Stores the caller's setting `key`.
#[utoipa::path(
    put,
    path = "/api/preference/{key}",
    tag = "preference",
    params(("key" = String, Path, description = "The setting, e.g. `dashboard`", pattern = "^[a-z0-9_.-]{1,64}$")),
    request_body = NewPreference,
    responses(
        (status = 200, description = "The setting as stored", body = Envelope<PreferenceView>),
        (status = 400, description = "The name or the value is invalid", body = ErrorEnvelope),
    ),
)]
pub async fn put(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
    body: web::Json<NewPreference>,
) -> Result<HttpResponse, ApiError> {
    let key = checked(key.into_inner())?;
    let value = body.into_inner().value;
    if crate::routes::query::holds_nul(&value) {
        return Err(ApiError::bad(
            "invalid_field",
            "the value holds a NUL character (\\u0000), which cannot be stored",
            Some("value"),
        ));
    }
    let size = value.to_string().len();
    if size > MAX_VALUE_BYTES {
        return Err(ApiError::bad(
            "invalid_field",
            format!("the value is {size} bytes; at most {MAX_VALUE_BYTES} are kept"),
            Some("value"),
        ));
    }
    let Some(stored) = store::preferences::put(&state.db, caller.user.id, &key, value).await? else {
        return Err(ApiError::bad(
            "too_many_settings",
            format!(
                "a user keeps at most {} settings; {key:?} would be one more",
                store::preferences::MAX_KEYS
            ),
            Some("key"),
        ));
    };
    Ok(crate::respond::ok(PreferenceView {
        key,
        value: stored.value,
        updated_at: Some(stored.updated_at),
    }))
}
