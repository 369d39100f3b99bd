//! Persistent parameters (`lctl conf_param`) of a file system and of its
//! targets.
//!
//! - `GET /api/param`: the parameters Chroma knows (type, range, unit, where
//!   they apply).
//! - `GET /api/filesystem/{id}/params`: every parameter Chroma stores or the
//!   MGS configuration log holds, with the live value a server shows, and
//!   the drift between the three.
//! - `PUT /api/filesystem/{id}/params {"params": {KEY: VALUE}, "force"?,
//!   "confirm"?}[?dry_run=true]`: validate, store and apply through a job on
//!   the MGS (`PUT …/conf_params {"conf_params": …}` is the same).
//! - `POST /api/filesystem/{id}/params/adopt {"keys": […]}`: take the values
//!   the configuration log holds as Chroma's (the other way of resolving
//!   drift is to `PUT` Chroma's value again).
//! - `GET|PUT /api/target/{id}/params`: the same for one MDT or OST, with
//!   keys given without the target's name (`ost.sync_journal`).
//!
//! Two kinds of change are a superuser's alone, because they run a program
//! as root on the servers: naming a program in an upcall parameter
//! (`mdt.identity_upcall=/path`; `NONE` is anyone's), and forcing a
//! parameter Chroma does not know (it may be any upcall or a path).

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use lustre::plan::Goal;
use lustre::submission::FieldError;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::respond::ok;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{respond, submit, DryRun, Planned, Submit};
use crate::routes::query::id;
use crate::state::AppState;

/// The body of a change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParamsRequest {
    /// At least one parameter: `{"sys.timeout": "40"}`, or for one target
    /// `{"fs1-OST0000.ost.sync_journal": "1"}` (on a target's own route,
    /// without the target's name).
    #[serde(alias = "conf_params")]
    params: BTreeMap<String, String>,
    /// Store a parameter Chroma does not know (still checked for form);
    /// superusers only.
    #[serde(default)]
    force: bool,
    /// Go ahead although it changes objects the request did not name.
    #[serde(default)]
    confirm: bool,
}

/// One parameter as Chroma, the MGS and the servers see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParamView {
    /// `sys.timeout`, `fs1-OST0000.ost.sync_journal`.
    pub key: String,
    /// The value Chroma stores and applies.
    pub stored: Option<String>,
    /// The value the MGS configuration log holds, as last read.
    pub llog: Option<String>,
    /// The value a server shows (`lctl get_param`); none for client-side
    /// parameters, which servers cannot read.
    pub live: Option<String>,
    /// When the log and live value were read; none if never.
    pub observed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// `stored_vs_llog`: Chroma and the MGS disagree (set outside Chroma,
    /// or not applied yet); `llog_vs_live`: a server runs another value
    /// (a temporary `lctl set_param`). Empty when they agree.
    pub drift: Vec<&'static str>,
    /// The parameter is in Chroma's table (see `GET /api/param`).
    pub known: bool,
    /// Its entry in that table.
    #[schema(value_type = Option<Object>)]
    pub spec: Option<serde_json::Value>,
}

/// Parameters Chroma knows.
#[utoipa::path(
    get,
    path = "/api/param",
    tag = "filesystem",
    responses((status = 200, description = "Every known parameter", body = Envelope<Vec<Object>>)),
)]
pub async fn known() -> Result<HttpResponse, ApiError> {
    let specs = serde_json::to_value(lustre::params::known()).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(ok(specs))
}

/// A file system's parameters and their drift.
#[utoipa::path(
    get,
    path = "/api/filesystem/{id}/params",
    tag = "filesystem",
    params(("id" = Uuid, Path, description = "The file system's id")),
    responses(
        (status = 200, description = "Its parameters, by key", body = Envelope<Vec<ParamView>>),
        (status = 400, description = "The id is invalid", body = ErrorEnvelope),
        (status = 404, description = "No such file system", body = ErrorEnvelope),
    ),
)]
pub async fn list(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let fs_id = id(&path, "file system")?;
    let fs = super::load_one(&state.db, fs_id).await?;
    Ok(ok(views(&state, fs_id, &fs.name, &fs.conf_params, None).await?))
}

