//! Names of every exchange and queue, derived from one prefix so several
//! installations (and parallel tests) can share a broker.

/// The broker objects of one installation.
#[derive(Debug, Clone)]
pub struct Topology {
    /// Quorum queue of scheduler notifications (`JobsSubmitted`, `Kick`).
    pub jobs: String,
    /// Quorum queue of `StepMessage`s, one per step to run.
    pub steps: String,
    /// Quorum queue of `StepsFinished` notifications from workers.
    pub results: String,
    /// Exchange that receives steps that exceeded the delivery limit.
    pub dead_letter_exchange: String,
    /// Queue bound to the dead-letter exchange, consumed by the scheduler.
    pub dead_steps: String,
}

impl Topology {
    /// Names every object after `prefix`.
    pub fn new(prefix: &str) -> Self {
        Self {
            jobs: format!("{prefix}.jobs"),
            steps: format!("{prefix}.steps"),
            results: format!("{prefix}.results"),
            dead_letter_exchange: format!("{prefix}.dlx"),
            dead_steps: format!("{prefix}.steps.dead"),
        }
    }
}
