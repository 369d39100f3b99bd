//! What the monitor counts, exported on its ops endpoint's `/metrics`
//! (see `setup::ops`). Labels take a few fixed values only.

use setup::ops::prometheus::{self, Histogram, HistogramOpts, HistogramVec, IntCounterVec, Opts};
use setup::ops::Health;

/// Rounds take from well under a second to several polls' timeouts.
const ROUND_BUCKETS: &[f64] = &[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0];

/// The monitor's counters and histograms.
pub struct Metrics {
    /// How long each round took (polling every server and recording).
    pub round: Histogram,
    /// How long each part of a round took: `poll` (every server read at
    /// once), `record` (what they said, written to the database) and
    /// `observe` (quotas, copytools, client mounts and parameters).
    pub round_phase: HistogramVec,
    /// Rounds by outcome (`ok`, `failed`).
    pub rounds: IntCounterVec,
    /// Server polls by outcome (`ok`, `unreachable`, `key_changed`).
    pub polls: IntCounterVec,
}

impl Metrics {
    /// Registers the monitor's metrics on `health`'s registry.
    pub fn new(health: &Health) -> Result<Self, prometheus::Error> {
        let metrics = Self {
            round: health.register(Histogram::with_opts(
                HistogramOpts::new(
                    "chroma_monitor_round_duration_seconds",
                    "How long a monitoring round took: polling every server and recording what it read",
                )
                .buckets(ROUND_BUCKETS.to_vec()),
            )?)?,
            round_phase: health.register(HistogramVec::new(
                HistogramOpts::new(
                    "chroma_monitor_round_phase_duration_seconds",
                    "How long each part of a monitoring round took (inventory: reading the servers and renewing this monitor's share; poll; record; observe)",
                )
                .buckets(ROUND_BUCKETS.to_vec()),
                &["phase"],
            )?)?,
            rounds: health.register(IntCounterVec::new(
                Opts::new(
                    "chroma_monitor_rounds_total",
                    "Monitoring rounds by outcome (ok, failed)",
                ),
                &["outcome"],
            )?)?,
            polls: health.register(IntCounterVec::new(
                Opts::new(
                    "chroma_monitor_polls_total",
                    "Polls of managed servers by outcome (ok, unreachable, key_changed)",
                ),
                &["outcome"],
            )?)?,
        };
        for outcome in ["ok", "failed"] {
            metrics.rounds.with_label_values(&[outcome]);
        }
        for phase in ["inventory", "poll", "record", "observe"] {
            metrics.round_phase.with_label_values(&[phase]);
        }
        for outcome in ["ok", "unreachable", "key_changed"] {
            metrics.polls.with_label_values(&[outcome]);
        }
        Ok(metrics)
    }
}
