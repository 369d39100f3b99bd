//! Steps: claiming, heartbeats, results and redelivery.

/// The step attempt a recording write is fenced on: the write lands only
/// while the step is still `running` this attempt. A worker that lost its
/// step (another worker claimed the next attempt) must not record what it
/// saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fence {
    pub step_id: uuid::Uuid,
    pub attempt: i32,
}

/// Runs the `UPDATE … WHERE …` statement `sql` (it must end with its
/// condition), adding `fence`'s condition when there is one; returns how
/// many rows it changed.
pub(crate) async fn fenced_execute(
    db: &impl sea_orm::ConnectionTrait,
    sql: &str,
    mut values: Vec<sea_orm::Value>,
    fence: Option<Fence>,
) -> Result<u64, sea_orm::DbErr> {
    let Some(fence) = fence else {
        return crate::sql::execute(db, sql, values).await;
    };
    let fenced = format!(
        "{sql} AND EXISTS (SELECT 1 FROM step WHERE id = ${} AND attempts = ${} AND state = 'running')",
        values.len() + 1,
        values.len() + 2
    );
    values.extend([fence.step_id.into(), fence.attempt.into()]);
    crate::sql::execute(db, &fenced, values).await
}

/// Whether the step of `fence` is still `running` that attempt.
pub async fn is_running_attempt(db: &impl sea_orm::ConnectionTrait, fence: Fence) -> Result<bool, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT 1 AS one FROM step WHERE id = $1 AND attempts = $2 AND state = 'running'",
        [fence.step_id.into(), fence.attempt.into()],
    )
    .await?;
    Ok(!rows.is_empty())
}

/// A step a worker has just claimed.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub step_id: uuid::Uuid,
    pub job_id: uuid::Uuid,
    /// The attempt number this claim made (the fence of its writes).
    pub attempt: i32,
    pub action: String,
    pub args: serde_json::Value,
}

/// Claims for `worker` the steps in `ids` that are queued for a running
/// job, or running (for a running or paused job) with a heartbeat older
/// than `stale_after`: each goes `running` with its attempt number raised.
pub async fn claim(
    db: &impl sea_orm::ConnectionTrait,
    ids: &[uuid::Uuid],
    worker: &str,
    stale_after: std::time::Duration,
) -> Result<Vec<Claimed>, sea_orm::DbErr> {
    // `j.state IN ('running', 'paused')` stands alone rather than inside
    // the second branch (the same condition): with the job's state in both
    // branches of the OR, PostgreSQL spent 5–8 times as long planning this
    // statement (a custom plan each time, for the array) as running it.
    let rows = crate::sql::query(
        db,
        "UPDATE step SET state = 'running', attempts = step.attempts + 1, worker = $2,
                         heartbeat_at = now(), started_at = now()
         FROM job j
         WHERE step.id = ANY($1) AND j.id = step.job_id AND j.state IN ('running', 'paused')
           AND ((step.state = 'queued' AND j.state = 'running')
                OR (step.state = 'running' AND step.heartbeat_at < now() - make_interval(secs => $3)))
         RETURNING step.id, step.job_id, step.attempts, step.action, step.args",
        [
            ids.to_vec().into(),
            worker.to_owned().into(),
            stale_after.as_secs_f64().into(),
        ],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Claimed {
                step_id: row.try_get("", "id")?,
                job_id: row.try_get("", "job_id")?,
                attempt: row.try_get("", "attempts")?,
                action: row.try_get("", "action")?,
                args: row.try_get("", "args")?,
            })
        })
        .collect()
}

/// A step's state beside its job's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepAndJobState {
    pub step_id: uuid::Uuid,
    pub job_id: uuid::Uuid,
    pub state: String,
    pub attempts: i32,
    pub job_state: String,
}

/// The states of the steps in `ids` (unknown ids are left out) and of
/// their jobs.
pub async fn states_with_jobs(
    db: &impl sea_orm::ConnectionTrait,
    ids: &[uuid::Uuid],
) -> Result<Vec<StepAndJobState>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT s.id, s.job_id, s.state, s.attempts, j.state AS job_state
         FROM step s JOIN job j ON j.id = s.job_id WHERE s.id = ANY($1)",
        [ids.to_vec().into()],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(StepAndJobState {
                step_id: row.try_get("", "id")?,
                job_id: row.try_get("", "job_id")?,
                state: row.try_get("", "state")?,
                attempts: row.try_get("", "attempts")?,
                job_state: row.try_get("", "job_state")?,
            })
        })
        .collect()
}

