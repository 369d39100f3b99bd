//! `/api/command`: submit, list, show and cancel commands.

pub mod cancel;
pub mod create;
pub mod get;
pub mod list;
