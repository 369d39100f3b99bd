//! Jobs: their states, locks and dependencies, and the commands they belong to.
//!
//! The job engine's statements over `job`: granting (one pass at a time,
//! under an advisory lock), advancing a job from its steps, and the
//! recovery sweep's look for stalled jobs. Each runs on the caller's
//! connection or transaction; the decisions are the scheduler's.

use lustre::{JobState, StepState};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use uuid::Uuid;

use crate::sql::{execute, query};

/// Advisory lock key of grant passes ("chroma:grant").
const GRANT_LOCK: i64 = 0x6368_726f_6d61_6701;

/// Takes the transaction-scoped advisory lock that serialises grant
/// passes, waiting for any other pass to commit: several schedulers then
/// never grant conflicting locks twice.
pub async fn lock_grant_pass(tx: &impl ConnectionTrait) -> Result<(), DbErr> {
    execute(tx, "SELECT pg_advisory_xact_lock($1)", [GRANT_LOCK.into()]).await?;
    Ok(())
}

/// A pending or waiting job looked at by a grant pass.
#[derive(Debug, Clone)]
pub struct GrantCandidate {
    pub id: Uuid,
    pub state: JobState,
    /// Submission order.
    pub seq: i64,
    /// Every job it waits for succeeded, and no conflicting lock on its
    /// items is held by a running or paused job (or a cancelled one whose
    /// step is still `cancelling`) or requested by an unfinished job
    /// submitted earlier.
    pub runnable: bool,
}

/// The next `limit` pending or waiting jobs submitted after `after` (a
/// `seq`), in submission order, each with whether it may start now.
pub async fn grant_candidates(tx: &impl ConnectionTrait, after: i64, limit: i64) -> Result<Vec<GrantCandidate>, DbErr> {
    // Only unreleased locks can conflict (`job_lock_unreleased`): a released
    // one belongs to a finished job with no step cancelling, which the
    // holder test below would reject anyway, so finished jobs' locks cost
    // nothing. `o.write >= NOT l.write` is `l.write OR o.write` in a form
    // the index can range over: a reader looks only at the item's writers.
    let rows = query(
        tx,
        "SELECT j.id, j.state, j.seq,
            NOT EXISTS (
                SELECT 1 FROM job_dependency d JOIN job dj ON dj.id = d.depends_on
                WHERE d.job_id = j.id AND dj.state <> 'succeeded')
            AND NOT EXISTS (
                SELECT 1 FROM job_lock l
                JOIN job_lock o ON o.item = l.item AND NOT o.released AND o.write >= NOT l.write
                                   AND o.job_id <> l.job_id
                JOIN job oj ON oj.id = o.job_id
                WHERE l.job_id = j.id
                  AND (oj.state IN ('running', 'paused')
                       OR (oj.state IN ('pending', 'waiting') AND oj.seq < j.seq)
                       -- A cancelled job holds its locks until its step stopped.
                       OR EXISTS (SELECT 1 FROM step cs WHERE cs.job_id = oj.id AND cs.state = 'cancelling'))) AS runnable
         FROM job j
         WHERE j.state IN ('pending', 'waiting') AND j.seq > $2
         ORDER BY j.seq
         LIMIT $1",
        [limit.into(), after.into()],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(GrantCandidate {
                id: row.try_get("", "id")?,
                state: job_state(row, "state")?,
                seq: row.try_get("", "seq")?,
                runnable: row.try_get("", "runnable")?,
            })
        })
        .collect()
}

/// Marks the still pending jobs among `ids` waiting (for a lock or a
/// dependency); returns how many changed.
pub async fn mark_waiting(tx: &impl ConnectionTrait, ids: &[Uuid]) -> Result<u64, DbErr> {
    execute(
        tx,
        "UPDATE job SET state = 'waiting' WHERE id = ANY($1) AND state = 'pending'",
        [ids.to_vec().into()],
    )
    .await
}

/// A job a grant pass started.
#[derive(Debug, Clone)]
pub struct StartedJob {
    pub id: Uuid,
    pub command_id: Uuid,
}

/// Starts the pending or waiting jobs among `ids` (running, `started_at`
/// now); returns the ones it started.
pub async fn start(tx: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<StartedJob>, DbErr> {
    let rows = query(
        tx,
        "UPDATE job SET state = 'running', started_at = now()
         WHERE id = ANY($1) AND state IN ('pending', 'waiting')
         RETURNING id, command_id",
        [ids.to_vec().into()],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(StartedJob {
                id: row.try_get("", "id")?,
                command_id: row.try_get("", "command_id")?,
            })
        })
        .collect()
}

/// A running or paused job, locked, with its first step that has not
/// succeeded.
#[derive(Debug, Clone)]
pub struct JobProgress {
    pub id: Uuid,
    pub command_id: Uuid,
    pub state: JobState,
    /// `None` once every step succeeded.
    pub next_step: Option<NextStep>,
}

