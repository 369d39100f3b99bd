//! `PUT /api/filesystem/{id}/conf_params {"conf_params": {"KEY": "VALUE"},
//! "confirm"?}[?dry_run=true]`: store persistent parameters with the file
//! system and apply them on its MGS (`lctl conf_param`), mounting the MGS
//! first if needed. Keys already set are replaced; others are kept.

use actix_web::{web, HttpResponse};
use common::envelope::Envelope;
use common::plan::Goal;
use common::submission::FieldError;
use sea_orm::TransactionTrait;
use serde::Deserialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{respond, submit, DryRun, Planned, Submit};
use crate::routes::query::id;
use crate::state::AppState;
use store::sql::execute;

/// The body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParamsRequest {
    /// At least one file-system-wide parameter, such as `{"llite.max_cached_mb": "1024"}`.
    conf_params: BTreeMap<String, String>,
    /// Go ahead although it changes objects the request did not name.
    #[serde(default)]
    confirm: bool,
}

/// Stores and applies the parameters.
#[utoipa::path(
    put,
    path = "/api/filesystem/{id}/conf_params",
    tag = "filesystem",
    params(("id" = Uuid, Path, description = "The file system's id"), DryRun),
    request_body = ParamsRequest,
    responses(
        (status = 200, description = "A dry run, or nothing to do: the jobs it would take", body = Envelope<Planned>),
        (status = 202, description = "The parameters are stored and their application submitted",
            body = Envelope<Planned>),
        (status = 400, description = "The id or a parameter is invalid", body = ErrorEnvelope),
        (status = 404, description = "No such file system", body = ErrorEnvelope),
        (status = 409, description = "Unfinished work on the objects it touches, or `confirm` is needed",
            body = ErrorEnvelope),
    ),
)]
pub async fn put(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<ParamsRequest>,
) -> Result<HttpResponse, ApiError> {
    let fs_id = id(&path, "file system")?;
    let request = body.into_inner();
    let mut errors = Vec::new();
    if request.conf_params.is_empty() {
        errors.push(FieldError {
            field: "conf_params".into(),
            message: "give at least one parameter".into(),
        });
    }
    for (key, value) in &request.conf_params {
        if let Err(message) = super::create::check_conf_param(key, value) {
            errors.push(FieldError {
                field: format!("conf_params.{key}"),
                message,
            });
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let fs = super::load_one(&state.db, fs_id).await?;
    let params = serde_json::to_value(&request.conf_params).map_err(|e| ApiError::Internal(e.into()))?;
    let tx = state.db.begin().await?;
    store::domain::lock_planning(&tx).await?;
    execute(
        &tx,
        "UPDATE filesystem SET conf_params = conf_params || $2 WHERE id = $1",
        [fs_id.into(), params.into()],
    )
    .await?;
    let keys: Vec<&str> = request.conf_params.keys().map(String::as_str).collect();
    let planned = submit(Submit {
        goal: Goal::ApplyConfParams(fs_id),
        message: format!("Set {} on {}", keys.join(", "), fs.name),
        dry_run: query.dry_run,
        confirmed: request.confirm,
        tx: &tx,
    })
    .await?;
    if planned.command.is_some() {
        tx.commit().await?;
    }
    Ok(respond(&state, planned))
}
