//! `POST /api/ha_cluster`: make servers that share storage one Pacemaker
//! cluster, and `POST /api/ha_cluster/{id}/configure`: run its setup again
//! (with new fencing, if given). Both submit the setup job: corosync
//! configured and started, Pacemaker started and its node names read,
//! properties and fencing set (see the worker's `ha::cluster`).

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use lustre::pacemaker::corosync_safe;
use lustre::submission::{FieldError, NewCommand, NewJob};
use lustre::Action;
use sea_orm::{DatabaseTransaction, TransactionTrait};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::id;
use crate::state::AppState;

/// Most members a cluster may have (Pacemaker supports 32 corosync nodes).
const MAX_MEMBERS: usize = 32;
/// Size of corosync's authkey, in bytes.
const AUTHKEY_BYTES: usize = 256;

/// Fencing: one device per member, disabled on purpose (test or
/// non-production clusters), or none yet (Pacemaker then starts nothing
/// until devices are given with `configure`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FencingRequest {
    /// `true`: run with `stonith-enabled=false` (alerted as unsafe).
    #[serde(default)]
    disabled: bool,
    /// The device that fences each member.
    #[serde(default)]
    devices: Vec<FenceDeviceRequest>,
}

/// The fence agent that powers one member off, with its parameters.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FenceDeviceRequest {
    host_id: Uuid,
    /// `fence_ipmilan`, `fence_redfish`, `fence_lustre_sim`, …
    #[schema(pattern = "^fence_[A-Za-z0-9_]{1,60}$")]
    agent: String,
    /// The agent's parameters, such as `{"ip": "10.0.1.12", "username": "admin", "password": "…"}`.
    #[serde(default)]
    params: BTreeMap<String, String>,
}

/// The request body of `POST /api/ha_cluster`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusterRequest {
    /// corosync's cluster name: 1 to 32 letters, digits, `-` or `_`.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,32}$")]
    name: String,
    /// Two or more managed servers with Pacemaker and corosync installed.
    #[schema(min_items = 2, max_items = 32)]
    host_ids: Vec<Uuid>,
    /// Each member's corosync ring address, by host id; default: the
    /// address Chroma reaches it on.
    #[serde(default)]
    ring0_addrs: BTreeMap<Uuid, String>,
    fencing: FencingRequest,
}

/// The request body of `POST /api/ha_cluster/{id}/configure`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigureRequest {
    /// New fencing; the stored one when absent.
    fencing: Option<FencingRequest>,
}

