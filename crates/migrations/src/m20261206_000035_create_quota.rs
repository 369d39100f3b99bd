//! Lustre quotas: enforcement per file system (`lctl conf_param
//! FS.quota.ost=…`/`FS.quota.mdt=…`, as last applied) and the limits Chroma
//! sets per user, group or project (`lfs setquota`), with the usage the
//! monitor last read back (`lfs quota`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
-- The quota types enforced on the OSTs (blocks) and MDTs (inodes):
-- letters of 'ugp' in that order, or 'none'.
ALTER TABLE filesystem
    ADD COLUMN quota_ost text NOT NULL DEFAULT 'none' CHECK (quota_ost ~ '^(none|u?g?p?)$' AND quota_ost <> ''),
    ADD COLUMN quota_mdt text NOT NULL DEFAULT 'none' CHECK (quota_mdt ~ '^(none|u?g?p?)$' AND quota_mdt <> '');
CREATE TABLE quota (
    id            uuid PRIMARY KEY,
    filesystem_id uuid NOT NULL REFERENCES filesystem (id),
    kind          text NOT NULL CHECK (kind IN ('user', 'group', 'project')),
    -- The uid, gid or project id (root, 0, cannot be limited).
    qid           bigint NOT NULL CHECK (qid > 0 AND qid < 4294967295),
    -- Block limits in KiB (what `lfs setquota -b/-B` takes), inode limits
    -- in inodes; 0 is no limit.
    block_soft    bigint NOT NULL DEFAULT 0 CHECK (block_soft >= 0),
    block_hard    bigint NOT NULL DEFAULT 0 CHECK (block_hard >= 0),
    inode_soft    bigint NOT NULL DEFAULT 0 CHECK (inode_soft >= 0),
    inode_hard    bigint NOT NULL DEFAULT 0 CHECK (inode_hard >= 0),
    -- new: stored, its job not run yet; set: read back from `lfs quota`;
    -- removed: limits cleared on the file system.
    state         text NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'set', 'removed')),
    -- Usage as last read (`lfs quota`): KiB, inodes, and the grace
    -- columns as printed ('-' when not over, '1w', 'none').
    block_used    bigint,
    inode_used    bigint,
    block_grace   text,
    inode_grace   text,
    read_at       timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (block_hard = 0 OR block_soft <= block_hard),
    CHECK (inode_hard = 0 OR inode_soft <= inode_hard)
);
-- One live quota per id of a file system.
CREATE UNIQUE INDEX quota_live ON quota (filesystem_id, kind, qid) WHERE state <> 'removed';
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "DROP TABLE quota; ALTER TABLE filesystem DROP COLUMN quota_ost, DROP COLUMN quota_mdt;",
        )
        .await
    }
}
