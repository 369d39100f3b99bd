//! What the API shows of commands, jobs and steps: the types are
//! `api_types`'; this builds them from the stored rows.

pub use api_types::commands::{CommandView, JobView, LockView, StepView};
pub use api_types::pages::{Page, PageMeta};
use store::entities::{command, job, step};

/// A step as shown inside a job.
pub fn step(s: step::Model) -> StepView {
    StepView {
        id: s.id,
        index: s.idx,
        action: s.action,
        args: s.args,
        state: s.state,
        attempts: s.attempts,
        worker: s.worker,
        queued_at: s.queued_at,
        started_at: s.started_at,
        finished_at: s.finished_at,
        output: s.output,
        error: s.error,
    }
}

/// A job without its details.
pub fn job_summary(j: job::Model) -> JobView {
    JobView {
        id: j.id,
        command: j.command_id,
        key: j.key,
        description: j.description,
        state: j.state,
        error: j.error,
        created_at: j.created_at,
        started_at: j.started_at,
        finished_at: j.finished_at,
        steps: None,
        locks: None,
        wait_for: None,
    }
}

/// A command shown with `jobs`.
pub fn command(c: command::Model, jobs: Vec<JobView>) -> CommandView {
    CommandView {
        id: c.id,
        message: c.message,
        state: c.state,
        created_at: c.created_at,
        finished_at: c.finished_at,
        jobs,
    }
}