/// The first step of a job that has not succeeded.
#[derive(Debug, Clone)]
pub struct NextStep {
    pub id: Uuid,
    pub state: StepState,
    pub error: Option<String>,
}

/// Locks the running or paused jobs among `ids` (`FOR UPDATE`, in id
/// order) and returns each with its next step, so that deciding how to
/// advance them reads only committed rows.
pub async fn lock_progress(tx: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<JobProgress>, DbErr> {
    let rows = query(
        tx,
        "SELECT j.id, j.command_id, j.state, s.id AS step_id, s.state AS step_state, s.error AS step_error
         FROM job j
         LEFT JOIN LATERAL (
             SELECT id, state, error FROM step
             WHERE step.job_id = j.id AND step.state <> 'succeeded'
             ORDER BY idx LIMIT 1) s ON true
         WHERE j.id = ANY($1) AND j.state IN ('running', 'paused')
         ORDER BY j.id
         FOR UPDATE OF j",
        [ids.to_vec().into()],
    )
    .await?;
    rows.iter()
        .map(|row| {
            let next_step = match row.try_get::<Option<Uuid>>("", "step_id")? {
                None => None,
                Some(id) => {
                    let state: String = row.try_get("", "step_state")?;
                    Some(NextStep {
                        id,
                        state: StepState::parse(&state)
                            .ok_or_else(|| DbErr::Type(format!("unknown step state {state:?}")))?,
                        error: row.try_get("", "step_error")?,
                    })
                }
            };
            Ok(JobProgress {
                id: row.try_get("", "id")?,
                command_id: row.try_get("", "command_id")?,
                state: job_state(row, "state")?,
                next_step,
            })
        })
        .collect()
}

/// Marks the jobs in `ids` succeeded, finished now, and releases their
/// locks ([`release_locks`]); returns how many.
pub async fn mark_succeeded(tx: &impl ConnectionTrait, ids: &[Uuid]) -> Result<u64, DbErr> {
    let marked = execute(
        tx,
        "UPDATE job SET state = 'succeeded', finished_at = now() WHERE id = ANY($1)",
        [ids.to_vec().into()],
    )
    .await?;
    release_locks(tx, ids).await?;
    Ok(marked)
}

/// Marks each job in `ids` failed with the error at the same place in
/// `errors`, finished now, and releases their locks ([`release_locks`]);
/// returns how many.
pub async fn mark_failed(tx: &impl ConnectionTrait, ids: &[Uuid], errors: &[String]) -> Result<u64, DbErr> {
    let marked = execute(
        tx,
        "UPDATE job SET state = 'failed', finished_at = now(), error = u.error
         FROM unnest($1::uuid[], $2::text[]) AS u(id, error) WHERE job.id = u.id",
        [ids.to_vec().into(), errors.to_vec().into()],
    )
    .await?;
    release_locks(tx, ids).await?;
    Ok(marked)
}

/// Marks released the locks of the jobs among `ids` that can never block
/// another job again: finished (succeeded, failed or cancelled) with no
/// step still `cancelling`. A finished job never runs again nor gets a new
/// `cancelling` step, so this is safe to call for any job, at any time; the
/// grant pass skips released locks. Call it in the transaction that
/// finishes a job or ends its last `cancelling` step. Returns how many
/// locks it released.
pub async fn release_locks(tx: &impl ConnectionTrait, ids: &[Uuid]) -> Result<u64, DbErr> {
    if ids.is_empty() {
        return Ok(0);
    }
    execute(
        tx,
        "UPDATE job_lock l SET released = true
         FROM job j
         WHERE j.id = ANY($1) AND l.job_id = j.id AND NOT l.released
           AND j.state IN ('succeeded', 'failed', 'cancelled')
           AND NOT EXISTS (SELECT 1 FROM step s WHERE s.job_id = j.id AND s.state = 'cancelling')",
        [ids.to_vec().into()],
    )
    .await
}

/// Up to `limit` running jobs with no step queued or running: their last
/// result was recorded but never advanced, or a resume left them waiting.
pub async fn stalled(db: &impl ConnectionTrait, limit: i64) -> Result<Vec<Uuid>, DbErr> {
    let rows = query(
        db,
        "SELECT j.id FROM job j
         WHERE j.state = 'running'
           AND NOT EXISTS (SELECT 1 FROM step s WHERE s.job_id = j.id AND s.state IN ('queued', 'running'))
         LIMIT $1",
        [limit.into()],
    )
    .await?;
    rows.iter().map(|r| r.try_get("", "id")).collect()
}

/// How many jobs are in each state, by state name (states with none left
/// out).
pub async fn count_by_state(db: &impl ConnectionTrait) -> Result<Vec<(JobState, i64)>, DbErr> {
    let rows = query(
        db,
        "SELECT state, count(*) AS n FROM job GROUP BY state ORDER BY state",
        [],
    )
    .await?;
    rows.iter()
        .map(|row| Ok((job_state(row, "state")?, row.try_get("", "n")?)))
        .collect()
}

/// A few (at most 5) distinct errors of failed or cancelled jobs.
pub async fn some_errors(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    let rows = query(db, "SELECT DISTINCT error FROM job WHERE error IS NOT NULL LIMIT 5", []).await?;
    rows.iter().map(|r| r.try_get("", "error")).collect()
}

fn job_state(row: &QueryResult, column: &str) -> Result<JobState, DbErr> {
    let state: String = row.try_get("", column)?;
    JobState::parse(&state).ok_or_else(|| DbErr::Type(format!("unknown job state {state:?}")))
}

/// A failed job, as its `job_failed` alert tells of it.
#[derive(Debug, Clone)]
pub struct FailedJob {
    pub id: Uuid,
    pub command_id: Uuid,
    pub description: String,
    pub error: Option<String>,
}

/// The jobs of `ids` that are failed, by id.
pub async fn failed(db: &impl sea_orm::ConnectionTrait, ids: &[Uuid]) -> Result<Vec<FailedJob>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT id, command_id, description, error FROM job WHERE id = ANY($1) AND state = 'failed' ORDER BY id",
        [ids.to_vec().into()],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(FailedJob {
                id: r.try_get("", "id")?,
                command_id: r.try_get("", "command_id")?,
                description: r.try_get("", "description")?,
                error: r.try_get("", "error")?,
            })
        })
        .collect()
}

