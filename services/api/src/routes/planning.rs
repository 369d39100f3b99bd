//! Turning a goal into a command: plan it from a snapshot read under the
//! planning lock, answer a dry run with the jobs it would create, refuse
//! plans that need confirmation unless confirmed or that touch objects with
//! unfinished work, and store the command in the caller's transaction.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
pub use api_types::planning::Planned;
use api_types::planning::PlannedJob;
use lustre::plan::{Goal, Plan};
use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use uuid::Uuid;
use wire::messages::SchedulerMessage;

use crate::error::ApiError;
use crate::state::AppState;

/// `?dry_run=true`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DryRun {
    /// Answer the jobs it would take, and change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// How to submit a goal.
pub struct Submit<'a> {
    pub goal: Goal,
    pub message: String,
    pub dry_run: bool,
    pub confirmed: bool,
    /// The transaction, holding the planning lock.
    pub tx: &'a DatabaseTransaction,
}

/// Plans `goal` in `tx` (which must hold the planning lock) and, unless a
/// dry run, stores its command. The caller commits.
pub async fn submit(request: Submit<'_>) -> Result<Planned, ApiError> {
    let snapshot = store::domain::snapshot(request.tx).await?;
    let plan = Plan::new(&snapshot, &request.goal)?;
    let confirmations = plan.confirmations().join("; ");
    let requires_confirmation = !confirmations.is_empty();
    if !request.dry_run {
        // A plan relies on the objects it reads as much as on those it
        // changes: unfinished work on any of them makes it stale.
        let mut items = plan.locked_items();
        items.extend(request.goal.items(&snapshot));
        let busy = store::domain::unfinished_work(request.tx, items).await?;
        if let Some((item, description, command)) = busy.first() {
            return Err(ApiError::Conflict(format!(
                "{item} has unfinished work (\"{description}\" in command {command}); wait for it or cancel it"
            )));
        }
    }
    if request.dry_run || plan.jobs.is_empty() {
        return Ok(Planned {
            command: None,
            dry_run: request.dry_run,
            requires_confirmation,
            jobs: plan.jobs.into_iter().map(PlannedJob::from).collect(),
        });
    }
    if requires_confirmation && !request.confirmed {
        return Err(ApiError::ConfirmationRequired(format!(
            "this request also changes other objects ({confirmations}); send it again with \"confirm\": true"
        )));
    }
    let jobs = plan.jobs.clone();
    let command = plan.into_command(request.message);
    let stored = store::commands::insert(request.tx, &command).await?;
    Ok(Planned {
        command: Some(stored.id),
        dry_run: false,
        requires_confirmation,
        jobs: jobs.into_iter().map(PlannedJob::from).collect(),
    })
}

/// The response to a submitted plan: 202 with a command, 200 otherwise.
pub fn respond(state: &AppState, planned: Planned) -> HttpResponse {
    respond_with(state, planned.command, planned)
}

/// `body` as the answer to a plan that stored `command`: 202 once the
/// scheduler is told of it, 200 when there is none (a dry run, or nothing
/// to do).
fn respond_with<B: Serialize>(state: &AppState, command: Option<Uuid>, body: B) -> HttpResponse {
    match command {
        Some(command_id) => {
            state.notify_scheduler(SchedulerMessage::CommandSubmitted { command_id });
            crate::respond::with_status(StatusCode::ACCEPTED, body)
        }
        None => crate::respond::ok(body),
    }
}

/// Ends a request that recorded a new object in `tx` and planned its
/// creation: commits unless a dry run (which stores nothing), then answers
/// with `body(planned)` (the plan and the object read back, none for a dry
/// run) as [`respond`] does.
pub async fn respond_created<B: Serialize>(
    state: &AppState,
    tx: DatabaseTransaction,
    planned: Planned,
    body: impl FnOnce(Planned) -> B,
) -> Result<HttpResponse, ApiError> {
    if !planned.dry_run {
        tx.commit().await?;
    }
    let command = planned.command;
    Ok(respond_with(state, command, body(planned)))
}

/// Plans and submits a goal about existing objects, in its own transaction.
pub async fn change(
    state: &AppState,
    goal: Goal,
    message: String,
    dry_run: bool,
    confirmed: bool,
) -> Result<HttpResponse, ApiError> {
    use sea_orm::TransactionTrait;
    let tx = state.db.begin().await?;
    store::domain::lock_planning(&tx).await?;
    let planned = submit(Submit {
        goal,
        message,
        dry_run,
        confirmed,
        tx: &tx,
    })
    .await?;
    if planned.command.is_some() {
        tx.commit().await?;
    }
    Ok(respond(state, planned))
}