/// Moves the steps in `ids` that are queued for a paused job back to
/// `pending` (resuming queues them again); returns the ids it moved.
pub async fn unqueue_paused(
    db: &impl sea_orm::ConnectionTrait,
    ids: &[uuid::Uuid],
) -> Result<Vec<uuid::Uuid>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "UPDATE step SET state = 'pending', queued_at = NULL
         WHERE id = ANY($1) AND state = 'queued'
           AND (SELECT state FROM job WHERE job.id = step.job_id) = 'paused'
         RETURNING id",
        [ids.to_vec().into()],
    )
    .await?;
    rows.iter().map(|r| r.try_get("", "id")).collect()
}

/// Hands the attempts `steps` (`(id, attempt)`, in the caller's lock
/// order) that are still running back to the queue.
pub async fn release(db: &impl sea_orm::ConnectionTrait, steps: &[(uuid::Uuid, i32)]) -> Result<(), sea_orm::DbErr> {
    let (ids, attempts): (Vec<uuid::Uuid>, Vec<i32>) = steps.iter().copied().unzip();
    crate::sql::execute(
        db,
        "UPDATE step SET state = 'queued', queued_at = now(), worker = NULL, heartbeat_at = NULL
         FROM unnest($1::uuid[], $2::int[]) AS u(id, attempt)
         WHERE step.id = u.id AND step.attempts = u.attempt AND step.state = 'running'",
        [ids.into(), attempts.into()],
    )
    .await?;
    Ok(())
}

/// Refreshes the heartbeat of the attempts `steps` (`(id, attempt)`) that
/// are still running or being cancelled; returns the ids of the running
/// ones (a missing one is being cancelled, was cancelled or taken over: its
/// worker interrupts it, and goes on heartbeating a cancelling one until
/// its command has stopped).
pub async fn heartbeat(
    db: &impl sea_orm::ConnectionTrait,
    steps: &[(uuid::Uuid, i32)],
) -> Result<Vec<uuid::Uuid>, sea_orm::DbErr> {
    let (ids, attempts): (Vec<uuid::Uuid>, Vec<i32>) = steps.iter().copied().unzip();
    let rows = crate::sql::query(
        db,
        "UPDATE step SET heartbeat_at = now()
         FROM unnest($1::uuid[], $2::int[]) AS u(id, attempt)
         WHERE step.id = u.id AND step.attempts = u.attempt AND step.state IN ('running', 'cancelling')
         RETURNING step.id, step.state",
        [ids.into(), attempts.into()],
    )
    .await?;
    let mut running = Vec::with_capacity(rows.len());
    for row in rows {
        if row.try_get::<String>("", "state")? == "running" {
            running.push(row.try_get("", "id")?);
        }
    }
    Ok(running)
}

/// The result of one step attempt, to record.
#[derive(Debug, Clone, PartialEq)]
pub struct StepResult {
    pub step_id: uuid::Uuid,
    pub attempt: i32,
    /// `succeeded` or `failed`; `cancelled` for an attempt interrupted
    /// whose command has stopped (it lands only on a `cancelling` step).
    pub state: &'static str,
    pub output: Option<serde_json::Value>,
    pub error: Option<String>,
}

/// A recorded result: the step, its job and the attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub step_id: uuid::Uuid,
    pub job_id: uuid::Uuid,
    pub attempt: i32,
}

