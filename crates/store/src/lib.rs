//! Data access shared by the API, the scheduler and the workers: sea-orm
//! entities for reading, and the small query functions that change job
//! state inside transactions. PostgreSQL is the source of truth.

pub mod alert_delivery;
pub mod alerts;
pub mod client_mounts;
pub mod commands;
pub mod connect;
pub mod control;
pub mod data_layouts;
pub mod domain;
pub mod entities;
pub mod events;
pub mod filesystems;
pub mod ha;
pub mod hosts;
pub mod hsm;
pub mod jobs;
pub mod leases;
pub mod login_failures;
pub mod logs;
pub mod metric_partitions;
pub mod metric_query;
pub mod metrics;
pub mod ost_pools;
pub mod params;
pub mod preferences;
pub mod quotas;
pub mod retention;
pub mod sql;
pub mod steps;
pub mod storage;
pub mod targets;
pub mod users;
pub mod volumes;

pub use connect::{connect, connect_patiently, ensure_database, is_unavailable, lock_schema};
pub use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};
