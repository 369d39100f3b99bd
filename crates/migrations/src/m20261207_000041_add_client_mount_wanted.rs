//! Whether Chroma keeps a client mount mounted (`wanted`), apart from
//! whether the host last showed it (`state`): the monitor records a mount
//! that went behind Chroma's back (an operator's `umount`, a reboot that
//! did not mount it again) as `unmounted`, and raises `client_mount_lost`
//! while it is still wanted.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "ALTER TABLE client_mount ADD COLUMN wanted boolean NOT NULL DEFAULT false;
             UPDATE client_mount SET wanted = true WHERE state = 'mounted';",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "ALTER TABLE client_mount DROP COLUMN wanted;").await
    }
}
