//! State transitions users ask for (cancel, pause, resume) and the ones the
//! scheduler shares with them (cancelling dependents, finishing commands).
//! Each runs inside the caller's transaction.

use lustre::{CommandState, JobState};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use uuid::Uuid;

use crate::sql::{execute, query, transact, MaybeDbErr};

/// Why a transition was refused.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("{kind} {id} does not exist")]
    NotFound { kind: &'static str, id: Uuid },
    #[error("{kind} {id} is {state}; cannot {verb} it")]
    Conflict {
        kind: &'static str,
        id: Uuid,
        state: String,
        verb: &'static str,
    },
    #[error(transparent)]
    Db(#[from] DbErr),
}

const UNFINISHED: &str = "('pending', 'waiting', 'running', 'paused')";

async fn locked_state(tx: &impl ConnectionTrait, table: &'static str, id: Uuid) -> Result<String, ControlError> {
    let rows = query(
        tx,
        &format!("SELECT state FROM {table} WHERE id = $1 FOR UPDATE"),
        [id.into()],
    )
    .await?;
    match rows.first() {
        None => Err(ControlError::NotFound { kind: table, id }),
        Some(row) => Ok(row.try_get("", "state")?),
    }
}

/// Cancels the jobs in `ids` and every unfinished job that waits on them,
/// directly or not, with their unfinished steps. A running step becomes
/// `cancelling`: its worker sees that at its next heartbeat, kills the
/// step's remote command and records the step `cancelled` once it has
/// really stopped; until then the job keeps its locks. Returns the
/// commands touched.
pub async fn cancel_jobs(tx: &impl ConnectionTrait, ids: &[Uuid], reason: &str) -> Result<Vec<Uuid>, DbErr> {
    let rows = query(
        tx,
        &format!(
            "WITH RECURSIVE doomed(id) AS (
                 SELECT unnest($1::uuid[])
                 UNION
                 SELECT d.job_id FROM job_dependency d JOIN doomed ON d.depends_on = doomed.id
             )
             UPDATE job SET state = 'cancelled', finished_at = now(),
                 error = CASE WHEN job.id = ANY($1) THEN $2 ELSE 'cancelled: a job it waits for did not succeed' END
             WHERE job.id IN (SELECT id FROM doomed) AND job.state IN {UNFINISHED}
             RETURNING job.id, job.command_id"
        ),
        [ids.to_vec().into(), reason.to_owned().into()],
    )
    .await?;
    let cancelled: Vec<Uuid> = rows.iter().map(|r| r.try_get("", "id")).collect::<Result<_, _>>()?;
    let mut commands: Vec<Uuid> = rows
        .iter()
        .map(|r| r.try_get("", "command_id"))
        .collect::<Result<_, _>>()?;
    commands.sort();
    commands.dedup();
    execute(
        tx,
        "UPDATE step SET state = CASE WHEN state = 'running' THEN 'cancelling' ELSE 'cancelled' END,
                         finished_at = CASE WHEN state = 'running' THEN NULL ELSE now() END
         WHERE job_id = ANY($1) AND state IN ('pending', 'queued', 'running')",
        [cancelled.clone().into()],
    )
    .await?;
    // Those with a step left cancelling keep their locks until it stopped.
    crate::jobs::release_locks(tx, &cancelled).await?;
    Ok(commands)
}

/// Whether any job in `ids` is cancelled: a result reported for one means
/// its `cancelling` step stopped, freeing the locks the job kept.
pub async fn any_cancelled(tx: &impl ConnectionTrait, ids: &[Uuid]) -> Result<bool, DbErr> {
    let rows = query(
        tx,
        "SELECT 1 AS one FROM job WHERE id = ANY($1) AND state = 'cancelled' LIMIT 1",
        [ids.to_vec().into()],
    )
    .await?;
    Ok(!rows.is_empty())
}

