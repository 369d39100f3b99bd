//! The Lustre domain, without I/O: the states of servers, LNet, targets and
//! file systems and what each may become, the step actions, the route
//! planner that turns a request into jobs, persistent parameters, the MGS
//! configuration logs, Pacemaker's XML and the CIB elements Chroma
//! creates, LNet networks, ZFS names, format options, pre-flight checks,
//! and the references to objects that jobs lock and alerts are about.
//! Nothing here runs a process, opens a socket or needs tokio; the
//! `openapi` feature adds the OpenAPI schemas of the types the API shows.

pub mod actions;
pub mod data;
pub mod domain;
pub mod format;
pub mod hsm;
pub mod items;
pub mod llog;
pub mod lnet;
pub mod mounts;
pub mod pacemaker;
pub mod params;
pub mod plan;
pub mod preflight;
pub mod quota;
pub mod states;
pub mod submission;
pub mod zfs;

pub use actions::Action;
pub use items::Item;
pub use states::{CommandState, JobState, StepState};
