//! OST pools: a named set of OSTs of one file system, kept in its MGS's
//! configuration logs (`lctl pool_new`/`pool_add`). `ost_pool_member` is
//! the membership as last read back from the MGS (`lctl pool_list`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
CREATE TABLE ost_pool (
    id            uuid PRIMARY KEY,
    filesystem_id uuid NOT NULL REFERENCES filesystem (id),
    -- Lustre's rule (LOV_MAXPOOLNAME, mgs_extract_fs_pool), without dots.
    name          text NOT NULL CHECK (name ~ '^[A-Za-z0-9_-]{1,15}$'),
    -- new: asked for, not yet seen on the MGS; available: on the MGS;
    -- removed: destroyed there.
    state         text NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'available', 'removed')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- One live pool per name in a file system.
CREATE UNIQUE INDEX ost_pool_name_live ON ost_pool (filesystem_id, name) WHERE state <> 'removed';
CREATE TABLE ost_pool_member (
    pool_id   uuid NOT NULL REFERENCES ost_pool (id) ON DELETE CASCADE,
    target_id uuid NOT NULL REFERENCES target (id),
    PRIMARY KEY (pool_id, target_id)
);
CREATE INDEX ost_pool_member_target ON ost_pool_member (target_id);
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "DROP TABLE ost_pool_member; DROP TABLE ost_pool;").await
    }
}
