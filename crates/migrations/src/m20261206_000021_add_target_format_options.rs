use sea_orm_migration::prelude::*;

/// The ldiskfs options a target was created with (`{"inode_size",
/// "bytes_per_inode", "raid_stride", "raid_stripe_width"}`, all optional),
/// passed to `mke2fs` through `mkfs.lustre --mkfsoptions`; null for none.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "ALTER TABLE target ADD COLUMN format_options jsonb;").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "ALTER TABLE target DROP COLUMN format_options;").await
    }
}
