use sea_orm_migration::prelude::*;

/// A target's back end (`ldiskfs`, or `zfs`: a dataset in the pool
/// `zpool` built on its volume).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "ALTER TABLE target
                 ADD COLUMN backfstype text NOT NULL DEFAULT 'ldiskfs' CHECK (backfstype IN ('ldiskfs', 'zfs')),
                 ADD COLUMN zpool text,
                 ADD CONSTRAINT target_zpool_with_zfs CHECK ((backfstype = 'zfs') = (zpool IS NOT NULL));",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "ALTER TABLE target DROP CONSTRAINT target_zpool_with_zfs, DROP COLUMN zpool, DROP COLUMN backfstype;",
        )
        .await
    }
}
