//! What every Chroma process does at start and stop: typed settings read
//! from the environment, one tracing set-up, an undumpable process, and
//! graceful shutdown on SIGTERM or Ctrl-C, and the ops endpoint (liveness,
//! readiness, metrics, systemd notifications).

pub mod args;
pub mod config;
pub mod ops;
pub mod process;
pub mod shutdown;
pub mod telemetry;

pub use args::SettingsArgs;
pub use config::Settings;
