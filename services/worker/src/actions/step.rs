//! The step attempt an action runs for, and the fence on what it records.
//! A worker that lost its step (its heartbeat went stale and another worker
//! claimed the next attempt) may still be running the action; what it saw
//! is old news then, so its state writes must not land. Every recording
//! write of an action goes through [`update`], which passes the store the
//! fence that the step is still `running` this attempt.

use sea_orm::{ConnectionTrait, DbErr};
use std::future::Future;
use store::steps::Fence;
use uuid::Uuid;

use crate::error::{db_error, ActionError};

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
    pub fn taken_over(&self) -> ActionError {
        ActionError::TakenOver {
            step_id: self.step_id,
            attempt: self.attempt,
        }
    }

    fn fence(self) -> Fence {
        Fence {
            step_id: self.step_id,
            attempt: self.attempt,
        }
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

/// Runs the recording write `write`, given the fence of the current
/// attempt (`None` outside a step), and returns how many rows it changed.
/// When nothing changed because the attempt is stale, fails with
/// [`StepAttempt::taken_over`]; `what` names the write in other errors.
pub async fn update<C, W, F>(db: &C, what: &'static str, write: W) -> Result<u64, ActionError>
where
    C: ConnectionTrait,
    W: FnOnce(Option<Fence>) -> F,
    F: Future<Output = Result<u64, DbErr>>,
{
    let step = current();
    let changed = write(step.map(StepAttempt::fence)).await.map_err(db_error(what))?;
    if let Some(step) = step {
        if changed == 0 && !owns(db, step).await? {
            return Err(step.taken_over());
        }
    }
    Ok(changed)
}

/// Whether `step` is still running this attempt.
async fn owns(db: &impl ConnectionTrait, step: StepAttempt) -> Result<bool, ActionError> {
    store::steps::is_running_attempt(db, step.fence())
        .await
        .map_err(db_error("read the step"))
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
            step.taken_over().to_string(),
            format!("attempt 3 of step {} was taken over; not recording", Uuid::nil())
        );
    }
}
