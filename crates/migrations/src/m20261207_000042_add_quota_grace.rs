use sea_orm_migration::prelude::*;

/// A file system's quota grace times per type (`user`, `group`,
/// `project`) as `lfs quota -t` last read them back, in seconds.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "CREATE TABLE quota_grace (
                filesystem_id uuid NOT NULL REFERENCES filesystem(id) ON DELETE CASCADE,
                kind text NOT NULL CHECK (kind IN ('user', 'group', 'project')),
                block_secs bigint NOT NULL CHECK (block_secs >= 0),
                inode_secs bigint NOT NULL CHECK (inode_secs >= 0),
                read_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (filesystem_id, kind)
            );",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "DROP TABLE quota_grace;").await
    }
}
