//! `POST /api/quota[?dry_run=true]` (set one id's limits) and `DELETE
//! /api/quota/{id}[?dry_run=true]` (clear them: every limit 0).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use api_types::planning::Planned;
use api_types::quotas::{NewQuota, QuotaChanged};
use lustre::plan::Goal;
use lustre::submission::FieldError;
use sea_orm::TransactionTrait;
use wire::messages::SchedulerMessage;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{change, submit, DryRun, Submit};
use crate::routes::query::id;
use crate::state::AppState;

fn field(errors: &mut Vec<FieldError>, name: &str, message: String) {
    errors.push(FieldError {
        field: name.into(),
        message,
    });
}

/// The request's own checks: kind, id, the limits given.
fn check(request: &NewQuota) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if lustre::quota::kind_flag(&request.kind).is_none() {
        field(
            &mut errors,
            "kind",
            format!("{:?} is not a quota kind: user, group or project", request.kind),
        );
    }
    if !(1..=4_294_967_294).contains(&request.id) {
        field(
            &mut errors,
            "id",
            format!(
                "{} is not a uid, gid or project id Chroma limits (1 to 4294967294; root cannot be limited)",
                request.id
            ),
        );
    }
    for (name, value) in [
        ("block_soft", request.block_soft),
        ("block_hard", request.block_hard),
        ("inode_soft", request.inode_soft),
        ("inode_hard", request.inode_hard),
    ] {
        if let Some(value) = value.filter(|v| *v < 0) {
            field(&mut errors, name, format!("must not be negative (it is {value})"));
        }
    }
    errors
}

/// The limits to set: those given, the others as `kept` (the id's live
/// quota, or none).
fn merged(request: &NewQuota, kept: store::quotas::Limits) -> store::quotas::Limits {
    store::quotas::Limits {
        block_soft: request.block_soft.unwrap_or(kept.block_soft),
        block_hard: request.block_hard.unwrap_or(kept.block_hard),
        inode_soft: request.inode_soft.unwrap_or(kept.inode_soft),
        inode_hard: request.inode_hard.unwrap_or(kept.inode_hard),
    }
}

/// The checks of the limits as they would be set.
fn check_limits(limits: &store::quotas::Limits) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if limits.block_hard > 0 && limits.block_soft > limits.block_hard {
        field(
            &mut errors,
            "block_soft",
            format!(
                "the soft limit ({} KiB) is above the hard limit ({} KiB)",
                limits.block_soft, limits.block_hard
            ),
        );
    }
    if limits.inode_hard > 0 && limits.inode_soft > limits.inode_hard {
        field(
            &mut errors,
            "inode_soft",
            format!(
                "the soft limit ({}) is above the hard limit ({})",
                limits.inode_soft, limits.inode_hard
            ),
        );
    }
    if errors.is_empty() && *limits == store::quotas::Limits::default() {
        field(
            &mut errors,
            "block_hard",
            "at least one limit must be set (DELETE /api/quota/{id} clears them)".into(),
        );
    }
    errors
}

/// Stores the limits and plans `lfs setquota` on a mounted client mount.
#[utoipa::path(
    post,
    path = "/api/quota",
    tag = "quota",
    params(DryRun),
    request_body = NewQuota,
    responses(
        (status = 200, description = "A dry run: the job it would take", body = Envelope<QuotaChanged>),
        (status = 202, description = "The quota and its command", body = Envelope<QuotaChanged>),
        (status = 400, description = "The kind, id, a limit or the file system is refused", body = ErrorEnvelope),
        (status = 409, description = "The file system does not enforce that quota type, has no mounted client mount, is not running, or work is unfinished", body = ErrorEnvelope),
    ),
)]
pub async fn handle(
    state: web::Data<AppState>,
    query: web::Query<DryRun>,
    body: web::Json<NewQuota>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let mut errors = check(&request);
    let tx = state.db.begin().await?;
    store::domain::lock_planning(&tx).await?;
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
    let live = store::quotas::views(
        &tx,
        store::quotas::Selection {
            filesystem_id: Some(fs.id),
            ..store::quotas::Selection::default()
        },
    )
    .await?
    .into_iter()
    .find(|q| q.kind == request.kind && q.qid == request.id);
    let kept = live.map_or_else(store::quotas::Limits::default, |q| store::quotas::Limits {
        block_soft: q.block_soft,
        block_hard: q.block_hard,
        inode_soft: q.inode_soft,
        inode_hard: q.inode_hard,
    });
    let limits = merged(&request, kept);
    let errors = check_limits(&limits);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (ost, mdt) = store::quotas::enforcement(&tx, fs.id)
        .await?
        .unwrap_or_else(|| ("none".into(), "none".into()));
    let letter = match request.kind.as_str() {
        "user" => 'u',
        "group" => 'g',
        _ => 'p',
    };
    let enforces = |setting: &str| setting != "none" && setting.contains(letter);
    let given = |v: Option<i64>| v.unwrap_or(0) > 0;
    let blocks = given(request.block_soft) || given(request.block_hard);
    let inodes = given(request.inode_soft) || given(request.inode_hard);
    if (blocks && !enforces(&ost)) || (inodes && !enforces(&mdt)) {
        return Err(ApiError::Conflict(format!(
            "filesystem_id: file system {} does not enforce {} quotas (ost={ost}, mdt={mdt}); enable them with PUT /api/filesystem/{}/quota",
            fs.name, request.kind, fs.id
        )));
    }
    let client = super::client_of(&tx, fs.id, &fs.name).await?;
    let quota_id = store::quotas::store_limits(&tx, fs.id, &request.kind, request.id, limits).await?;
    let view = super::load_one(&tx, quota_id).await?;
    let planned = submit(Submit {
        goal: Goal::Quota {
            quota: super::facts(&view, client),
            clear: false,
        },
        message: format!("Set the quota of {} {} on {}", request.kind, request.id, fs.name),
        dry_run: query.dry_run,
        confirmed: false,
        tx: &tx,
    })
    .await?;
    if planned.dry_run {
        tx.rollback().await?;
        return Ok(crate::respond::ok(QuotaChanged { quota: None, planned }));
    }
    tx.commit().await?;
    if let Some(command_id) = planned.command {
        state.notify_scheduler(SchedulerMessage::CommandSubmitted { command_id });
    }
    Ok(crate::respond::with_status(
        StatusCode::ACCEPTED,
        QuotaChanged {
            quota: Some(view),
            planned,
        },
    ))
}