/// Records `results` in one statement, each only while its attempt still
/// owns its running or cancelling step (the caller orders them by step id,
/// the one lock order); returns those recorded. A `cancelling` step ends
/// `cancelled` whatever its attempt's outcome, since its command has
/// stopped; a `cancelled` result lands only on a `cancelling` step. An
/// empty JSON `null` output or empty error is stored as NULL.
pub async fn record_results(
    db: &impl sea_orm::ConnectionTrait,
    results: &[StepResult],
) -> Result<Vec<Recorded>, sea_orm::DbErr> {
    if results.is_empty() {
        return Ok(Vec::new());
    }
    let (mut ids, mut attempts, mut states, mut outputs, mut errors) = (vec![], vec![], vec![], vec![], vec![]);
    for r in results {
        ids.push(r.step_id);
        attempts.push(r.attempt);
        states.push(r.state.to_owned());
        // Arrays cannot carry NULLs through sea-query; '' and JSON null stand
        // in for them and turn back into NULL in the statement.
        outputs.push(r.output.clone().unwrap_or(serde_json::Value::Null));
        errors.push(r.error.clone().unwrap_or_default());
    }
    let rows = crate::sql::query(
        db,
        "UPDATE step SET state = CASE WHEN step.state = 'cancelling' THEN 'cancelled' ELSE u.state END,
                         output = NULLIF(u.output, 'null'::jsonb), error = NULLIF(u.error, ''),
                         finished_at = now(), heartbeat_at = NULL
         FROM unnest($1::uuid[], $2::int[], $3::text[], $4::jsonb[], $5::text[])
              AS u(id, attempt, state, output, error)
         WHERE step.id = u.id AND step.attempts = u.attempt
           AND (step.state = 'cancelling' OR (step.state = 'running' AND u.state <> 'cancelled'))
         RETURNING step.id, step.job_id, step.attempts",
        [
            ids.into(),
            attempts.into(),
            states.into(),
            sea_orm::Value::from(outputs),
            errors.into(),
        ],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Recorded {
                step_id: row.try_get("", "id")?,
                job_id: row.try_get("", "job_id")?,
                attempt: row.try_get("", "attempts")?,
            })
        })
        .collect()
}

/// The message that asks a worker to run a step, from a row with
/// `id, job_id, attempts, action, args`.
fn message_of_row(row: &sea_orm::QueryResult) -> Result<wire::messages::StepMessage, sea_orm::DbErr> {
    Ok(wire::messages::StepMessage {
        step_id: row.try_get("", "id")?,
        job_id: row.try_get("", "job_id")?,
        attempt: row.try_get("", "attempts")?,
        action: row.try_get("", "action")?,
        args: row.try_get("", "args")?,
    })
}

/// Marks the pending steps among `ids` `queued` (ready since this very
/// moment) and returns their messages, to publish once the transaction
/// commits.
pub async fn queue_pending(
    tx: &impl sea_orm::ConnectionTrait,
    ids: &[uuid::Uuid],
) -> Result<Vec<wire::messages::StepMessage>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        tx,
        // clock_timestamp(): the moment the step became ready, not the
        // start of the (batched) transaction that got to it.
        "UPDATE step SET state = 'queued', queued_at = clock_timestamp()
         WHERE id = ANY($1) AND state = 'pending'
         RETURNING id, job_id, attempts, action, args",
        [ids.to_vec().into()],
    )
    .await?;
    rows.iter().map(message_of_row).collect()
}

/// Cancels the pending steps of the jobs in `job_ids` (a step of theirs
/// failed); returns how many.
pub async fn cancel_pending(tx: &impl sea_orm::ConnectionTrait, job_ids: &[uuid::Uuid]) -> Result<u64, sea_orm::DbErr> {
    crate::sql::execute(
        tx,
        "UPDATE step SET state = 'cancelled', finished_at = now() WHERE job_id = ANY($1) AND state = 'pending'",
        [job_ids.to_vec().into()],
    )
    .await
}

/// Up to `limit` queued steps of running jobs not started within
/// `older_than` (their message may be lost): their `queued_at` moves to
/// now, so that the next sweep waits again before repeating them, and
/// their messages are returned to publish again. A queued step of a
/// paused job waits for its resume.
pub async fn requeue_unstarted(
    db: &impl sea_orm::ConnectionTrait,
    older_than: std::time::Duration,
    limit: i64,
) -> Result<Vec<wire::messages::StepMessage>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "UPDATE step SET queued_at = now()
         WHERE id IN (SELECT s.id FROM job j JOIN step s ON s.job_id = j.id
                      WHERE j.state = 'running' AND s.state = 'queued'
                        AND s.queued_at <= now() - make_interval(secs => $1)
                      LIMIT $2)
           -- Again on the locked row: another scheduler may have done it.
           AND state = 'queued' AND queued_at <= now() - make_interval(secs => $1)
         RETURNING id, job_id, attempts, action, args",
        [older_than.as_secs_f64().into(), limit.into()],
    )
    .await?;
    rows.iter().map(message_of_row).collect()
}

