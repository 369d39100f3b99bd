//! Data access shared by the API, the scheduler and the workers: sea-orm
//! entities for reading, and the small query functions that change job
//! state inside transactions. PostgreSQL is the source of truth.

pub mod alerts;
pub mod commands;
pub mod connect;
pub mod control;
pub mod domain;
pub mod entities;
pub mod metric_query;
pub mod metrics;
pub mod preferences;
pub mod sql;
pub mod storage;
pub mod users;

pub use connect::{connect, connect_patiently, ensure_database};
pub use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};