/// One target's own parameters and their drift.
#[utoipa::path(
    get,
    path = "/api/target/{id}/params",
    tag = "target",
    params(("id" = Uuid, Path, description = "The target's id")),
    responses(
        (status = 200, description = "Its parameters, by key", body = Envelope<Vec<ParamView>>),
        (status = 400, description = "The id is invalid, or the target has no file system", body = ErrorEnvelope),
        (status = 404, description = "No such target", body = ErrorEnvelope),
    ),
)]
pub async fn list_for_target(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (fs_id, target) = target_of(&state, &path).await?;
    let fs = super::load_one(&state.db, fs_id).await?;
    Ok(ok(views(&state, fs_id, &fs.name, &fs.conf_params, Some(&target)).await?))
}

async fn views(
    state: &AppState,
    fs_id: Uuid,
    fsname: &str,
    stored: &serde_json::Value,
    only_target: Option<&str>,
) -> Result<Vec<ParamView>, ApiError> {
    let stored: BTreeMap<String, String> = stored
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                .collect()
        })
        .unwrap_or_default();
    let mut observed = BTreeMap::new();
    for o in store::params::observations(&state.db, fs_id).await? {
        observed.insert(o.key, (o.llog_value, o.live_value, o.observed_at));
    }
    let keys: BTreeSet<&String> = stored.keys().chain(observed.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        let target = lustre::llog::key_target(fsname, key);
        if only_target.is_some() && target != only_target {
            continue;
        }
        let (llog, live, at) = observed
            .get(key)
            .cloned()
            .map_or((None, None, None), |(l, v, a)| (l, v, Some(a)));
        let mut stored = stored.get(key).cloned();
        // Removing an OST deactivates it for good: Chroma's own setting
        // (`FS-OSTxxxx.osc.active`, and its copy in each MDT's log,
        // `FS-OSTxxxx-osc-MDTyyyy.osc.active`).
        let deactivated = key
            .strip_suffix(".osc.active")
            .map(|d| d.split_once("-osc-").map_or(d, |(ost, _)| ost));
        if let Some(ost) = deactivated.filter(|_| stored.is_none()) {
            if store::targets::removed_from_filesystem(&state.db, fs_id, ost).await? {
                stored = Some("0".to_owned());
            }
        }
        let mut drift = Vec::new();
        if at.is_some() && stored != llog {
            drift.push("stored_vs_llog");
        }
        if let (Some(l), Some(v)) = (&llog, &live) {
            if l != v {
                drift.push("llog_vs_live");
            }
        }
        let spec = lustre::params::lookup(fsname, key).ok().map(|l| l.spec);
        out.push(ParamView {
            key: key.clone(),
            stored,
            llog,
            live,
            observed_at: at,
            drift,
            known: spec.is_some(),
            spec: spec.and_then(|s| serde_json::to_value(s).ok()),
        });
    }
    Ok(out)
}

/// Stores and applies parameters of a file system.
#[utoipa::path(
    put,
    path = "/api/filesystem/{id}/params",
    tag = "filesystem",
    params(("id" = Uuid, Path, description = "The file system's id"), DryRun),
    request_body = ParamsRequest,
    responses(
        (status = 200, description = "A dry run, or nothing to do: the jobs it would take", body = Envelope<Planned>),
        (status = 202, description = "The parameters are stored and their application submitted",
            body = Envelope<Planned>),
        (status = 400, description = "The id or a parameter is invalid; nothing was stored", body = ErrorEnvelope),
        (status = 403, description = "An upcall program or a forced unknown parameter, by a caller who is not a superuser",
            body = ErrorEnvelope),
        (status = 404, description = "No such file system", body = ErrorEnvelope),
        (status = 409, description = "Unfinished work on the objects it touches, or `confirm` is needed",
            body = ErrorEnvelope),
    ),
)]
pub async fn put(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<ParamsRequest>,
) -> Result<HttpResponse, ApiError> {
    let fs_id = id(&path, "file system")?;
    set(&state, &caller, fs_id, None, body.into_inner(), query.dry_run).await
}

