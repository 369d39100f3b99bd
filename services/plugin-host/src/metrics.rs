//! What the plugin host counts, exported on its ops endpoint's `/metrics`
//! (see `setup::ops`). The `plugin` label takes the names of the installed
//! plugins only (their manifests' names, checked as plugin names).

use setup::ops::prometheus::{self, IntCounterVec, Opts};
use setup::ops::Health;

/// The plugin host's counters.
pub struct Metrics {
    /// Calls to plugins by plugin, call (`detect`, `monitor`) and outcome
    /// (`ok`, `failed`).
    pub polls: IntCounterVec,
    /// Restarts of a plugin after it failed, by plugin.
    pub restarts: IntCounterVec,
}

impl Metrics {
    /// Registers the plugin host's metrics on `health`'s registry.
    pub fn new(health: &Health) -> Result<Self, prometheus::Error> {
        Ok(Self {
            polls: health.register(IntCounterVec::new(
                Opts::new(
                    "chroma_plugin_polls_total",
                    "Detect and monitor calls to storage plugins, by plugin, call and outcome (ok, failed)",
                ),
                &["plugin", "call", "outcome"],
            )?)?,
            restarts: health.register(IntCounterVec::new(
                Opts::new(
                    "chroma_plugin_restarts_total",
                    "Restarts of storage plugins after they failed, by plugin",
                ),
                &["plugin"],
            )?)?,
        })
    }

    /// Counts one call's outcome.
    pub fn polled(&self, plugin: &str, call: &str, done: &anyhow::Result<()>) {
        let outcome = if done.is_ok() { "ok" } else { "failed" };
        self.polls.with_label_values(&[plugin, call, outcome]).inc();
    }
}