/// Fails up to `limit` running steps (of running or paused jobs) that
/// were claimed `attempts` times or more and whose heartbeat is older than
/// `silent`, saying how often their workers stopped; returns the job of
/// each failed step.
pub async fn fail_silent(
    db: &impl sea_orm::ConnectionTrait,
    silent: std::time::Duration,
    attempts: i32,
    limit: i64,
) -> Result<Vec<uuid::Uuid>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "UPDATE step SET state = 'failed', finished_at = now(), heartbeat_at = NULL,
                         error = 'its workers stopped heartbeating ' || attempts || ' times while running it'
         WHERE id IN (SELECT s.id FROM job j JOIN step s ON s.job_id = j.id
                      WHERE j.state IN ('running', 'paused') AND s.state = 'running' AND s.attempts >= $2
                        AND s.heartbeat_at < now() - make_interval(secs => $1) LIMIT $3)
           AND state = 'running' AND heartbeat_at < now() - make_interval(secs => $1)
         RETURNING job_id",
        [silent.as_secs_f64().into(), attempts.into(), limit.into()],
    )
    .await?;
    rows.iter().map(|r| r.try_get("", "job_id")).collect()
}

/// A `cancelling` step whose worker stopped heartbeating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Abandoned {
    pub step_id: uuid::Uuid,
    pub job_id: uuid::Uuid,
    /// The worker's last heartbeat.
    pub heartbeat_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Ends up to `limit` `cancelling` steps whose heartbeat is older than
/// `silent` as `cancelled`: their worker died before it saw the command
/// stop, and nobody else can. Whether the command still runs on its server
/// cannot be known; the error says so. Releases their jobs' locks
/// ([`crate::jobs::release_locks`]). Returns the steps ended.
pub async fn cancel_abandoned(
    db: &impl sea_orm::ConnectionTrait,
    silent: std::time::Duration,
    limit: i64,
) -> Result<Vec<Abandoned>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "WITH doomed AS (
             SELECT id, heartbeat_at FROM step
             WHERE state = 'cancelling' AND heartbeat_at < now() - make_interval(secs => $1)
             LIMIT $2 FOR UPDATE SKIP LOCKED)
         UPDATE step SET state = 'cancelled', finished_at = now(), heartbeat_at = NULL,
                         error = 'cancelled; its worker stopped heartbeating before it saw the command stop, '
                                 || 'so the command may have gone on running on its server'
         FROM doomed WHERE step.id = doomed.id
         RETURNING step.id, step.job_id, doomed.heartbeat_at",
        [silent.as_secs_f64().into(), limit.into()],
    )
    .await?;
    let ended = rows
        .iter()
        .map(|row| {
            Ok(Abandoned {
                step_id: row.try_get("", "id")?,
                job_id: row.try_get("", "job_id")?,
                heartbeat_at: row.try_get("", "heartbeat_at")?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    // Their jobs are cancelled: with the step stopped, their locks can go.
    let jobs: Vec<uuid::Uuid> = ended.iter().map(|step| step.job_id).collect();
    crate::jobs::release_locks(db, &jobs).await?;
    Ok(ended)
}

/// Queues again up to `limit` running steps (of running or paused jobs)
/// whose heartbeat is older than `silent`, releasing their worker; returns
/// their messages to publish again.
pub async fn requeue_silent(
    db: &impl sea_orm::ConnectionTrait,
    silent: std::time::Duration,
    limit: i64,
) -> Result<Vec<wire::messages::StepMessage>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "UPDATE step SET state = 'queued', queued_at = now(), worker = NULL, heartbeat_at = NULL
         WHERE id IN (SELECT s.id FROM job j JOIN step s ON s.job_id = j.id
                      WHERE j.state IN ('running', 'paused') AND s.state = 'running'
                        AND s.heartbeat_at < now() - make_interval(secs => $1) LIMIT $2)
           AND state = 'running' AND heartbeat_at < now() - make_interval(secs => $1)
         RETURNING id, job_id, attempts, action, args",
        [silent.as_secs_f64().into(), limit.into()],
    )
    .await?;
    rows.iter().map(message_of_row).collect()
}

/// Whether a step's worker still heartbeats, as the database sees it now.
#[derive(Debug, Clone)]
pub struct Liveness {
    pub state: lustre::StepState,
    pub heartbeat_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The database's clock when it answered.
    pub now: chrono::DateTime<chrono::Utc>,
    /// Whether the heartbeat is older than the timeout asked about; `None`
    /// without a heartbeat.
    pub stale: Option<bool>,
}

/// How many steps of running or paused jobs are in each state, by state
/// name (states with none left out).
pub async fn active_count_by_state(db: &impl sea_orm::ConnectionTrait) -> Result<Vec<(String, i64)>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT s.state AS label, count(*) AS n FROM step s JOIN job j ON j.id = s.job_id
                  WHERE j.state IN ('running', 'paused') OR s.state = 'cancelling' GROUP BY s.state",
        [],
    )
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "label")?, r.try_get("", "n")?)))
        .collect()
}