/// Of the lock `items`, those a job holds for writing that is not finished
/// or finished at or after `since`: objects being changed now or just now.
pub async fn busy_items(
    db: &impl sea_orm::ConnectionTrait,
    items: &[lustre::Item],
    since: chrono::DateTime<chrono::Utc>,
) -> Result<std::collections::HashSet<lustre::Item>, sea_orm::DbErr> {
    let texts: Vec<String> = items.iter().map(ToString::to_string).collect();
    let rows = crate::sql::query(
        db,
        "SELECT DISTINCT l.item FROM job_lock l JOIN job j ON j.id = l.job_id
         WHERE l.item = ANY($1) AND l.write
           AND (j.state IN ('pending', 'waiting', 'running', 'paused') OR j.finished_at >= $2)",
        [texts.into(), since.into()],
    )
    .await?;
    rows.iter()
        .map(|r| {
            let text: String = r.try_get("", "item")?;
            text.parse().map_err(sea_orm::DbErr::Custom)
        })
        .collect()
}

/// One lock a job takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobLock {
    pub item: String,
    pub write: bool,
}

/// The locks job `id` takes, by item.
pub async fn locks_of(db: &impl sea_orm::ConnectionTrait, id: uuid::Uuid) -> Result<Vec<JobLock>, sea_orm::DbErr> {
    crate::sql::query(
        db,
        "SELECT item, write FROM job_lock WHERE job_id = $1 ORDER BY item",
        [id.into()],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(JobLock {
            item: r.try_get("", "item")?,
            write: r.try_get("", "write")?,
        })
    })
    .collect()
}

/// The keys of the jobs job `id` waits for, in their order.
pub async fn dependency_keys(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
) -> Result<Vec<String>, sea_orm::DbErr> {
    crate::sql::query(
        db,
        "SELECT j.key FROM job_dependency d JOIN job j ON j.id = d.depends_on WHERE d.job_id = $1 ORDER BY j.seq",
        [id.into()],
    )
    .await?
    .iter()
    .map(|r| r.try_get("", "key"))
    .collect()
}

/// Job `id`, if it exists.
pub async fn get(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
) -> Result<Option<crate::entities::job::Model>, sea_orm::DbErr> {
    use sea_orm::EntityTrait;
    crate::entities::job::Entity::find_by_id(id).one(db).await
}

/// The jobs of `commands`, in submission order.
pub async fn of_commands(
    db: &impl sea_orm::ConnectionTrait,
    commands: Vec<uuid::Uuid>,
) -> Result<Vec<crate::entities::job::Model>, sea_orm::DbErr> {
    use crate::entities::job;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    job::Entity::find()
        .filter(job::Column::CommandId.is_in(commands))
        .order_by_asc(job::Column::Seq)
        .all(db)
        .await
}

/// Which jobs a page of jobs holds.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub state: Option<lustre::JobState>,
    pub command: Option<uuid::Uuid>,
}

/// A page of the jobs matching `filter` in submission order (the newest
/// first when `newest_first`), and how many match in all.
pub async fn page(
    db: &impl sea_orm::ConnectionTrait,
    filter: &JobFilter,
    newest_first: bool,
    limit: u64,
    offset: u64,
) -> Result<(Vec<crate::entities::job::Model>, u64), sea_orm::DbErr> {
    use crate::entities::job;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
    let mut select = job::Entity::find();
    if let Some(state) = filter.state {
        select = select.filter(job::Column::State.eq(state.as_str()));
    }
    if let Some(command) = filter.command {
        select = select.filter(job::Column::CommandId.eq(command));
    }
    let total = select.clone().count(db).await?;
    let order = if newest_first {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    let jobs = select
        .order_by(job::Column::Seq, order)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok((jobs, total))
}