/// The same as `PUT /api/filesystem/{id}/params`, with the body's
/// parameters under `conf_params`.
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
        (status = 400, description = "The id or a parameter is invalid; nothing was stored", body = ErrorEnvelope),
        (status = 403, description = "An upcall program or a forced unknown parameter, by a caller who is not a superuser",
            body = ErrorEnvelope),
        (status = 404, description = "No such file system", body = ErrorEnvelope),
        (status = 409, description = "Unfinished work on the objects it touches, or `confirm` is needed",
            body = ErrorEnvelope),
    ),
)]
pub async fn put_conf_params(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<ParamsRequest>,
) -> Result<HttpResponse, ApiError> {
    put(state, caller, path, query, body).await
}

/// Stores and applies parameters of one MDT or OST.
#[utoipa::path(
    put,
    path = "/api/target/{id}/params",
    tag = "target",
    params(("id" = Uuid, Path, description = "The target's id"), DryRun),
    request_body = ParamsRequest,
    responses(
        (status = 200, description = "A dry run, or nothing to do: the jobs it would take", body = Envelope<Planned>),
        (status = 202, description = "The parameters are stored and their application submitted",
            body = Envelope<Planned>),
        (status = 400, description = "The id or a parameter is invalid; nothing was stored", body = ErrorEnvelope),
        (status = 403, description = "An upcall program or a forced unknown parameter, by a caller who is not a superuser",
            body = ErrorEnvelope),
        (status = 404, description = "No such target", body = ErrorEnvelope),
        (status = 409, description = "Unfinished work on the objects it touches, or `confirm` is needed",
            body = ErrorEnvelope),
    ),
)]
pub async fn put_for_target(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<ParamsRequest>,
) -> Result<HttpResponse, ApiError> {
    let (fs_id, target) = target_of(&state, &path).await?;
    set(&state, &caller, fs_id, Some(&target), body.into_inner(), query.dry_run).await
}

/// The file system and name of the target `path` names.
async fn target_of(state: &AppState, path: &str) -> Result<(Uuid, String), ApiError> {
    let target_id = id(path, "target")?;
    let target = store::targets::name_and_filesystem(&state.db, target_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("target {target_id} does not exist")))?;
    let name = target.name;
    let fs_id = target.filesystem_id.ok_or_else(|| {
        ApiError::bad(
            "invalid_target",
            format!("{name} is a management target; its parameters belong to the file systems it serves"),
            Some("id"),
        )
    })?;
    Ok((fs_id, name))
}

/// Why setting `key` to `value` (as validated) runs a program as root on
/// a server, if it does: a superuser's change alone.
fn runs_a_program(key: &str, value: &str, spec: Option<&lustre::params::ParamSpec>) -> Option<String> {
    use lustre::params::{TextFormat, ValueKind};
    match spec {
        None => Some(format!(
            "{key} is not a parameter Chroma knows; forcing one may name any program the servers run as root"
        )),
        Some(spec) => match spec.kind {
            ValueKind::Text {
                format: TextFormat::UpcallPath,
                ..
            } if value != "NONE" => Some(format!("{key}={value} names a program the servers run as root")),
            _ => None,
        },
    }
}

