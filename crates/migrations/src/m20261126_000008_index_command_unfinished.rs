use sea_orm_migration::prelude::*;

/// The recovery sweep looks for unfinished commands whose jobs all
/// finished; keep that lookup off the command history.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "CREATE INDEX command_unfinished ON command (created_at) WHERE state IN ('pending', 'running')",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "DROP INDEX command_unfinished").await
    }
}
