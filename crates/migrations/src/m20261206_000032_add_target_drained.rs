use sea_orm_migration::prelude::*;

/// Whether an OST is drained: its MDTs create no new objects on it
/// (`osp.*.max_create_count=0`, set persistently on the MGS); and whether a
/// target Chroma added has never registered with its MGS (its index, then,
/// was never taken there and is free again once it is removed).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "ALTER TABLE target ADD COLUMN drained boolean NOT NULL DEFAULT false,
                 ADD CONSTRAINT target_drained_ost CHECK (NOT drained OR kind = 'ost'),
                 ADD COLUMN never_registered boolean NOT NULL DEFAULT false;",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "ALTER TABLE target DROP COLUMN never_registered, DROP CONSTRAINT target_drained_ost, DROP COLUMN drained;",
        )
        .await
    }
}
