use sea_orm_migration::prelude::*;

/// What makes formatting exactly-once: before `mkfs.lustre` runs, the worker
/// records the volume's file-system UUID as it was (`''` when it had none)
/// in `format_marker`; a retry that finds another UUID with this target's
/// label knows the format happened. `fs_uuid` is the UUID the format left.
///
/// Also: live file-system names are unique across MGSs (clients and
/// operators name a file system by its name alone; Chroma's mountpoints
/// and Pacemaker resources are named after it).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "ALTER TABLE target ADD COLUMN format_marker text, ADD COLUMN fs_uuid text;
             DROP INDEX filesystem_name_live;
             CREATE UNIQUE INDEX filesystem_name_live ON filesystem (name) WHERE NOT removed;",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "DROP INDEX filesystem_name_live;
             CREATE UNIQUE INDEX filesystem_name_live ON filesystem (mgs_id, name) WHERE NOT removed;
             ALTER TABLE target DROP COLUMN fs_uuid, DROP COLUMN format_marker;",
        )
        .await
    }
}
