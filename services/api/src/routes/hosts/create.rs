//! `POST /api/host {"address", "port"?, "fingerprint"?, "replace_key"?}`:
//! record the host and submit the command that connects to it, pins (or
//! checks) its host key and detects its software and devices. Answers 202.
//!
//! A host removed before keeps the key pinned when it was managed. Added
//! again without a fingerprint, it keeps that key if the server still
//! presents it (or cannot be reached now: the probe then checks it);
//! another key is refused with 409 `host_key_changed` naming both, until
//! the request carries the new fingerprint or `replace_key`. A new key is
//! never pinned silently.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use lustre::submission::{FieldError, NewCommand, NewJob};
use lustre::Action;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use wire::messages::SchedulerMessage;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::state::AppState;

/// The request body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HostRequest {
    /// A host name or an IP address.
    #[schema(pattern = "^[A-Za-z0-9._:][A-Za-z0-9._:-]{0,252}$")]
    address: String,
    /// The SSH port (default 22).
    #[schema(minimum = 1, maximum = 65535)]
    port: Option<u16>,
    /// The expected SSH host key fingerprint (`SHA256:…`); without it
    /// the key seen at first contact is pinned.
    #[schema(pattern = "^SHA256:[A-Za-z0-9+/]{43}$")]
    fingerprint: Option<String>,
    /// For a host added before whose key has changed: forget the key
    /// pinned then and pin the one seen at first contact (prefer giving
    /// the new `fingerprint`, checked on the server).
    #[serde(default)]
    replace_key: bool,
}

/// The host as recorded, and the command that probes it.
#[derive(Serialize, ToSchema)]
pub struct Added {
    host: super::HostView,
    command: Uuid,
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Validation(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }])
}

/// A host name or an IP address; nothing a shell or SSH option could
/// misread.
pub(crate) fn check_address(address: &str) -> Result<(), ApiError> {
    let valid = !address.is_empty()
        && address.len() <= 253
        && !address.starts_with('-')
        && address
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'));
    if valid {
        Ok(())
    } else {
        Err(invalid(
            "address",
            format!("{address:?} is not a host name or IP address"),
        ))
    }
}

/// How long reading a removed host's key again may take.
const SCAN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The key to pin for a host added again: the old one while the server
/// still presents it (or cannot be read now), never another one silently.
/// `None` for an address never added, or one whose old host had no key.
async fn key_of_removed(state: &AppState, address: &str, port: u16) -> Result<Option<String>, ApiError> {
    let known = store::hosts::at_address(&state.db, address, port).await?;
    let Some(old) = known.filter(|h| h.state == "removed").and_then(|h| h.fingerprint) else {
        return Ok(None);
    };
    let target = chroma_ssh::Target::new(address.to_owned(), port, "root");
    let (seen, algorithm) = match chroma_ssh::scan_host_key(&target, SCAN_TIMEOUT).await {
        Ok(scanned) => (scanned.fingerprint.as_str().to_owned(), scanned.algorithm),
        Err(e) => {
            // The probe connects with the old key pinned, and fails if the
            // server has another.
            tracing::info!("cannot read the host key of {address}:{port} again ({e}); keeping {old} pinned");
            return Ok(Some(old));
        }
    };
    if seen == old {
        return Ok(Some(old));
    }
    let file = key_file(&algorithm);
    Err(ApiError::HostKeyChanged(format!(
        "{address}:{port} was added before with host key {old}; it now presents {seen}. \
         If the server was reinstalled, check the new key on it (ssh-keygen -lf {file}) \
         and add it again with fingerprint {seen} (chroma host add --fingerprint {seen}), \
         or with replace_key (chroma host add --replace-key); nothing was changed"
    )))
}

/// Where a server keeps its public host key of `algorithm` (`ssh-ed25519`).
fn key_file(algorithm: &str) -> &'static str {
    if algorithm.contains("ed25519") {
        "/etc/ssh/ssh_host_ed25519_key.pub"
    } else if algorithm.starts_with("ecdsa") {
        "/etc/ssh/ssh_host_ecdsa_key.pub"
    } else if algorithm.contains("rsa") {
        "/etc/ssh/ssh_host_rsa_key.pub"
    } else {
        "/etc/ssh/ssh_host_*_key.pub"
    }
}

