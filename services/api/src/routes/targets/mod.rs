//! `/api/target`: MGTs, MDTs and OSTs, their states, and changing them.

pub mod change;
pub mod list;

pub use api_types::targets::TargetView;
