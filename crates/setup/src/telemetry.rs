//! One tracing set-up for every binary: `RUST_LOG`-style filter with an
//! INFO default, JSON lines when `CHROMA_LOG_FORMAT=json`.

use tracing_subscriber::{fmt, EnvFilter};

/// The filter without `RUST_LOG`: INFO, and only warnings from the
/// database and broker libraries.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,lapin=warn,sea_orm=warn";

/// Installs the global subscriber as the environment says (`RUST_LOG`,
/// `CHROMA_LOG_FORMAT`); later calls are ignored. For tests and tools; the
/// services use [`init_with`] and their settings.
pub fn init() {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| DEFAULT_FILTER.to_owned());
    init_with(&filter, std::env::var("CHROMA_LOG_FORMAT").is_ok_and(|f| f == "json"));
}

/// Installs the global subscriber with `filter` (the default one if it
/// does not parse), as JSON lines if `json`; later calls are ignored.
pub fn init_with(filter: &str, json: bool) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // Err only means a subscriber is already installed (tests, embedding).
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
