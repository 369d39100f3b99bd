//! Lustre HSM: the POSIX copytools Chroma runs on client hosts (one per
//! host, file system and archive id), and what the servers last showed of
//! each file system's coordinator and of the files HSM requests named.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
CREATE TABLE copytool (
    id              uuid PRIMARY KEY,
    host_id         uuid NOT NULL REFERENCES host (id),
    filesystem_id   uuid NOT NULL REFERENCES filesystem (id),
    -- The client mount it runs on (and holds: umount answers busy).
    client_mount_id uuid NOT NULL REFERENCES client_mount (id),
    archive_id      integer NOT NULL CHECK (archive_id BETWEEN 1 AND 32),
    -- The archive root (--hsm-root), absolute, no `..`.
    archive_path    text NOT NULL CHECK (archive_path ~ '^/[A-Za-z0-9._/-]{1,254}$'
                                         AND archive_path !~ '(^|/)\.\.(/|$)'),
    -- stopped: not running (as asked); started: running, pid below;
    -- failed: found gone while it should run; removed: forgotten.
    state           text NOT NULL DEFAULT 'stopped'
                    CHECK (state IN ('stopped', 'started', 'failed', 'removed')),
    pid             integer,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX copytool_live ON copytool (host_id, filesystem_id, archive_id) WHERE state <> 'removed';
CREATE INDEX copytool_filesystem ON copytool (filesystem_id);

-- What a file system's MDTs last showed: hsm_control and the raw
-- hsm.agents / hsm.actions / hsm.active_requests text (parsed on read).
CREATE TABLE hsm_status (
    filesystem_id   uuid PRIMARY KEY REFERENCES filesystem (id),
    control         text NOT NULL,
    agents          text NOT NULL DEFAULT '',
    actions         text NOT NULL DEFAULT '',
    active_requests text NOT NULL DEFAULT '',
    read_at         timestamptz NOT NULL DEFAULT now()
);

-- The HSM state of files requests named, as `lfs hsm_state` last showed it.
CREATE TABLE hsm_file (
    filesystem_id uuid NOT NULL REFERENCES filesystem (id),
    path          text NOT NULL,
    fid           text,
    flags         integer NOT NULL,
    archive_id    integer NOT NULL DEFAULT 0,
    read_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (filesystem_id, path)
);
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "DROP TABLE hsm_file; DROP TABLE hsm_status; DROP TABLE copytool;",
        )
        .await
    }
}
