use sea_orm_migration::prelude::*;

/// A step row is updated three times on its way (queued, running,
/// finished) and its heartbeat every second while it runs. An index that
/// mentions `state` (as a column or in a predicate) makes every one of those
/// updates rewrite every index of the table. Without such indexes, and with
/// free room left in each page, PostgreSQL updates the row in place (HOT).
/// The recovery sweeps reach active steps through the running jobs instead.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
DROP INDEX step_queued;
DROP INDEX step_in_flight;
ALTER TABLE step SET (fillfactor = 70);
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
ALTER TABLE step RESET (fillfactor);
CREATE INDEX step_in_flight ON step (job_id) WHERE state IN ('queued', 'running');
CREATE INDEX step_queued ON step (queued_at) WHERE state = 'queued';
"#,
        )
        .await
    }
}