/// The cluster and the command that sets it up.
#[derive(Debug, Serialize, ToSchema)]
pub struct SetupSubmitted {
    cluster: super::ClusterView,
    command: Uuid,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// Checks fencing against the members: devices only for members, at most
/// one each, and, when any is given, one for every member.
fn check_fencing(fencing: &FencingRequest, members: &[Uuid], errors: &mut Vec<FieldError>) {
    if fencing.disabled && !fencing.devices.is_empty() {
        errors.push(invalid("fencing", "give devices or disabled, not both"));
    }
    for (i, d) in fencing.devices.iter().enumerate() {
        let field = format!("fencing.devices[{i}]");
        if !members.contains(&d.host_id) {
            errors.push(invalid(
                format!("{field}.host_id"),
                format!("host {} is not a member", d.host_id),
            ));
        }
        if fencing.devices[..i].iter().any(|o| o.host_id == d.host_id) {
            errors.push(invalid(format!("{field}.host_id"), "one fencing device per member"));
        }
        let agent_ok = d.agent.strip_prefix("fence_").is_some_and(|rest| {
            (1..=60).contains(&rest.len()) && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if !agent_ok {
            errors.push(invalid(
                format!("{field}.agent"),
                "a fence agent's name: fence_ and letters, digits or _",
            ));
        }
        for (k, v) in &d.params {
            let key_ok = !k.is_empty() && k.len() <= 64 && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !key_ok {
                errors.push(invalid(
                    format!("{field}.params"),
                    format!("parameter name {k:?}: letters, digits or _"),
                ));
            }
            if v.contains('\0') || v.len() > 1024 {
                errors.push(invalid(
                    format!("{field}.params.{k}"),
                    "at most 1024 characters, no NUL",
                ));
            }
        }
    }
    // No device at all is allowed (fencing configured later): Pacemaker
    // then starts nothing, the cluster is alerted, and file systems are
    // refused on it until devices are given.
    if !fencing.disabled && !fencing.devices.is_empty() {
        for (i, m) in members.iter().enumerate() {
            if !fencing.devices.iter().any(|d| d.host_id == *m) {
                errors.push(invalid(
                    "fencing.devices",
                    format!("member {m} (host_ids[{i}]) has no fencing device; give one per member"),
                ));
            }
        }
    }
}

/// Checks the members in the database: managed, HA stack installed, in no
/// other live cluster.
async fn check_members(tx: &DatabaseTransaction, ids: &[Uuid], errors: &mut Vec<FieldError>) -> Result<(), ApiError> {
    let found = store::ha::candidates(tx, ids).await?;
    for (i, host) in ids.iter().enumerate() {
        let field = format!("host_ids[{i}]");
        if ids[..i].contains(host) {
            errors.push(invalid(&field, "host named twice"));
            continue;
        }
        let Some(c) = found.iter().find(|c| c.host_id == *host) else {
            errors.push(invalid(&field, format!("no host {host}")));
            continue;
        };
        if c.state != "managed" {
            errors.push(invalid(&field, format!("host {host} is {}, not managed", c.state)));
        }
        for (tool, installed) in [("Pacemaker", c.pacemaker), ("corosync", c.corosync)] {
            if !installed {
                errors.push(invalid(&field, format!("host {host} has no {tool} installed (probed)")));
            }
        }
        if let Some(cluster) = &c.cluster {
            errors.push(invalid(
                &field,
                format!("host {host} is already a member of HA cluster {cluster}"),
            ));
        }
    }
    Ok(())
}

/// The setup command of cluster `id` (members locked for writing).
fn setup_command(id: Uuid, name: &str, members: &[Uuid]) -> NewCommand {
    let mut locks = vec![(lustre::Item::HaCluster(id).to_string(), true)];
    locks.extend(members.iter().map(|m| (lustre::Item::Host(*m).to_string(), true)));
    NewCommand {
        message: format!("Set up HA cluster {name}"),
        jobs: vec![NewJob {
            key: "setup".into(),
            description: format!("Configure corosync and Pacemaker on HA cluster {name}"),
            steps: vec![
                Action::ConfigureCorosync { cluster_id: id },
                Action::StartPacemaker { cluster_id: id },
                Action::ConfigurePacemaker { cluster_id: id },
            ],
            locks,
            wait_for: Vec::new(),
        }],
    }
}

/// Stores the command and answers 202 with the cluster.
async fn submit(
    state: &AppState,
    tx: DatabaseTransaction,
    id: Uuid,
    command: NewCommand,
) -> Result<HttpResponse, ApiError> {
    let stored = store::commands::insert(&tx, &command).await?;
    let cluster = store::ha::cluster_views(&tx, store::ha::ClusterSelection::Id(id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::NotFound(format!("no HA cluster {id}")))?;
    tx.commit().await?;
    state.notify_scheduler(wire::messages::SchedulerMessage::CommandSubmitted { command_id: stored.id });
    Ok(crate::respond::with_status(
        actix_web::http::StatusCode::ACCEPTED,
        SetupSubmitted {
            cluster,
            command: stored.id,
        },
    ))
}

fn fencing_json(fencing: &FencingRequest) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(fencing).map_err(|e| ApiError::Internal(e.into()))
}

/// Records a cluster of `host_ids` and submits its setup job; 400 naming
/// the field for a bad name, member or fencing, 409 when the name is taken.
#[utoipa::path(
    post,
    path = "/api/ha_cluster",
    tag = "ha_cluster",
    request_body = ClusterRequest,
    responses(
        (status = 202, description = "The cluster is recorded and its setup submitted", body = Envelope<SetupSubmitted>),
        (status = 400, description = "The body is invalid; nothing is stored", body = ErrorEnvelope),
        (status = 409, description = "A cluster of that name exists", body = ErrorEnvelope),
    ),
)]
pub async fn handle(state: web::Data<AppState>, body: web::Json<ClusterRequest>) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let mut errors = Vec::new();
    let name_ok = (1..=32).contains(&request.name.len())
        && request
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !name_ok {
        errors.push(invalid("name", "1 to 32 letters, digits, - or _"));
    }
    if !(2..=MAX_MEMBERS).contains(&request.host_ids.len()) {
        errors.push(invalid("host_ids", format!("2 to {MAX_MEMBERS} servers")));
    }
    for (host, addr) in &request.ring0_addrs {
        if !request.host_ids.contains(host) {
            errors.push(invalid(format!("ring0_addrs.{host}"), "not a member"));
        } else if !corosync_safe(addr) {
            errors.push(invalid(
                format!("ring0_addrs.{host}"),
                format!("{addr:?} is not an address"),
            ));
        }
    }
    check_fencing(&request.fencing, &request.host_ids, &mut errors);
    let tx = state.db.begin().await?;
    store::domain::lock_planning(&tx).await?;
    check_members(&tx, &request.host_ids, &mut errors).await?;
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if store::ha::name_taken(&tx, &request.name).await? {
        return Err(ApiError::Conflict(format!(
            "an HA cluster named {} exists",
            request.name
        )));
    }
    let id = Uuid::now_v7();
    let authkey: Vec<u8> = (0..AUTHKEY_BYTES).map(|_| rand::random::<u8>()).collect();
    store::ha::insert_cluster(&tx, id, &request.name, fencing_json(&request.fencing)?, authkey).await?;
    for host in &request.host_ids {
        store::ha::add_member(&tx, *host, id, request.ring0_addrs.get(host).cloned()).await?;
    }
    let command = setup_command(id, &request.name, &request.host_ids);
    submit(&state, tx, id, command).await
}

/// Runs cluster `{id}`'s setup again, with new fencing if given (for
/// example devices for a cluster that had none).
#[utoipa::path(
    post,
    path = "/api/ha_cluster/{id}/configure",
    tag = "ha_cluster",
    params(("id" = Uuid, Path, description = "The cluster's id")),
    request_body = ConfigureRequest,
    responses(
        (status = 202, description = "Its setup is submitted", body = Envelope<SetupSubmitted>),
        (status = 400, description = "The id or fencing is invalid; nothing is stored", body = ErrorEnvelope),
        (status = 404, description = "No such cluster", body = ErrorEnvelope),
    ),
)]
pub async fn configure(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<ConfigureRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "HA cluster")?;
    let request = body.into_inner();
    let tx = state.db.begin().await?;
    store::domain::lock_planning(&tx).await?;
    let name = store::ha::live_name(&tx, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no HA cluster {id}")))?;
    let members: Vec<Uuid> = store::ha::cluster_members(&tx, id)
        .await?
        .into_iter()
        .map(|m| m.host_id)
        .collect();
    if let Some(fencing) = &request.fencing {
        let mut errors = Vec::new();
        check_fencing(fencing, &members, &mut errors);
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        store::ha::set_fencing(&tx, id, fencing_json(fencing)?).await?;
    }
    let command = setup_command(id, &name, &members);
    submit(&state, tx, id, command).await
}
