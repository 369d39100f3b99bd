//! Storing a validated command with its jobs, steps, locks and
//! dependencies, in one transaction.

use lustre::submission::NewCommand;
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait, Value};
use uuid::Uuid;

use crate::sql::execute;

/// What the API answers once a command is stored.
#[derive(Debug, Clone)]
pub struct StoredCommand {
    pub id: Uuid,
    /// `(id, key)` of each job, in submission order.
    pub jobs: Vec<(Uuid, String)>,
}

/// Stores `command`; nothing is stored if any statement fails.
#[tracing::instrument(skip_all, fields(jobs = command.jobs.len()))]
pub async fn insert(db: &impl TransactionTrait, command: &NewCommand) -> Result<StoredCommand, DbErr> {
    let tx = db.begin().await?;
    let id = Uuid::now_v7();
    execute(
        &tx,
        "INSERT INTO command (id, message) VALUES ($1, $2)",
        [id.into(), command.message.clone().into()],
    )
    .await?;
    let job_ids: Vec<Uuid> = command.jobs.iter().map(|_| Uuid::now_v7()).collect();
    insert_jobs(&tx, id, command, &job_ids).await?;
    insert_steps(&tx, command, &job_ids).await?;
    insert_locks(&tx, command, &job_ids).await?;
    insert_dependencies(&tx, command, &job_ids).await?;
    if command.jobs.len() >= ANALYZE_AT {
        // Sees this transaction's own rows, and its statistics take
        // effect with the commit, before the scheduler reads the jobs.
        execute(&tx, "ANALYZE job, step, job_lock, job_dependency", []).await?;
    }
    tx.commit().await?;
    Ok(StoredCommand {
        id,
        jobs: job_ids
            .into_iter()
            .zip(command.jobs.iter().map(|j| j.key.clone()))
            .collect(),
    })
}

/// A command of at least this many jobs has the job tables analysed as it
/// is stored. A bulk load is what PostgreSQL's manual says to follow with
/// `ANALYZE` ("Populating a Database"): measured at a 2,000-OST file
/// system's creation (8,124 jobs, 26,000 locks) on tables never analysed,
/// the planner guessed a job has 183 locks and read every lock of every
/// job for each job the grant pass looked at, about a second a pass, all
/// creation long; autovacuum would analyse them only after its next nap
/// (a minute by default), and not at all where it is off.
const ANALYZE_AT: usize = 1_000;

/// One statement for every job, so a command of thousands of jobs (a
/// 2,000-OST file system is 8,000) is not thousands of round trips. Rows
/// are inserted in the order given (`ORDER BY` the position), and each
/// row's `seq` identity is drawn as it is inserted, so `seq` (submission
/// order) follows the dependency order the request was sorted into.
async fn insert_jobs(tx: &impl ConnectionTrait, id: Uuid, command: &NewCommand, job_ids: &[Uuid]) -> Result<(), DbErr> {
    let keys: Vec<String> = command.jobs.iter().map(|j| j.key.clone()).collect();
    let descriptions: Vec<String> = command.jobs.iter().map(|j| j.description.clone()).collect();
    let step_counts: Vec<i32> = command
        .jobs
        .iter()
        .map(|j| i32::try_from(j.steps.len()).unwrap_or(i32::MAX))
        .collect();
    execute(
        tx,
        "INSERT INTO job (id, command_id, key, description, step_count)
         SELECT j.id, $2, j.key, j.description, j.step_count
         FROM unnest($1::uuid[], $3::text[], $4::text[], $5::int[])
              WITH ORDINALITY AS j(id, key, description, step_count, position)
         ORDER BY j.position",
        [
            job_ids.to_vec().into(),
            id.into(),
            keys.into(),
            descriptions.into(),
            step_counts.into(),
        ],
    )
    .await?;
    Ok(())
}

async fn insert_steps(tx: &impl ConnectionTrait, command: &NewCommand, job_ids: &[Uuid]) -> Result<(), DbErr> {
    let (mut ids, mut jobs, mut idxs, mut actions, mut args) = (vec![], vec![], vec![], vec![], vec![]);
    for (job, job_id) in command.jobs.iter().zip(job_ids) {
        for (i, action) in job.steps.iter().enumerate() {
            ids.push(Uuid::now_v7());
            jobs.push(*job_id);
            idxs.push(i32::try_from(i).unwrap_or(i32::MAX));
            actions.push(action.name().to_owned());
            args.push(action.args());
        }
    }
    execute(
        tx,
        "INSERT INTO step (id, job_id, idx, action, args)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::jsonb[])",
        [ids.into(), jobs.into(), idxs.into(), actions.into(), Value::from(args)],
    )
    .await?;
    Ok(())
}

