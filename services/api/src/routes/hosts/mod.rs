//! `/api/host`: add servers and list them.

pub mod change;
pub mod create;
pub mod list;
pub mod lnet;
pub mod scan;

pub use api_types::hosts::HostView;
