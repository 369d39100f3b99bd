//! `/api/target`: MGTs, MDTs and OSTs, their states, and changing them:
//! adding one to a live file system, draining and removing an OST.

pub mod add;
pub mod change;
pub mod checks;
pub mod drain;
pub mod list;

pub use api_types::targets::TargetView;