async fn insert_locks(tx: &impl ConnectionTrait, command: &NewCommand, job_ids: &[Uuid]) -> Result<(), DbErr> {
    let (mut jobs, mut items, mut writes) = (vec![], vec![], vec![]);
    for (job, job_id) in command.jobs.iter().zip(job_ids) {
        for (item, write) in &job.locks {
            jobs.push(*job_id);
            items.push(item.clone());
            writes.push(*write);
        }
    }
    if jobs.is_empty() {
        return Ok(());
    }
    execute(
        tx,
        "INSERT INTO job_lock (job_id, item, write)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::bool[])",
        [jobs.into(), items.into(), writes.into()],
    )
    .await?;
    Ok(())
}

async fn insert_dependencies(tx: &impl ConnectionTrait, command: &NewCommand, job_ids: &[Uuid]) -> Result<(), DbErr> {
    let (mut jobs, mut depends_on) = (vec![], vec![]);
    for (job, job_id) in command.jobs.iter().zip(job_ids) {
        for &w in &job.wait_for {
            jobs.push(*job_id);
            depends_on.push(job_ids[w]);
        }
    }
    if jobs.is_empty() {
        return Ok(());
    }
    execute(
        tx,
        "INSERT INTO job_dependency (job_id, depends_on)
         SELECT * FROM unnest($1::uuid[], $2::uuid[])",
        [jobs.into(), depends_on.into()],
    )
    .await?;
    Ok(())
}

/// Up to `limit` commands still pending or running although none of their
/// jobs is unfinished any more (a crash between finishing the last job and
/// refreshing its command).
pub async fn open_with_jobs_finished(db: &impl ConnectionTrait, limit: i64) -> Result<Vec<Uuid>, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT c.id FROM command c
         WHERE c.state IN ('pending', 'running')
           AND NOT EXISTS (SELECT 1 FROM job j WHERE j.command_id = c.id
                           AND j.state IN ('pending', 'waiting', 'running', 'paused'))
         LIMIT $1",
        [limit.into()],
    )
    .await?;
    rows.iter().map(|r| r.try_get("", "id")).collect()
}

/// How many commands reached a final state.
pub async fn count_finished(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT count(*) AS n FROM command WHERE state IN ('succeeded', 'failed', 'cancelled')",
        [],
    )
    .await?;
    match rows.first() {
        Some(row) => row.try_get("", "n"),
        None => Ok(0),
    }
}

/// How many commands are in each state, by state name (states with none
/// left out).
pub async fn count_by_state(db: &impl ConnectionTrait) -> Result<Vec<(lustre::CommandState, i64)>, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT state, count(*) AS n FROM command GROUP BY state ORDER BY state",
        [],
    )
    .await?;
    rows.iter()
        .map(|row| {
            let state: String = row.try_get("", "state")?;
            let state = lustre::CommandState::parse(&state)
                .ok_or_else(|| DbErr::Type(format!("unknown command state {state:?}")))?;
            Ok((state, row.try_get("", "n")?))
        })
        .collect()
}

/// Command `id`, if it exists.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<crate::entities::command::Model>, DbErr> {
    use sea_orm::EntityTrait;
    crate::entities::command::Entity::find_by_id(id).one(db).await
}

/// A page of commands (all, or those in `state`), by creation time (the
/// newest first when `newest_first`), and how many there are in all.
pub async fn page(
    db: &impl ConnectionTrait,
    state: Option<lustre::CommandState>,
    newest_first: bool,
    limit: u64,
    offset: u64,
) -> Result<(Vec<crate::entities::command::Model>, u64), DbErr> {
    use crate::entities::command;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
    let mut select = command::Entity::find();
    if let Some(state) = state {
        select = select.filter(command::Column::State.eq(state.as_str()));
    }
    let total = select.clone().count(db).await?;
    let order = if newest_first {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    let commands = select
        .order_by(command::Column::CreatedAt, order.clone())
        .order_by(command::Column::Id, order)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok((commands, total))
}
