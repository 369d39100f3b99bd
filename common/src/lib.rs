//! Shared vocabulary of Chroma's processes: domain states, step actions,
//! message schemas, broker topology names, configuration and telemetry.
//! Nothing here performs I/O except reading the environment at start-up.

pub mod actions;
pub mod config;
pub mod domain;
pub mod envelope;
pub mod format;
pub mod items;
pub mod llog;
pub mod lnet;
pub mod messages;
pub mod pacemaker;
pub mod params;
pub mod plan;
pub mod preflight;
pub mod shutdown;
pub mod states;
pub mod submission;
pub mod telemetry;
pub mod topology;
pub mod zfs;

pub use actions::Action;
pub use config::Settings;
pub use items::Item;
pub use states::{CommandState, JobState, StepState};
