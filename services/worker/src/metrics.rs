//! What a worker counts, exported on its ops endpoint's `/metrics` (see
//! `setup::ops`). Labels take a few fixed values only: outcomes, and
//! action names from the fixed set of [`lustre::Action`].

use setup::ops::prometheus::{self, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts};
use setup::ops::Health;

/// Step durations run from a no-op's milliseconds to a format's hour.
const STEP_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
];

/// The outcomes a step attempt ends with here.
pub const OUTCOMES: [&str; 3] = ["succeeded", "failed", "interrupted"];

/// A worker's counters, gauges and histograms.
pub struct Metrics {
    /// Step attempts ended here, by outcome.
    pub steps: IntCounterVec,
    /// How long each step attempt's action ran, by action.
    pub step_duration: HistogramVec,
    /// Actions running now.
    pub running: IntGauge,
    /// Heartbeats that failed or went unanswered.
    pub heartbeat_failures: IntCounter,
}

impl Metrics {
    /// Registers a worker's metrics on `health`'s registry.
    pub fn new(health: &Health) -> Result<Self, prometheus::Error> {
        let metrics = Self {
            steps: health.register(IntCounterVec::new(
                Opts::new(
                    "chroma_worker_steps_total",
                    "Step attempts this worker ended, by outcome (succeeded, failed, interrupted)",
                ),
                &["outcome"],
            )?)?,
            step_duration: health.register(HistogramVec::new(
                HistogramOpts::new(
                    "chroma_worker_step_duration_seconds",
                    "How long step actions ran on this worker, by action",
                )
                .buckets(STEP_BUCKETS.to_vec()),
                &["action"],
            )?)?,
            running: health.register(IntGauge::new(
                "chroma_worker_steps_running",
                "Step actions running on this worker now",
            )?)?,
            heartbeat_failures: health.register(IntCounter::new(
                "chroma_worker_heartbeat_failures_total",
                "Heartbeats of running steps that failed or were not answered in time",
            )?)?,
        };
        for outcome in OUTCOMES {
            metrics.steps.with_label_values(&[outcome]);
        }
        Ok(metrics)
    }
}
