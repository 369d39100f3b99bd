//! The step attempt an action runs for, and the fence on what it records.
//! A worker that lost its step (its heartbeat went stale and another worker
//! claimed the next attempt) may still be running the action; what it saw
//! is old news then, so its state writes must not land. Every recording
//! `UPDATE` of an action goes through [`update`], which adds the condition
//! that the step is still `running` this attempt.

use sea_orm::{ConnectionTrait, Value};
use std::future::Future;
use uuid::Uuid;

use super::servers::db_error;
use store::sql::{execute, query};

/// The claim an action runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepAttempt {
    pub step_id: Uuid,
    pub attempt: i32,
}

tokio::task_local! {
    static STEP: StepAttempt;
}

impl StepAttempt {
    /// The error of a write refused because this attempt is stale.
    pub fn taken_over(&self) -> String {
        format!(
            "attempt {} of step {} was taken over; not recording",
            self.attempt, self.step_id
        )
    }
}

/// Runs `work` as attempt `step`: its recording statements are fenced.
pub async fn scope<F: Future>(step: StepAttempt, work: F) -> F::Output {
    STEP.scope(step, work).await
}

/// The attempt the current task runs for; `None` outside a step (an action
/// called directly, as unit tests do), where writes are not fenced.
pub fn current() -> Option<StepAttempt> {
    STEP.try_with(|step| *step).ok()
}

/// Runs the `UPDATE … WHERE …` statement `sql`, which must end with its
/// condition (the fence is appended to it), and returns how many rows it
/// changed. When nothing
/// changed because the attempt is stale, fails with
/// [`StepAttempt::taken_over`]; `what` names the write in other errors.
pub async fn update(
    db: &impl ConnectionTrait,
    what: &'static str,
    sql: &str,
    mut values: Vec<Value>,
) -> Result<u64, String> {
    let Some(step) = current() else {
        return execute(db, sql, values).await.map_err(db_error(what));
    };
    let fenced = format!(
        "{sql} AND EXISTS (SELECT 1 FROM step WHERE id = ${} AND attempts = ${} AND state = 'running')",
        values.len() + 1,
        values.len() + 2
    );
    values.extend([step.step_id.into(), step.attempt.into()]);
    let changed = execute(db, &fenced, values).await.map_err(db_error(what))?;
    if changed == 0 && !owns(db, step).await? {
        return Err(step.taken_over());
    }
    Ok(changed)
}

/// Whether `step` is still running this attempt.
async fn owns(db: &impl ConnectionTrait, step: StepAttempt) -> Result<bool, String> {
    let rows = query(
        db,
        "SELECT 1 AS one FROM step WHERE id = $1 AND attempts = $2 AND state = 'running'",
        [step.step_id.into(), step.attempt.into()],
    )
    .await
    .map_err(db_error("read the step"))?;
    Ok(!rows.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_attempt_is_known_only_inside_its_scope() {
        let step = StepAttempt {
            step_id: Uuid::nil(),
            attempt: 3,
        };
        assert_eq!(current(), None);
        assert_eq!(scope(step, async { current() }).await, Some(step));
        assert_eq!(
            step.taken_over(),
            format!("attempt 3 of step {} was taken over; not recording", Uuid::nil())
        );
    }
}
