//! What every Chroma process does at start and stop: typed settings read
//! from the environment, one tracing set-up, an undumpable process, and
//! graceful shutdown on SIGTERM or Ctrl-C.

pub mod config;
pub mod process;
pub mod shutdown;
pub mod telemetry;

pub use config::Settings;
