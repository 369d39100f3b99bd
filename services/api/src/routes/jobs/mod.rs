//! `/api/job`: list and show jobs; cancel, pause and resume them.

pub mod control;
pub mod get;
pub mod list;