/// Redeliveries and dead letters among recent steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentRetries {
    /// Attempts beyond each step's first.
    pub redeliveries: i64,
    /// Steps whose message was dead-lettered.
    pub dead_letters: i64,
}

/// Redeliveries and dead letters among the steps created since `since`
/// (a UUIDv7: ids are time-ordered, so this is a primary-key range).
pub async fn recent_retries(
    db: &impl sea_orm::ConnectionTrait,
    since: uuid::Uuid,
) -> Result<RecentRetries, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT COALESCE(sum(GREATEST(attempts - 1, 0)), 0)::bigint AS redeliveries,
                count(*) FILTER (WHERE error LIKE '%was dead-lettered%') AS dead_letters
         FROM step WHERE id >= $1",
        [since.into()],
    )
    .await?;
    match rows.first() {
        Some(r) => Ok(RecentRetries {
            redeliveries: r.try_get("", "redeliveries")?,
            dead_letters: r.try_get("", "dead_letters")?,
        }),
        None => Ok(RecentRetries {
            redeliveries: 0,
            dead_letters: 0,
        }),
    }
}

/// How many steps are in each state, by state name (states with none left
/// out).
pub async fn count_by_state(
    db: &impl sea_orm::ConnectionTrait,
) -> Result<Vec<(lustre::StepState, i64)>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT state, count(*) AS n FROM step GROUP BY state ORDER BY state",
        [],
    )
    .await?;
    rows.iter()
        .map(|row| {
            let state: String = row.try_get("", "state")?;
            let state = lustre::StepState::parse(&state)
                .ok_or_else(|| sea_orm::DbErr::Type(format!("unknown step state {state:?}")))?;
            Ok((state, row.try_get("", "n")?))
        })
        .collect()
}

/// Every step's time span and outcome (what a benchmark run measured).
#[derive(Debug, Clone)]
pub struct Span {
    pub steps: i64,
    pub succeeded: i64,
    pub first_started: Option<chrono::DateTime<chrono::Utc>>,
    pub last_finished: Option<chrono::DateTime<chrono::Utc>>,
}

/// How many steps there are, how many succeeded, when the first started
/// and when the last finished.
pub async fn span(db: &impl sea_orm::ConnectionTrait) -> Result<Span, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT count(*) AS steps, count(*) FILTER (WHERE state = 'succeeded') AS succeeded,
                min(started_at) AS first_started, max(finished_at) AS last_finished
         FROM step",
        [],
    )
    .await?;
    let row = rows
        .first()
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("no row from an aggregate over step".into()))?;
    Ok(Span {
        steps: row.try_get("", "steps")?,
        succeeded: row.try_get("", "succeeded")?,
        first_started: row.try_get("", "first_started")?,
        last_finished: row.try_get("", "last_finished")?,
    })
}

/// A stage of a step's life, timed from its timestamps.
#[derive(Debug, Clone, Copy)]
pub struct Stage {
    pub name: &'static str,
    pub description: &'static str,
    /// Its duration as an expression over `step` (alias `s`) with
    /// `prev_finished` (the previous step of its job) and `job_created`.
    expr: &'static str,
}