/// Cancels the unfinished jobs that wait (directly or not) on `ids`,
/// leaving `ids` themselves as they are. Returns the commands touched.
pub async fn cancel_dependents(tx: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Uuid>, DbErr> {
    let rows = query(
        tx,
        "SELECT DISTINCT d.job_id FROM job_dependency d WHERE d.depends_on = ANY($1)",
        [ids.to_vec().into()],
    )
    .await?;
    let direct: Vec<Uuid> = rows.iter().map(|r| r.try_get("", "job_id")).collect::<Result<_, _>>()?;
    if direct.is_empty() {
        return Ok(Vec::new());
    }
    cancel_jobs(tx, &direct, "cancelled: a job it waits for did not succeed").await
}

/// Brings the state of each command in `ids` up to date with its jobs:
/// running once a job started, and succeeded, failed or cancelled once all
/// jobs finished, writing each finished one's outcome event
/// ([`crate::events::record_command_outcomes`]). Returns `(command, new
/// state)` for the ones that finished.
pub async fn refresh_commands(tx: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<(Uuid, CommandState)>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Lock first, then aggregate in a new statement: two transactions that
    // each finish the last-but-one job would otherwise both see the other's
    // job unfinished, and the command would stay running forever.
    execute(
        tx,
        "SELECT id FROM command WHERE id = ANY($1) AND state IN ('pending', 'running') ORDER BY id FOR UPDATE",
        [ids.to_vec().into()],
    )
    .await?;
    let rows = query(
        tx,
        "WITH s AS (
             SELECT command_id,
                    bool_and(state IN ('succeeded', 'failed', 'cancelled')) AS done,
                    bool_or(state = 'failed') AS failed,
                    bool_or(state = 'cancelled') AS cancelled,
                    bool_or(state NOT IN ('pending', 'waiting')) AS started
             FROM job WHERE command_id = ANY($1) GROUP BY command_id)
         UPDATE command c SET
             state = CASE WHEN s.done THEN (CASE WHEN s.failed THEN 'failed'
                                                 WHEN s.cancelled THEN 'cancelled'
                                                 ELSE 'succeeded' END)
                          WHEN s.started THEN 'running' ELSE c.state END,
             finished_at = CASE WHEN s.done THEN now() END
         FROM s
         WHERE c.id = s.command_id AND c.state IN ('pending', 'running')
           AND (s.done OR (s.started AND c.state = 'pending'))
         RETURNING c.id, c.state, c.message",
        [ids.to_vec().into()],
    )
    .await?;
    let mut outcomes = Vec::new();
    for row in rows {
        let state: String = row.try_get("", "state")?;
        if let Some(state) = CommandState::parse(&state).filter(|s| s.is_final()) {
            let (id, message) = (row.try_get("", "id")?, row.try_get("", "message")?);
            outcomes.push(crate::events::CommandOutcome { id, message, state });
        }
    }
    crate::events::record_command_outcomes(tx, &outcomes).await?;
    Ok(outcomes.into_iter().map(|o| (o.id, o.state)).collect())
}

impl MaybeDbErr for ControlError {
    fn db_err(&self) -> Option<&DbErr> {
        match self {
            ControlError::Db(err) => Some(err),
            _ => None,
        }
    }
}

/// Cancels one job (and the jobs waiting on it). Conflict unless unfinished.
pub async fn cancel_job(db: &DatabaseConnection, id: Uuid) -> Result<(), ControlError> {
    transact(db, |tx| {
        Box::pin(async move {
            let state = locked_state(tx, "job", id).await?;
            if JobState::parse(&state).is_none_or(JobState::is_final) {
                return Err(ControlError::Conflict {
                    kind: "job",
                    id,
                    state,
                    verb: "cancel",
                });
            }
            let commands = cancel_jobs(tx, &[id], "cancelled by user").await?;
            refresh_commands(tx, &commands).await?;
            Ok(())
        })
    })
    .await
}

/// Cancels every unfinished job of a command. Conflict unless unfinished.
/// Jobs are locked before their command, as everywhere else.
pub async fn cancel_command(db: &DatabaseConnection, id: Uuid) -> Result<(), ControlError> {
    transact(db, |tx| {
        Box::pin(async move {
            let rows = query(tx, "SELECT state FROM command WHERE id = $1", [id.into()]).await?;
            let Some(row) = rows.first() else {
                return Err(ControlError::NotFound { kind: "command", id });
            };
            let state: String = row.try_get("", "state")?;
            let conflict = || ControlError::Conflict {
                kind: "command",
                id,
                state: state.clone(),
                verb: "cancel",
            };
            if CommandState::parse(&state).is_none_or(CommandState::is_final) {
                return Err(conflict());
            }
            let rows = query(
                tx,
                &format!("SELECT id FROM job WHERE command_id = $1 AND state IN {UNFINISHED} ORDER BY id FOR UPDATE"),
                [id.into()],
            )
            .await?;
            let jobs: Vec<Uuid> = rows.iter().map(|r| r.try_get("", "id")).collect::<Result<_, _>>()?;
            if jobs.is_empty() {
                // Its last job finished meanwhile.
                return Err(conflict());
            }
            cancel_jobs(tx, &jobs, "cancelled by user").await?;
            refresh_commands(tx, &[id]).await?;
            Ok(())
        })
    })
    .await
}

/// Pauses a running job (`paused = true`) or resumes a paused one.
/// Conflict from any other state.
pub async fn set_paused(db: &DatabaseConnection, id: Uuid, paused: bool) -> Result<(), ControlError> {
    let (from, to, verb) = if paused {
        (JobState::Running, JobState::Paused, "pause")
    } else {
        (JobState::Paused, JobState::Running, "resume")
    };
    transact(db, |tx| {
        Box::pin(async move {
            let state = locked_state(tx, "job", id).await?;
            if state != from.as_str() {
                return Err(ControlError::Conflict {
                    kind: "job",
                    id,
                    state,
                    verb,
                });
            }
            execute(
                tx,
                "UPDATE job SET state = $2 WHERE id = $1",
                [id.into(), to.as_str().into()],
            )
            .await?;
            Ok(())
        })
    })
    .await
}
