//! The JSON API's shape, written once: the bodies `/api` answers with and
//! accepts. The API serves them, `store` builds the read models among them
//! from the database, and the CLI reads them.

pub mod alert_delivery;
pub mod alerts;
pub mod client_mounts;
pub mod commands;
pub mod data;
pub mod envelope;
pub mod events;
pub mod filesystems;
pub mod ha;
pub mod hosts;
pub mod hsm;
pub mod locks;
pub mod logs;
pub mod ost_pools;
pub mod pages;
pub mod planning;
pub mod quotas;
pub mod storage;
pub mod targets;
pub mod users;
pub mod volumes;
