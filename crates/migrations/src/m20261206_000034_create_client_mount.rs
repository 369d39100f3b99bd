//! Lustre client mounts Chroma keeps on managed hosts: which file system,
//! where, with which options, and whether it is mounted as last read back
//! from the host's `/proc/mounts`. A live mount has a line in the host's
//! `/etc/fstab` (`NID:/fs DIR lustre OPTS,_netdev 0 0`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
CREATE TABLE client_mount (
    id            uuid PRIMARY KEY,
    host_id       uuid NOT NULL REFERENCES host (id),
    filesystem_id uuid NOT NULL REFERENCES filesystem (id),
    -- Absolute, no `..` component, a conservative character set.
    mountpoint    text NOT NULL CHECK (mountpoint ~ '^/[A-Za-z0-9._/-]{0,254}$'
                                       AND mountpoint !~ '(^|/)\.\.(/|$)'),
    -- Lustre client mount options, comma-separated ('' for the defaults).
    options       text NOT NULL DEFAULT '' CHECK (options ~ '^[A-Za-z0-9_=,.-]{0,255}$'),
    -- unmounted: known, not mounted; mounted: seen in /proc/mounts;
    -- removed: unmounted, out of fstab, forgotten.
    state         text NOT NULL DEFAULT 'unmounted' CHECK (state IN ('unmounted', 'mounted', 'removed')),
    -- Kept in /etc/fstab while mounted, so the host mounts it at boot.
    persistent    boolean NOT NULL DEFAULT true,
    -- The mount source as last mounted (`10.0.0.1@tcp:10.0.0.4@tcp:/fs`).
    source        text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- One live mount per mount point of a host.
CREATE UNIQUE INDEX client_mount_live ON client_mount (host_id, mountpoint) WHERE state <> 'removed';
CREATE INDEX client_mount_filesystem ON client_mount (filesystem_id);
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "DROP TABLE client_mount;").await
    }
}
