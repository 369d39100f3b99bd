//! `POST /api/client_mount[?dry_run=true] {"host_id", "filesystem_id",
//! "mountpoint", "options"?}`: a new client mount, mounted by its command.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use api_types::client_mounts::{ClientMountCreated, NewClientMount};
use api_types::envelope::Envelope;
use lustre::plan::{
    check_client_mountpoint, check_client_options, overlapping_mountpoint, ClientMountFacts, ClientMountState, Goal,
};
use lustre::submission::FieldError;
use sea_orm::TransactionTrait;
use uuid::Uuid;
use wire::messages::SchedulerMessage;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{submit, DryRun, Submit};
use crate::state::AppState;

fn field(errors: &mut Vec<FieldError>, name: &str, message: String) {
    errors.push(FieldError {
        field: name.into(),
        message,
    });
}

/// Stores the mount (`unmounted`) and plans mounting it.
#[utoipa::path(
    post,
    path = "/api/client_mount",
    tag = "client_mount",
    params(DryRun),
    request_body = NewClientMount,
    responses(
        (status = 200, description = "A dry run: the jobs it would take", body = Envelope<ClientMountCreated>),
        (status = 202, description = "The mount and its command", body = Envelope<ClientMountCreated>),
        (status = 400, description = "The mount point, the options, the host or the file system is refused", body = ErrorEnvelope),
        (status = 409, description = "The host has a client mount there, the file system is not running, or work is unfinished", body = ErrorEnvelope),
    ),
)]
pub async fn handle(
    state: web::Data<AppState>,
    query: web::Query<DryRun>,
    body: web::Json<NewClientMount>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let options = request.options.clone().unwrap_or_default();
    let mut errors = Vec::new();
    if let Err(message) = check_client_mountpoint(&request.mountpoint) {
        field(&mut errors, "mountpoint", message);
    }
    if let Err(message) = check_client_options(&options) {
        field(&mut errors, "options", message);
    }
    let tx = state.db.begin().await?;
    store::domain::lock_planning(&tx).await?;
    let host = store::hosts::views(&tx, store::hosts::HostSelection::Id(request.host_id))
        .await?
        .into_iter()
        .next();
    let host_name = match &host {
        None => {
            field(&mut errors, "host_id", format!("no host has id {}", request.host_id));
            String::new()
        }
        Some(h) => {
            let name = h.nodename.clone().unwrap_or_else(|| h.address.clone());
            if h.state != "managed" {
                field(
                    &mut errors,
                    "host_id",
                    format!("host {name} is {}, not managed", h.state),
                );
            }
            name
        }
    };
    let fs = store::filesystems::views(&tx, store::filesystems::FilesystemSelection::Id(request.filesystem_id))
        .await?
        .into_iter()
        .next();
    match &fs {
        None => field(
            &mut errors,
            "filesystem_id",
            format!("no file system has id {}", request.filesystem_id),
        ),
        Some(fs) if fs.state == "removed" => field(
            &mut errors,
            "filesystem_id",
            format!("file system {} is removed", fs.name),
        ),
        Some(_) => {}
    }
    let Some(fs) = fs.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    if store::client_mounts::at_mountpoint(&tx, request.host_id, &request.mountpoint)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!(
            "mountpoint: host {host_name} already has a client mount at {}",
            request.mountpoint
        )));
    }
    // Nor on, in or over another live mount of the host: a client mount
    // or a target it may serve (mounted at /mnt/NAME).
    let snapshot = store::domain::snapshot(&tx).await?;
    let taken: Vec<String> = snapshot
        .client_mounts
        .values()
        .filter(|m| m.host_id == request.host_id)
        .map(|m| m.mountpoint.clone())
        .chain(
            snapshot
                .targets
                .values()
                .filter(|t| t.state != lustre::domain::TargetState::Removed)
                .filter(|t| t.primary_host_id == request.host_id || t.failover_host_ids.contains(&request.host_id))
                .map(|t| format!("/mnt/{}", t.name)),
        )
        .collect();
    if let Some(other) = overlapping_mountpoint(&request.mountpoint, taken.iter().map(String::as_str)) {
        return Err(ApiError::Conflict(format!(
            "mountpoint: {} on host {host_name} overlaps the mount at {other}",
            request.mountpoint
        )));
    }
    let id = Uuid::now_v7();
    store::client_mounts::insert(&tx, id, request.host_id, fs.id, &request.mountpoint, &options).await?;
    let mount = ClientMountFacts {
        id,
        host_id: request.host_id,
        filesystem_id: fs.id,
        mountpoint: request.mountpoint.clone(),
        state: ClientMountState::Unmounted,
    };
    let planned = submit(Submit {
        goal: Goal::ClientMount {
            mount,
            want: ClientMountState::Mounted,
        },
        message: format!("Mount {} on {host_name} at {}", fs.name, request.mountpoint),
        dry_run: query.dry_run,
        confirmed: false,
        tx: &tx,
    })
    .await
    .map_err(|e| match e {
        // The file system's own state: name the field that chose it.
        ApiError::Conflict(m) if m.starts_with("file system") => ApiError::Conflict(format!("filesystem_id: {m}")),
        e => e,
    })?;
    if planned.dry_run {
        // Nothing is stored.
        tx.rollback().await?;
        return Ok(crate::respond::ok(ClientMountCreated {
            client_mount: None,
            planned,
        }));
    }
    let client_mount = Some(super::load_one(&tx, id).await?);
    tx.commit().await?;
    if let Some(command_id) = planned.command {
        state.notify_scheduler(SchedulerMessage::CommandSubmitted { command_id });
    }
    Ok(crate::respond::with_status(
        StatusCode::ACCEPTED,
        ClientMountCreated { client_mount, planned },
    ))
}
