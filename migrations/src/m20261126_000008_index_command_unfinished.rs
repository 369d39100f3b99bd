use sea_orm_migration::prelude::*;

/// The recovery sweep looks for unfinished commands whose jobs all
/// finished; keep that lookup off the command history.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX command_unfinished ON command (created_at) WHERE state IN ('pending', 'running')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX command_unfinished")
            .await?;
        Ok(())
    }
}