/// The stages [`stage_percentiles`] measures, in its order.
pub const STAGES: [Stage; 4] = [
    Stage {
        name: "dispatch",
        description: "step ready → started (queued_at → started_at)",
        expr: "s.started_at - s.queued_at",
    },
    Stage {
        name: "run",
        description: "started → result recorded (started_at → finished_at)",
        expr: "s.finished_at - s.started_at",
    },
    Stage {
        name: "handoff",
        description: "previous step recorded → next queued",
        expr: "s.queued_at - s.prev_finished",
    },
    Stage {
        name: "grant",
        description: "job submitted → first step queued",
        expr: "CASE WHEN s.idx = 0 THEN s.queued_at - s.job_created END",
    },
];

/// Latency percentiles of a stage in milliseconds (zeros without steps).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StagePercentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

/// The percentiles of every stage in [`STAGES`] over all steps, computed
/// by PostgreSQL (`percentile_cont`).
pub async fn stage_percentiles(db: &impl sea_orm::ConnectionTrait) -> Result<Vec<StagePercentiles>, sea_orm::DbErr> {
    let mut columns = Vec::new();
    for stage in STAGES {
        let (name, expr) = (stage.name, stage.expr);
        let ms = format!("(extract(epoch FROM {expr}) * 1000)::float8");
        for (q, label) in [("0.5", "p50"), ("0.9", "p90"), ("0.99", "p99")] {
            columns.push(format!(
                "percentile_cont({q}) WITHIN GROUP (ORDER BY {ms}) AS {name}_{label}"
            ));
        }
        columns.push(format!("max({ms}) AS {name}_max, avg({ms}) AS {name}_mean"));
    }
    let sql = format!(
        "SELECT {} FROM (
             SELECT step.*, job.created_at AS job_created,
                    lag(step.finished_at) OVER (PARTITION BY step.job_id ORDER BY step.idx) AS prev_finished
             FROM step JOIN job ON job.id = step.job_id) s",
        columns.join(",\n")
    );
    let rows = crate::sql::query(db, &sql, []).await?;
    let row = rows
        .first()
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("no row from an aggregate over step".into()))?;
    let get = |name: &str, label: &str| -> Result<f64, sea_orm::DbErr> {
        Ok(row
            .try_get::<Option<f64>>("", &format!("{name}_{label}"))?
            .unwrap_or(0.0))
    };
    STAGES
        .iter()
        .map(|stage| {
            Ok(StagePercentiles {
                p50: get(stage.name, "p50")?,
                p90: get(stage.name, "p90")?,
                p99: get(stage.name, "p99")?,
                max: get(stage.name, "max")?,
                mean: get(stage.name, "mean")?,
            })
        })
        .collect()
}

/// How many steps each worker statement handled, from distinct timestamps
/// (`now()` is fixed per statement).
#[derive(Debug, Clone)]
pub struct Batching {
    pub claim_statements: i64,
    pub record_statements: i64,
    /// `(worker, steps)` by worker name; `?` for steps no worker claimed.
    pub per_worker: Vec<(String, i64)>,
}

/// How claims and records were batched, and how many steps each worker ran.
pub async fn batching(db: &impl sea_orm::ConnectionTrait) -> Result<Batching, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT count(DISTINCT started_at) AS claims, count(DISTINCT finished_at) AS records FROM step",
        [],
    )
    .await?;
    let row = rows
        .first()
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("no row from an aggregate over step".into()))?;
    let workers = crate::sql::query(
        db,
        "SELECT coalesce(worker, '?') AS worker, count(*) AS n FROM step GROUP BY 1 ORDER BY 1",
        [],
    )
    .await?;
    Ok(Batching {
        claim_statements: row.try_get("", "claims")?,
        record_statements: row.try_get("", "records")?,
        per_worker: workers
            .iter()
            .map(|r| Ok((r.try_get("", "worker")?, r.try_get("", "n")?)))
            .collect::<Result<_, sea_orm::DbErr>>()?,
    })
}

