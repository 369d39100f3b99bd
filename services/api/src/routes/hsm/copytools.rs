//! `GET/POST /api/copytool`, `GET/PATCH/DELETE /api/copytool/{id}`: POSIX
//! copytools (`lhsmtool_posix --daemon --hsm-root DIR --archive N MOUNT`)
//! on the host of a mounted client mount. Creating one stores it and
//! starts it; PATCH starts or stops it; DELETE stops and forgets it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use api_types::hsm::{CopytoolChange, CopytoolCreated, CopytoolView, NewCopytool};
use lustre::plan::Goal;
use lustre::submission::FieldError;
use sea_orm::TransactionTrait;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use wire::messages::SchedulerMessage;

use crate::error::ApiError;
use crate::routes::listing;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{change, submit, DryRun, Planned, Submit};
use crate::routes::query::{id, Paging};
use crate::state::AppState;
use crate::views::Page;

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// Only the copytools of this file system.
    filesystem_id: Option<Uuid>,
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
    /// `host_name`, `filesystem_name`, `archive_id`, `state` or `created_at`; `-` first for descending.
    order_by: Option<String>,
}

/// Every live copytool (not removed), oldest first.
#[utoipa::path(
    get,
    path = "/api/copytool",
    tag = "hsm",
    params(Filters),
    responses(
        (status = 200, description = "The copytools", body = Envelope<Page<CopytoolView>>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
)]
pub async fn list(state: web::Data<AppState>, query: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let f = query.into_inner();
    let copytools = store::hsm::copytools(&state.db, None, f.filesystem_id).await?;
    let paging = Paging {
        limit: f.limit,
        offset: f.offset,
    };
    listing::page(
        copytools,
        paging,
        f.order_by.as_deref(),
        &["host_name", "filesystem_name", "archive_id", "state", "created_at"],
    )
}

/// One copytool.
#[utoipa::path(
    get,
    path = "/api/copytool/{id}",
    tag = "hsm",
    params(("id" = Uuid, Path, description = "The copytool's id")),
    responses(
        (status = 200, description = "The copytool", body = Envelope<CopytoolView>),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 404, description = "No such copytool", body = ErrorEnvelope),
    ),
)]
pub async fn get(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "copytool")?;
    Ok(crate::respond::ok(super::load_copytool(&state.db, id).await?))
}

fn field(name: &str, message: String) -> FieldError {
    FieldError {
        field: name.into(),
        message,
    }
}

/// Stores the copytool (`stopped`) and plans starting it.
#[utoipa::path(
    post,
    path = "/api/copytool",
    tag = "hsm",
    params(DryRun),
    request_body = NewCopytool,
    responses(
        (status = 200, description = "A dry run: the job it would take", body = Envelope<CopytoolCreated>),
        (status = 202, description = "The copytool and its command", body = Envelope<CopytoolCreated>),
        (status = 400, description = "The archive id, the archive path or the client mount is refused", body = ErrorEnvelope),
        (status = 409, description = "The client mount is not mounted, the host has a copytool for that archive, the file system is not running, or work is unfinished", body = ErrorEnvelope),
    ),
)]
pub async fn create(
    state: web::Data<AppState>,
    query: web::Query<DryRun>,
    body: web::Json<NewCopytool>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let mut errors = Vec::new();
    let max = lustre::hsm::MAX_ARCHIVE_ID;
    if !(1..=i64::from(max)).contains(&i64::from(request.archive_id)) {
        errors.push(field(
            "archive_id",
            format!("must be 1 to {max} (not {})", request.archive_id),
        ));
    }
    if let Err(m) = lustre::hsm::check_archive_path(&request.archive_path) {
        errors.push(field("archive_path", m));
    }
    let tx = state.db.begin().await?;
    store::domain::lock_planning(&tx).await?;
    let mount = store::client_mounts::view(&tx, request.client_mount_id).await?;
    match &mount {
        None => errors.push(field(
            "client_mount_id",
            format!("no client mount has id {}", request.client_mount_id),
        )),
        Some(m) if m.state == "removed" => errors.push(field(
            "client_mount_id",
            format!("client mount {} on {} is removed", m.mountpoint, m.host_name),
        )),
        Some(_) => {}
    }
    let Some(mount) = mount.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    if mount.state != "mounted" {
        return Err(ApiError::Conflict(format!(
            "client_mount_id: client mount {} on {} is {}; a copytool needs it mounted",
            mount.mountpoint, mount.host_name, mount.state
        )));
    }
    if let Some(other) = store::hsm::copytool_for(&tx, mount.host_id, mount.filesystem_id, request.archive_id).await? {
        return Err(ApiError::Conflict(format!(
            "archive_id: host {} already has copytool {other} for archive {} of {}",
            mount.host_name, request.archive_id, mount.filesystem_name
        )));
    }
    let id = Uuid::now_v7();
    store::hsm::insert_copytool(&tx, id, mount.id, request.archive_id, &request.archive_path).await?;
    let view = super::load_copytool(&tx, id).await?;
    let planned = submit(Submit {
        goal: Goal::Copytool {
            copytool: super::facts(&view),
            want: "started".into(),
        },
        message: format!(
            "Start a copytool for {} archive {} on {}",
            mount.filesystem_name, request.archive_id, mount.host_name
        ),
        dry_run: query.dry_run,
        confirmed: false,
        tx: &tx,
    })
    .await?;
    if planned.dry_run {
        tx.rollback().await?;
        return Ok(crate::respond::ok(CopytoolCreated {
            copytool: None,
            planned,
        }));
    }
    tx.commit().await?;
    if let Some(command_id) = planned.command {
        state.notify_scheduler(SchedulerMessage::CommandSubmitted { command_id });
    }
    Ok(crate::respond::with_status(
        StatusCode::ACCEPTED,
        CopytoolCreated {
            copytool: Some(view),
            planned,
        },
    ))
}

