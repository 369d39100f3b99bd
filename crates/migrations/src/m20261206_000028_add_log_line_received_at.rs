use sea_orm_migration::prelude::*;

/// When Chroma stored each log line, by its own clock: lines expire by it,
/// not by the time a server claims (`at`), which a wrong clock on a
/// server would push into the past or the future (docs/data.md,
/// "Retention"). Lines stored before it count as received at their
/// server's time, or now if that is in the future.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "ALTER TABLE log_line ADD COLUMN received_at timestamptz;
             UPDATE log_line SET received_at = least(at, now());
             ALTER TABLE log_line ALTER COLUMN received_at SET DEFAULT now(),
                                  ALTER COLUMN received_at SET NOT NULL;
             CREATE INDEX log_line_received_at ON log_line (received_at);",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "ALTER TABLE log_line DROP COLUMN received_at;").await
    }
}