async fn set(
    state: &AppState,
    caller: &Caller,
    fs_id: Uuid,
    target: Option<&str>,
    request: ParamsRequest,
    dry_run: bool,
) -> Result<HttpResponse, ApiError> {
    let fs = super::load_one(&state.db, fs_id).await?;
    let names: BTreeSet<&str> = fs.targets.iter().map(|t| t.name.as_str()).collect();
    let mut errors = Vec::new();
    if request.params.is_empty() {
        errors.push(FieldError {
            field: "params".into(),
            message: "give at least one parameter".into(),
        });
    }
    let mut values = serde_json::Map::new();
    let mut privileged = Vec::new();
    for (given, value) in &request.params {
        let key = target.map_or_else(|| given.clone(), |t| format!("{t}.{given}"));
        let field = format!("params.{given}");
        match lustre::params::validate(&fs.name, &key, value, request.force) {
            Ok(v) => match v.target.as_ref().filter(|t| !names.contains(t.name.as_str())) {
                Some(t) => errors.push(FieldError {
                    field,
                    message: format!("{} is not a target of {}", t.name, fs.name),
                }),
                None => {
                    privileged.extend(runs_a_program(&v.key, &v.value, v.spec));
                    values.insert(v.key, serde_json::Value::String(v.value));
                }
            },
            Err(e) => errors.push(FieldError {
                field,
                message: e.to_string(),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if caller.role < Role::Superuser && !privileged.is_empty() {
        return Err(ApiError::Forbidden(format!(
            "{} is {}; only a superuser may set this: {}",
            caller.user.username,
            caller.role.as_str(),
            privileged.join("; ")
        )));
    }
    let keys: Vec<String> = values.keys().cloned().collect();
    let tx = state.db.begin().await?;
    store::domain::lock_planning(&tx).await?;
    store::params::store_values(&tx, fs_id, serde_json::Value::Object(values)).await?;
    let planned = submit(Submit {
        goal: Goal::ApplyConfParams(fs_id),
        message: format!("Set {} on {}", keys.join(", "), fs.name),
        dry_run,
        confirmed: request.confirm,
        tx: &tx,
    })
    .await?;
    if planned.command.is_some() {
        tx.commit().await?;
    }
    Ok(respond(state, planned))
}

/// The body of an adoption.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdoptRequest {
    /// Keys to take from the configuration log; all that differ if empty.
    #[serde(default)]
    keys: Vec<String>,
}

/// Takes the values the MGS configuration log holds as Chroma's own; a key
/// the log does not hold is no longer stored. Nothing runs on a server.
#[utoipa::path(
    post,
    path = "/api/filesystem/{id}/params/adopt",
    tag = "filesystem",
    params(("id" = Uuid, Path, description = "The file system's id")),
    request_body = AdoptRequest,
    responses(
        (status = 200, description = "The parameters after adoption", body = Envelope<Vec<ParamView>>),
        (status = 400, description = "The id is invalid, or a key was never read from the log", body = ErrorEnvelope),
        (status = 404, description = "No such file system", body = ErrorEnvelope),
        (status = 409, description = "A change of the file system is still running", body = ErrorEnvelope),
    ),
)]
pub async fn adopt(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<AdoptRequest>,
) -> Result<HttpResponse, ApiError> {
    let fs_id = id(&path, "file system")?;
    let request = body.into_inner();
    // Under the planning lock, and not while a change of parameters is on
    // its way: adopting would overwrite what that job is about to apply.
    let tx = state.db.begin().await?;
    store::domain::lock_planning(&tx).await?;
    let pending = store::domain::unfinished_work(&tx, vec![lustre::Item::Filesystem(fs_id).to_string()]).await?;
    if let Some((_, description, command)) = pending.first() {
        return Err(ApiError::Conflict(format!(
            "{description} (command {command}) has not finished; adopt the log's values once it has"
        )));
    }
    let fs = super::load_one(&tx, fs_id).await?;
    let current = views(&state, fs_id, &fs.name, &fs.conf_params, None).await?;
    let mut errors = Vec::new();
    for key in &request.keys {
        if !current.iter().any(|p| &p.key == key && p.observed_at.is_some()) {
            errors.push(FieldError {
                field: format!("keys.{key}"),
                message: format!("{key} has not been read from the configuration log of {}", fs.name),
            });
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let chosen = current.iter().filter(|p| {
        p.observed_at.is_some()
            && p.drift.contains(&"stored_vs_llog")
            && (request.keys.is_empty() || request.keys.contains(&p.key))
    });
    let (mut set, mut unset) = (serde_json::Map::new(), Vec::new());
    for p in chosen {
        match &p.llog {
            Some(value) => {
                set.insert(p.key.clone(), serde_json::Value::String(value.clone()));
            }
            None => unset.push(p.key.clone()),
        }
    }
    store::params::replace_values(&tx, fs_id, serde_json::Value::Object(set), unset).await?;
    tx.commit().await?;
    let fs = super::load_one(&state.db, fs_id).await?;
    Ok(ok(views(&state, fs_id, &fs.name, &fs.conf_params, None).await?))
}
