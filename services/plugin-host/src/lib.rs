//! Storage plugins: the protocol (docs/plugins.md), the checks every
//! answer passes, the plugin processes, and the service that runs them and
//! stores what they report.

pub mod metrics;
pub mod process;
pub mod protocol;
pub mod sandbox;
pub mod service;
pub mod share;
pub mod validate;
