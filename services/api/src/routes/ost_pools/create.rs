//! `POST /api/ost_pool[?dry_run=true] {"filesystem_id", "name", "ost_ids"}`:
//! a new pool (`lctl pool_new`, `pool_add` on the MGS).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use api_types::ost_pools::{NewOstPool, OstPoolCreated};
use lustre::plan::{check_pool_name, Goal, PoolFacts};
use lustre::submission::FieldError;
use sea_orm::TransactionTrait;
use uuid::Uuid;
use wire::messages::SchedulerMessage;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{submit, DryRun, Submit};
use crate::state::AppState;

/// Stores the pool (`new`) and plans its creation.
#[utoipa::path(
    post,
    path = "/api/ost_pool",
    tag = "ost_pool",
    params(DryRun),
    request_body = NewOstPool,
    responses(
        (status = 200, description = "A dry run: the job it would take", body = Envelope<OstPoolCreated>),
        (status = 202, description = "The pool and its command", body = Envelope<OstPoolCreated>),
        (status = 400, description = "The name, the file system or an OST is refused", body = ErrorEnvelope),
        (status = 409, description = "The file system has a pool of that name, is not running, or has unfinished work", body = ErrorEnvelope),
    ),
)]
pub async fn handle(
    state: web::Data<AppState>,
    query: web::Query<DryRun>,
    body: web::Json<NewOstPool>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let mut errors = Vec::new();
    if let Err(message) = check_pool_name(&request.name) {
        errors.push(FieldError {
            field: "name".into(),
            message,
        });
    }
    let tx = state.db.begin().await?;
    store::domain::lock_planning(&tx).await?;
    let fs = store::filesystems::views(&tx, store::filesystems::FilesystemSelection::Id(request.filesystem_id))
        .await?
        .into_iter()
        .next();
    match &fs {
        None => errors.push(FieldError {
            field: "filesystem_id".into(),
            message: format!("no file system has id {}", request.filesystem_id),
        }),
        Some(fs) if fs.state == "removed" => errors.push(FieldError {
            field: "filesystem_id".into(),
            message: format!("file system {} is removed", fs.name),
        }),
        Some(_) => super::check_osts(&tx, request.filesystem_id, &request.ost_ids, &mut errors).await?,
    }
    let Some(fs) = fs.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    if store::ost_pools::name_taken(&tx, fs.id, &request.name).await? {
        return Err(ApiError::Conflict(format!(
            "name: file system {} already has a pool named {}",
            fs.name, request.name
        )));
    }
    let id = Uuid::now_v7();
    store::ost_pools::insert(&tx, id, fs.id, &request.name).await?;
    let pool = PoolFacts {
        id,
        filesystem_id: fs.id,
        name: request.name.clone(),
        state: "new".into(),
        member_ids: Vec::new(),
    };
    let planned = submit(Submit {
        goal: Goal::CreatePool {
            pool,
            ost_ids: request.ost_ids,
        },
        message: format!("Create OST pool {}.{}", fs.name, request.name),
        dry_run: query.dry_run,
        confirmed: false,
        tx: &tx,
    })
    .await?;
    let pool = if planned.dry_run {
        None
    } else {
        Some(super::load_one(&tx, id).await?)
    };
    if planned.dry_run {
        // Nothing is stored.
        tx.rollback().await?;
        return Ok(crate::respond::ok(OstPoolCreated { pool, planned }));
    }
    tx.commit().await?;
    if let Some(command_id) = planned.command {
        state.notify_scheduler(SchedulerMessage::CommandSubmitted { command_id });
    }
    Ok(crate::respond::with_status(
        StatusCode::ACCEPTED,
        OstPoolCreated { pool, planned },
    ))
}