/// The command that probes host `id`, described by `message`.
fn probe_command(id: Uuid, address: &str, message: String) -> NewCommand {
    NewCommand {
        message,
        jobs: vec![NewJob {
            key: "probe".into(),
            description: format!("Connect to {address} and detect its Lustre software and devices"),
            steps: vec![Action::ProbeHost { host_id: id }],
            locks: vec![(lustre::Item::Host(id).to_string(), true)],
            wait_for: Vec::new(),
        }],
    }
}

/// Adds a host; 409 if that address and port are already added, or if a
/// host removed from there presents another key than it had.
#[utoipa::path(
    post,
    path = "/api/host",
    tag = "host",
    request_body = HostRequest,
    responses(
        (status = 202, description = "The host is recorded and its probe submitted", body = Envelope<Added>,
            links(
                ("host" = (operation_id = "get_host_id", parameters(("id" = "$response.body#/response/host/id")))),
                ("change" = (operation_id = "patch_host_id",
                    parameters(("id" = "$response.body#/response/host/id")))),
                ("command" = (operation_id = "get_command_id",
                    parameters(("id" = "$response.body#/response/command")))),
            )),
        (status = 400, description = "The body is invalid", body = ErrorEnvelope),
        (status = 409, description = "That address and port are already added, or (`host_key_changed`) a host \
            added before there presents another host key: give its new `fingerprint` or `replace_key`",
            body = ErrorEnvelope),
    ),
)]
pub async fn handle(state: web::Data<AppState>, body: web::Json<HostRequest>) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    check_address(&request.address)?;
    let port = request.port.unwrap_or(22);
    if port == 0 {
        return Err(invalid("port", "must be between 1 and 65535"));
    }
    let fingerprint = match &request.fingerprint {
        Some(text) => Some(
            chroma_ssh::Fingerprint::parse(text)
                .map_err(|e| invalid("fingerprint", e.to_string()))?
                .as_str()
                .to_owned(),
        ),
        None if request.replace_key => None,
        None => key_of_removed(&state, &request.address, port).await?,
    };
    let id = Uuid::now_v7();
    let tx = state.db.begin().await?;
    // A removed host may be added again: it keeps its id, and the key
    // chosen above.
    let added = store::hosts::add(&tx, id, &request.address, port, fingerprint).await?;
    let Some(id) = added else {
        return Err(ApiError::Conflict(format!(
            "host {}:{port} is already added",
            request.address
        )));
    };
    let command = probe_command(id, &request.address, format!("Add host {}:{port}", request.address));
    let stored = store::commands::insert(&tx, &command).await?;
    tx.commit().await?;
    state.notify_scheduler(SchedulerMessage::CommandSubmitted { command_id: stored.id });
    let host = store::hosts::views(&state.db, store::hosts::HostSelection::Id(id))
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("host {id} vanished")))?;
    Ok(crate::respond::with_status(
        StatusCode::ACCEPTED,
        Added {
            host,
            command: stored.id,
        },
    ))
}

/// The command that probes the host again.
#[derive(Serialize, ToSchema)]
pub struct Probed {
    command: Uuid,
}

/// Probes a managed host again: its software, devices and pre-flight
/// checks, as when it was added (after installing what a failed check
/// asked for, or changing its storage).
#[utoipa::path(
    post,
    path = "/api/host/{id}/probe",
    tag = "host",
    params(("id" = Uuid, Path, description = "The host's id")),
    responses(
        (status = 202, description = "The probe is submitted: its command", body = Envelope<Probed>,
            links(("command" = (operation_id = "get_command_id",
                parameters(("id" = "$response.body#/response/command")))))),
        (status = 400, description = "The id is invalid", body = ErrorEnvelope),
        (status = 404, description = "No such host", body = ErrorEnvelope),
        (status = 409, description = "The host is removed: add it again instead", body = ErrorEnvelope),
    ),
)]
pub async fn probe(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = crate::routes::query::id(&path, "host")?;
    let host = store::hosts::views(&state.db, store::hosts::HostSelection::Id(id))
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("host {id} does not exist")))?;
    let label = host.nodename.clone().unwrap_or_else(|| host.address.clone());
    if host.state == "removed" {
        return Err(ApiError::Conflict(format!(
            "host {label} is removed: add it again (POST /api/host) instead"
        )));
    }
    let command = probe_command(id, &host.address, format!("Probe host {label} again"));
    let tx = state.db.begin().await?;
    let stored = store::commands::insert(&tx, &command).await?;
    tx.commit().await?;
    state.notify_scheduler(SchedulerMessage::CommandSubmitted { command_id: stored.id });
    Ok(crate::respond::with_status(
        StatusCode::ACCEPTED,
        Probed { command: stored.id },
    ))
}
