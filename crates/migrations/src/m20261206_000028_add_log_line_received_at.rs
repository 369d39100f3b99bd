use sea_orm_migration::prelude::*;

/// When Chroma stored each log line, by its own clock: lines expire by it,
/// not by the time a server claims (`at`), which a wrong clock on a
/// server would push into the past or the future (docs/data.md,
/// "Retention"). Lines stored before it count as received now, when the
/// migration runs: their server's time cannot be trusted for them either,
/// and a clock that was behind would have the first retention run delete
/// them at once.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "ALTER TABLE log_line ADD COLUMN received_at timestamptz NOT NULL DEFAULT now();
             CREATE INDEX log_line_received_at ON log_line (received_at);",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "ALTER TABLE log_line DROP COLUMN received_at;").await
    }
}
