//! What the scheduler counts, exported on its ops endpoint's `/metrics`
//! (see `setup::ops`). Labels take a few fixed values only.

use setup::ops::prometheus::{self, Histogram, HistogramOpts, IntCounter, IntCounterVec, Opts};
use setup::ops::Health;

/// The scheduler's counters and histograms.
pub struct Metrics {
    /// Step messages published to the steps queue.
    pub steps_dispatched: IntCounter,
    /// Step messages whose publication failed (kept in the outbox).
    pub publish_failures: IntCounter,
    /// Steps reported finished by workers.
    pub results: IntCounter,
    /// How long each grant pass took.
    pub grant_pass: Histogram,
    /// How long each recovery sweep took.
    pub sweep: Histogram,
    /// Steps a sweep queued again, by why (`unstarted`: queued but never
    /// started; `silent_worker`: running with no heartbeat).
    pub requeued: IntCounterVec,
    /// `cancelling` steps ended because their worker went silent.
    pub cancels_abandoned: IntCounter,
    /// Dead letters by what came of them (`failed`: the step failed;
    /// `ignored`: not the step's own delivery).
    pub dead_letters: IntCounterVec,
}

impl Metrics {
    /// Registers the scheduler's metrics on `health`'s registry.
    pub fn new(health: &Health) -> Result<Self, prometheus::Error> {
        let counter = |name: &str, help: &str| health.register(IntCounter::new(name, help)?);
        let counters =
            |name: &str, help: &str, label: &str| health.register(IntCounterVec::new(Opts::new(name, help), &[label])?);
        let seconds = |name: &str, help: &str| health.register(Histogram::with_opts(HistogramOpts::new(name, help))?);
        let metrics = Self {
            steps_dispatched: counter(
                "chroma_scheduler_steps_dispatched_total",
                "Step messages published to the steps queue",
            )?,
            publish_failures: counter(
                "chroma_scheduler_publish_failures_total",
                "Publications of step messages that failed and were kept for a retry",
            )?,
            results: counter(
                "chroma_scheduler_step_results_total",
                "Finished steps reported by workers",
            )?,
            grant_pass: seconds(
                "chroma_scheduler_grant_pass_duration_seconds",
                "How long a grant pass took",
            )?,
            sweep: seconds(
                "chroma_scheduler_sweep_duration_seconds",
                "How long a recovery sweep took",
            )?,
            requeued: counters(
                "chroma_scheduler_steps_requeued_total",
                "Steps the recovery sweep queued again, by reason (unstarted, silent_worker)",
                "reason",
            )?,
            cancels_abandoned: counter(
                "chroma_scheduler_cancels_abandoned_total",
                "Cancelling steps ended because their worker stopped heartbeating",
            )?,
            dead_letters: counters(
                "chroma_scheduler_dead_letters_total",
                "Dead-lettered step messages by outcome (failed, ignored)",
                "outcome",
            )?,
        };
        // Each label value shows from the start, at 0.
        for reason in ["unstarted", "silent_worker"] {
            metrics.requeued.with_label_values(&[reason]);
        }
        for outcome in ["failed", "ignored"] {
            metrics.dead_letters.with_label_values(&[outcome]);
        }
        Ok(metrics)
    }
}
