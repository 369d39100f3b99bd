//! The database schema, as sea-orm migrations: the only place DDL lives.

pub use sea_orm_migration::prelude::*;
pub use sea_orm_migration::MigrationStatus;

mod m20261126_000001_create_command;
mod m20261126_000002_create_job;
mod m20261126_000003_create_step;
mod m20261126_000004_create_job_lock;
mod m20261126_000005_create_job_dependency;
mod m20261126_000006_index_step_in_flight;
mod m20261126_000007_hot_step_updates;
mod m20261126_000008_index_command_unfinished;
mod m20261126_000009_create_host_and_volume;
mod m20261126_000010_create_filesystem_and_target;
mod m20261126_000011_add_target_format_marker;
mod m20261126_000012_create_user_token_event;
mod m20261126_000013_notify_changes;
mod m20261126_000014_create_monitoring;
mod m20261126_000015_create_user_preference;
mod m20261126_000016_create_storage;
mod m20261206_000017_create_ha_cluster;
mod m20261206_000018_add_host_preflight;
mod m20261206_000020_real_servers;
mod m20261206_000021_add_target_format_options;
mod m20261206_000022_add_target_backfstype;
mod m20261206_000023_drop_job_failed_alert;
mod m20261206_000024_drop_command_outcome_event;
mod m20261206_000025_define_change_stream;
mod m20261206_000026_define_state_events;
mod m20261206_000028_add_log_line_received_at;
mod m20261206_000030_add_step_cancelling;
mod m20261206_000031_hide_failed_login_names;
mod m20261206_000032_add_target_drained;
mod m20261206_000033_create_ost_pool;
mod m20261206_000034_create_client_mount;
mod m20261206_000035_create_quota;
mod m20261206_000036_create_copytool;
mod m20261206_000037_create_data_layout;
mod m20261207_000038_add_copytool_restarts;
mod m20261207_000039_add_quota_inaccurate;
mod m20261207_000040_create_alert_subscription;
mod m20261207_000041_add_client_mount_wanted;
mod m20261207_000042_add_quota_grace;
mod m20261207_000043_partition_metric_raw;
mod m20261207_000044_create_work_lease;
mod m20261207_000045_cover_metric_rollups;
mod m20261207_000046_add_job_lock_released;

/// The last migration of the previous release: the schema an upgrade
/// starts from, which tests/tests/upgrade.rs seeds and upgrades. Chroma
/// has no tagged release yet; until it does, the previous release is the
/// tree as issue 17 (data management) left it, commit 94cc3ca, the last
/// before the deployment work (packages, containers, `chroma-api
/// migrate`) made Chroma installable. Move this to the newest migration
/// of each release as it is tagged.
pub const PREVIOUS_RELEASE_LAST_MIGRATION: &str = "m20261206_000037_create_data_layout";

/// Runs one or more SQL statements: every schema change here is plain DDL.
async fn run_sql(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    manager.get_connection().execute_unprepared(sql).await.map(|_| ())
}

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_command::Migration),
            Box::new(m20261126_000002_create_job::Migration),
            Box::new(m20261126_000003_create_step::Migration),
            Box::new(m20261126_000004_create_job_lock::Migration),
            Box::new(m20261126_000005_create_job_dependency::Migration),
            Box::new(m20261126_000006_index_step_in_flight::Migration),
            Box::new(m20261126_000007_hot_step_updates::Migration),
            Box::new(m20261126_000008_index_command_unfinished::Migration),
            Box::new(m20261126_000009_create_host_and_volume::Migration),
            Box::new(m20261126_000010_create_filesystem_and_target::Migration),
            Box::new(m20261126_000011_add_target_format_marker::Migration),
            Box::new(m20261126_000012_create_user_token_event::Migration),
            Box::new(m20261126_000013_notify_changes::Migration),
            Box::new(m20261126_000014_create_monitoring::Migration),
            Box::new(m20261126_000015_create_user_preference::Migration),
            Box::new(m20261126_000016_create_storage::Migration),
            Box::new(m20261206_000017_create_ha_cluster::Migration),
            Box::new(m20261206_000018_add_host_preflight::Migration),
            Box::new(m20261206_000020_real_servers::Migration),
            Box::new(m20261206_000021_add_target_format_options::Migration),
            Box::new(m20261206_000022_add_target_backfstype::Migration),
            Box::new(m20261206_000023_drop_job_failed_alert::Migration),
            Box::new(m20261206_000024_drop_command_outcome_event::Migration),
            Box::new(m20261206_000025_define_change_stream::Migration),
            Box::new(m20261206_000026_define_state_events::Migration),
            Box::new(m20261206_000028_add_log_line_received_at::Migration),
            Box::new(m20261206_000030_add_step_cancelling::Migration),
            Box::new(m20261206_000031_hide_failed_login_names::Migration),
            Box::new(m20261206_000032_add_target_drained::Migration),
            Box::new(m20261206_000033_create_ost_pool::Migration),
            Box::new(m20261206_000034_create_client_mount::Migration),
            Box::new(m20261206_000035_create_quota::Migration),
            Box::new(m20261206_000036_create_copytool::Migration),
            Box::new(m20261206_000037_create_data_layout::Migration),
            Box::new(m20261207_000038_add_copytool_restarts::Migration),
            Box::new(m20261207_000039_add_quota_inaccurate::Migration),
            Box::new(m20261207_000040_create_alert_subscription::Migration),
            Box::new(m20261207_000041_add_client_mount_wanted::Migration),
            Box::new(m20261207_000042_add_quota_grace::Migration),
            Box::new(m20261207_000043_partition_metric_raw::Migration),
            Box::new(m20261207_000044_create_work_lease::Migration),
            Box::new(m20261207_000045_cover_metric_rollups::Migration),
            Box::new(m20261207_000046_add_job_lock_released::Migration),
        ]
    }
}