/// `(second, steps)`: how many steps finished in each second since the
/// first step started (seconds with none left out).
pub async fn finished_per_second(db: &impl sea_orm::ConnectionTrait) -> Result<Vec<(i64, i64)>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT floor(extract(epoch FROM finished_at - (SELECT min(started_at) FROM step)))::bigint AS sec,
                count(*) AS n
         FROM step WHERE finished_at IS NOT NULL GROUP BY 1 ORDER BY 1",
        [],
    )
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "sec")?, r.try_get("", "n")?)))
        .collect()
}

/// The steps of `jobs`, each job's in order.
pub async fn of_jobs(
    db: &impl sea_orm::ConnectionTrait,
    jobs: Vec<uuid::Uuid>,
) -> Result<Vec<crate::entities::step::Model>, sea_orm::DbErr> {
    use crate::entities::step;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    step::Entity::find()
        .filter(step::Column::JobId.is_in(jobs))
        .order_by_asc(step::Column::Idx)
        .all(db)
        .await
}

/// A step's attempt number beside its liveness: what a dead-lettered
/// message is checked against.
#[derive(Debug, Clone)]
pub struct AttemptLiveness {
    /// Claims made so far (the current attempt while it runs).
    pub attempts: i32,
    pub liveness: Liveness,
}

/// The attempt number and liveness of step `id` against
/// `heartbeat_timeout`; `None` if there is no such step.
pub async fn attempt_liveness(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
    heartbeat_timeout: std::time::Duration,
) -> Result<Option<AttemptLiveness>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT state, attempts, heartbeat_at, now() AS now,
                heartbeat_at < now() - make_interval(secs => $2) AS stale
         FROM step WHERE id = $1",
        [id.into(), heartbeat_timeout.as_secs_f64().into()],
    )
    .await?;
    let Some(row) = rows.first() else { return Ok(None) };
    let state: String = row.try_get("", "state")?;
    Ok(Some(AttemptLiveness {
        attempts: row.try_get("", "attempts")?,
        liveness: Liveness {
            state: lustre::StepState::parse(&state)
                .ok_or_else(|| sea_orm::DbErr::Type(format!("unknown step state {state:?}")))?,
            heartbeat_at: row.try_get("", "heartbeat_at")?,
            now: row.try_get("", "now")?,
            stale: row.try_get("", "stale")?,
        },
    }))
}

/// A delivery of a step message: the step and the attempt number the
/// message was published at, and how many claims its deliveries can have
/// made (each delivery claims at most once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub step_id: uuid::Uuid,
    pub attempt: i32,
    pub max_claims: i32,
}

/// A step failed by [`fail_dead_lettered`]: its job and action as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLettered {
    pub job_id: uuid::Uuid,
    pub action: String,
}

/// Fails the step of `delivered` with `reason` if the dead-lettered
/// message is still the step's own delivery and nobody runs it: the step
/// is queued at exactly the message's attempt (nobody claimed it since),
/// or running an attempt the message's own deliveries claimed (above the
/// message's, by at most `max_claims`) with a heartbeat older than
/// `heartbeat_timeout`. Checked under the row lock, since a worker may just
/// have taken it over. Returns the failed step's job and action, or `None`
/// when nothing changed.
pub async fn fail_dead_lettered(
    tx: &impl sea_orm::ConnectionTrait,
    delivered: Delivered,
    reason: &str,
    heartbeat_timeout: std::time::Duration,
) -> Result<Option<DeadLettered>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        tx,
        "UPDATE step SET state = 'failed', finished_at = now(), heartbeat_at = NULL, error = $2
         WHERE id = $1
           AND ((state = 'queued' AND attempts = $3)
                OR (state = 'running' AND attempts > $3 AND attempts <= $3 + $4
                    AND heartbeat_at < now() - make_interval(secs => $5)))
         RETURNING job_id, action",
        [
            delivered.step_id.into(),
            reason.to_owned().into(),
            delivered.attempt.into(),
            delivered.max_claims.into(),
            heartbeat_timeout.as_secs_f64().into(),
        ],
    )
    .await?;
    rows.first()
        .map(|row| {
            Ok(DeadLettered {
                job_id: row.try_get("", "job_id")?,
                action: row.try_get("", "action")?,
            })
        })
        .transpose()
}
