//! `GET /api/filesystem/{id}/hsm` (the coordinator, its agents and queue,
//! the copytools), `PUT /api/filesystem/{id}/hsm {"control"}` and
//! `GET /api/filesystem/{id}/hsm/state?path=`.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use api_types::hsm::{HsmActionView, HsmAgentView, HsmControlChange, HsmFileState, HsmStatus};
use lustre::hsm::{check_hsm_path, FileState, HsmControl};
use lustre::plan::Goal;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{change, DryRun, Planned};
use crate::state::AppState;

/// The coordinator of a file system as its MDTs last showed it.
#[utoipa::path(
    get,
    path = "/api/filesystem/{id}/hsm",
    tag = "hsm",
    params(("id" = Uuid, Path, description = "The file system's id")),
    responses(
        (status = 200, description = "The coordinator, its agents and requests, and the copytools", body = Envelope<HsmStatus>),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "No such file system", body = ErrorEnvelope),
    ),
)]
pub async fn get(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let fs = super::filesystem(&state.db, &path).await?;
    let row = store::hsm::status(&state.db, fs.id).await?;
    let copytools = store::hsm::copytools(&state.db, None, Some(fs.id)).await?;
    let status = match row {
        None => HsmStatus {
            filesystem_id: fs.id,
            control: "unknown".into(),
            agents: Vec::new(),
            actions: Vec::new(),
            active_requests: Vec::new(),
            copytools,
            read_at: None,
        },
        Some(row) => HsmStatus {
            filesystem_id: fs.id,
            control: row.control,
            agents: lustre::hsm::parse_agents(&row.agents)
                .into_iter()
                .map(|a| HsmAgentView {
                    uuid: a.uuid,
                    archive_ids: a.archive_ids,
                    current: a.current,
                    ok: a.ok,
                    errors: a.errors,
                })
                .collect(),
            actions: lustre::hsm::parse_actions(&row.actions)
                .into_iter()
                .map(|a| HsmActionView {
                    fid: a.fid,
                    cookie: a.cookie,
                    action: a.action,
                    archive_id: a.archive_id,
                    status: a.status,
                })
                .collect(),
            active_requests: row.active_requests.lines().map(str::to_string).collect(),
            copytools,
            read_at: Some(row.read_at),
        },
    };
    Ok(crate::respond::ok(status))
}

/// Enables, disables or shuts down the coordinator on every MDT (set
/// persistently), or purges its requests (`purge`: every request
/// cancelled; the state is unchanged).
#[utoipa::path(
    put,
    path = "/api/filesystem/{id}/hsm",
    tag = "hsm",
    params(("id" = Uuid, Path, description = "The file system's id"), DryRun),
    request_body = HsmControlChange,
    responses(
        (status = 200, description = "A dry run: the job it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored", body = Envelope<Planned>),
        (status = 400, description = "control is not enabled, disabled, shutdown or purge, or the file system is removed", body = ErrorEnvelope),
        (status = 404, description = "No such file system", body = ErrorEnvelope),
        (status = 409, description = "The file system is not running, is monitored only, or work on it is unfinished", body = ErrorEnvelope),
    ),
)]
pub async fn put(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<HsmControlChange>,
) -> Result<HttpResponse, ApiError> {
    let Some(control) = HsmControl::parse(&body.control) else {
        return Err(ApiError::bad(
            "invalid_value",
            format!(
                "control must be enabled, disabled, shutdown or purge (not {:?})",
                body.control
            ),
            Some("control"),
        ));
    };
    let fs = super::live_filesystem(&state.db, &path).await?;
    if control == HsmControl::Disabled {
        let last = store::hsm::status(&state.db, fs.id).await?.map(|s| s.control);
        if last.as_deref().is_none_or(|c| c == "stopped") {
            return Err(ApiError::Conflict(format!(
                "control: the HSM coordinator of {} is {}; a stopped coordinator cannot be disabled, enable it first",
                fs.name,
                last.as_deref().unwrap_or("stopped (never enabled by Chroma)")
            )));
        }
    }
    let message = match control {
        HsmControl::Purge => format!("Cancel every HSM request of {}", fs.name),
        _ => format!("Set the HSM coordinator of {} {}", fs.name, control.as_str()),
    };
    change(
        &state,
        Goal::HsmControl {
            filesystem: fs.id,
            control,
        },
        message,
        query.dry_run,
        false,
    )
    .await
}

/// `?path=/dir/file`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PathQuery {
    /// Absolute path inside the file system.
    path: String,
}

/// A file's HSM state as `lfs hsm_state` last showed it (read by the HSM
/// requests that named it).
#[utoipa::path(
    get,
    path = "/api/filesystem/{id}/hsm/state",
    tag = "hsm",
    params(("id" = Uuid, Path, description = "The file system's id"), PathQuery),
    responses(
        (status = 200, description = "The file's HSM state", body = Envelope<HsmFileState>),
        (status = 400, description = "The path is refused", body = ErrorEnvelope),
        (status = 404, description = "No such file system, or no request read this file", body = ErrorEnvelope),
    ),
)]
pub async fn file(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<PathQuery>,
) -> Result<HttpResponse, ApiError> {
    if let Err(m) = check_hsm_path(&query.path) {
        return Err(ApiError::bad("invalid_value", m, Some("path")));
    }
    let fs = super::filesystem(&state.db, &path).await?;
    let row = store::hsm::file(&state.db, fs.id, &query.path).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "no HSM request has read {} on {} yet; its state is known once one has",
            query.path, fs.name
        ))
    })?;
    let words = FileState {
        flags: u32::try_from(row.flags).unwrap_or(0),
        archive_id: u32::try_from(row.archive_id).unwrap_or(0),
    }
    .words();
    Ok(crate::respond::ok(HsmFileState {
        filesystem_id: fs.id,
        path: query.path.clone(),
        fid: row.fid,
        flags: row.flags,
        states: words.into_iter().map(str::to_string).collect(),
        archive_id: row.archive_id,
        read_at: row.read_at,
    }))
}
