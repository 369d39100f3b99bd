//! One tracing set-up for every binary: `RUST_LOG`-style filter with an
//! INFO default, JSON lines when `CHROMA_LOG_FORMAT=json`.

use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber; later calls are ignored.
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,lapin=warn,sea_orm=warn"));
    let json = std::env::var("CHROMA_LOG_FORMAT").is_ok_and(|f| f == "json");
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // Err only means a subscriber is already installed (tests, embedding).
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
