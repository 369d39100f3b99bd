use sea_orm_migration::prelude::*;

/// Whether a quota's usage as last read is inaccurate: `lfs quota` printed
/// a value in brackets because a target (an OST that is down) did not
/// answer, so the figure lacks its share.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "ALTER TABLE quota ADD COLUMN inaccurate boolean NOT NULL DEFAULT false;",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "ALTER TABLE quota DROP COLUMN inaccurate;").await
    }
}