/// Plans clearing a quota's limits (`lfs setquota` with every limit 0).
#[utoipa::path(
    delete,
    path = "/api/quota/{id}",
    tag = "quota",
    params(("id" = Uuid, Path, description = "The quota's id"), DryRun),
    responses(
        (status = 200, description = "A dry run: the job it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored", body = Envelope<Planned>),
        (status = 400, description = "The quota is removed already", body = ErrorEnvelope),
        (status = 404, description = "No such quota", body = ErrorEnvelope),
        (status = 409, description = "No mounted client mount, the file system is not running, or work is unfinished", body = ErrorEnvelope),
    ),
)]
pub async fn delete(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
) -> Result<HttpResponse, ApiError> {
    let quota_id = id(&path, "quota")?;
    let view = super::load_one(&state.db, quota_id).await?;
    let client = super::client_of(&state.db, view.filesystem_id, &view.filesystem_name).await?;
    let message = format!(
        "Clear the quota of {} {} on {}",
        view.kind, view.qid, view.filesystem_name
    );
    let goal = Goal::Quota {
        quota: super::facts(&view, client),
        clear: true,
    };
    change(&state, goal, message, query.dry_run, false).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn request(kind: &str, id: i64, limits: [i64; 4]) -> NewQuota {
        NewQuota {
            filesystem_id: Uuid::nil(),
            kind: kind.into(),
            id,
            block_soft: Some(limits[0]),
            block_hard: Some(limits[1]),
            inode_soft: Some(limits[2]),
            inode_hard: Some(limits[3]),
        }
    }

    fn fields(r: &NewQuota) -> Vec<String> {
        let mut errors = check(r);
        if errors.is_empty() {
            errors = check_limits(&merged(r, store::quotas::Limits::default()));
        }
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn requests_name_the_field_at_fault() {
        assert!(fields(&request("user", 1000, [10, 20, 0, 0])).is_empty());
        assert_eq!(fields(&request("owner", 1000, [10, 20, 0, 0])), ["kind"]);
        assert_eq!(fields(&request("user", 0, [10, 20, 0, 0])), ["id"]);
        assert_eq!(fields(&request("user", 4_294_967_295, [10, 20, 0, 0])), ["id"]);
        assert_eq!(fields(&request("group", 5, [30, 20, 0, 0])), ["block_soft"]);
        assert_eq!(fields(&request("group", 5, [0, 0, 9, 3])), ["inode_soft"]);
        assert_eq!(fields(&request("project", 5, [-1, 0, 0, 0])), ["block_soft"]);
        assert_eq!(fields(&request("project", 5, [0, 0, 0, 0])), ["block_hard"]);
    }

    #[test]
    fn limits_not_given_keep_their_value() {
        let only_soft = NewQuota {
            block_hard: None,
            inode_soft: None,
            inode_hard: None,
            ..request("user", 1000, [10, 0, 0, 0])
        };
        let kept = store::quotas::Limits {
            block_soft: 5,
            block_hard: 20,
            inode_soft: 100,
            inode_hard: 200,
        };
        assert_eq!(
            merged(&only_soft, kept),
            store::quotas::Limits { block_soft: 10, ..kept }
        );
        // A soft limit above the hard one kept is refused.
        let above = NewQuota {
            block_soft: Some(30),
            ..only_soft
        };
        assert_eq!(
            check_limits(&merged(&above, kept))
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>(),
            ["block_soft"]
        );
    }
}
