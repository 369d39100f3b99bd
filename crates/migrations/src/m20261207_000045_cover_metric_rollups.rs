use sea_orm_migration::prelude::*;

/// The heat map at 2,000 OSTs (issue 19): a chart reads each series' time
/// range of `metric_minute` or `metric_hour` by primary key
/// `(series_id, at)`, and at 2,000 OSTs over an hour that is 120,000 rows,
/// each one a visit to the table's page for `value`.
///
/// - The primary keys of `metric_minute` and `metric_hour` also carry
///   `value` (`INCLUDE (value)`), so that those reads are index-only scans
///   and do not visit the table where its pages are all visible. The key
///   columns, and so `ON CONFLICT (series_id, at)`, are unchanged.
/// - Autovacuum visits both tables after every 20,000 inserted rows
///   rather than after a fifth of the table (for 35 days of minutes, a
///   week), so that the visibility map, which index-only scans rely
///   on, covers all but the newest minutes (at 2,000 OSTs, 8,000 series: the
///   last two or three).
///
/// Rebuilding a key holds the table's lock while it reads the table: at a
/// site with a month of minutes, expect the migration to take a while.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "ALTER TABLE metric_minute DROP CONSTRAINT metric_minute_pkey,
                 ADD CONSTRAINT metric_minute_pkey PRIMARY KEY (series_id, at) INCLUDE (value);
             ALTER TABLE metric_hour DROP CONSTRAINT metric_hour_pkey,
                 ADD CONSTRAINT metric_hour_pkey PRIMARY KEY (series_id, at) INCLUDE (value);
             ALTER TABLE metric_minute SET (autovacuum_vacuum_insert_scale_factor = 0,
                                            autovacuum_vacuum_insert_threshold = 20000);
             ALTER TABLE metric_hour SET (autovacuum_vacuum_insert_scale_factor = 0,
                                          autovacuum_vacuum_insert_threshold = 20000);",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "ALTER TABLE metric_minute RESET (autovacuum_vacuum_insert_scale_factor,
                                              autovacuum_vacuum_insert_threshold);
             ALTER TABLE metric_hour RESET (autovacuum_vacuum_insert_scale_factor,
                                            autovacuum_vacuum_insert_threshold);
             ALTER TABLE metric_minute DROP CONSTRAINT metric_minute_pkey,
                 ADD CONSTRAINT metric_minute_pkey PRIMARY KEY (series_id, at);
             ALTER TABLE metric_hour DROP CONSTRAINT metric_hour_pkey,
                 ADD CONSTRAINT metric_hour_pkey PRIMARY KEY (series_id, at);",
        )
        .await
    }
}