async fn live(state: &AppState, path: &str) -> Result<CopytoolView, ApiError> {
    let id = id(path, "copytool")?;
    let view = super::load_copytool(&state.db, id).await?;
    if view.state == "removed" {
        return Err(ApiError::bad(
            "invalid_transition",
            format!("copytool {id} is removed"),
            Some("id"),
        ));
    }
    Ok(view)
}

/// Starts or stops a copytool.
#[utoipa::path(
    patch,
    path = "/api/copytool/{id}",
    tag = "hsm",
    params(("id" = Uuid, Path, description = "The copytool's id"), DryRun),
    request_body = CopytoolChange,
    responses(
        (status = 200, description = "A dry run, or nothing to do: the jobs", body = Envelope<Planned>),
        (status = 202, description = "The command is stored", body = Envelope<Planned>),
        (status = 400, description = "The state is not started or stopped, or the copytool is removed", body = ErrorEnvelope),
        (status = 404, description = "No such copytool", body = ErrorEnvelope),
        (status = 409, description = "The file system is not running, or work on the copytool is unfinished", body = ErrorEnvelope),
    ),
)]
pub async fn patch(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<CopytoolChange>,
) -> Result<HttpResponse, ApiError> {
    if !matches!(body.state.as_str(), "started" | "stopped") {
        return Err(ApiError::bad(
            "invalid_value",
            format!(
                "state must be started or stopped (not {:?}); DELETE removes a copytool",
                body.state
            ),
            Some("state"),
        ));
    }
    let view = live(&state, &path).await?;
    let verb = if body.state == "started" { "Start" } else { "Stop" };
    let message = format!(
        "{verb} the copytool of {} archive {} on {}",
        view.filesystem_name, view.archive_id, view.host_name
    );
    let goal = Goal::Copytool {
        copytool: super::facts(&view),
        want: body.state.clone(),
    };
    let answer = change(&state, goal, message, query.dry_run, false).await?;
    // An operator's start or stop begins a new run: the monitor's count
    // of restarts (and its giving up) starts again.
    if !query.dry_run {
        store::hsm::reset_restarts(&state.db, view.id).await?;
    }
    Ok(answer)
}

/// Stops a copytool if it runs and forgets it.
#[utoipa::path(
    delete,
    path = "/api/copytool/{id}",
    tag = "hsm",
    params(("id" = Uuid, Path, description = "The copytool's id"), DryRun),
    responses(
        (status = 200, description = "A dry run: the job it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored", body = Envelope<Planned>),
        (status = 400, description = "The copytool is removed already", body = ErrorEnvelope),
        (status = 404, description = "No such copytool", body = ErrorEnvelope),
        (status = 409, description = "Work on the copytool is unfinished", body = ErrorEnvelope),
    ),
)]
pub async fn delete(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
) -> Result<HttpResponse, ApiError> {
    let view = live(&state, &path).await?;
    let message = format!(
        "Remove the copytool of {} archive {} on {}",
        view.filesystem_name, view.archive_id, view.host_name
    );
    let goal = Goal::Copytool {
        copytool: super::facts(&view),
        want: "removed".into(),
    };
    change(&state, goal, message, query.dry_run, false).await
}
