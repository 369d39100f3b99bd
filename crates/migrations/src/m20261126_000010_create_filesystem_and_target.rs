use sea_orm_migration::prelude::*;

/// The Lustre domain beyond hosts: LNet state per host, file systems, their
/// targets (MGT, MDT, OST), and alerts. A target lives on one volume, has a
/// primary host and failover hosts, and records where it is mounted now.
/// A file system's own state is derived from its targets; only removal is
/// stored.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
ALTER TABLE host
    ADD COLUMN lnet_state text NOT NULL DEFAULT 'lnet_unknown'
        CHECK (lnet_state IN ('lnet_unknown', 'lnet_down', 'lnet_up')),
    ADD COLUMN nids text[] NOT NULL DEFAULT '{}';
CREATE TABLE filesystem (
    id         uuid PRIMARY KEY,
    name       text NOT NULL CHECK (name ~ '^[A-Za-z0-9_]{1,8}$'),
    mgs_id     uuid NOT NULL,
    -- false: detected on a cluster Chroma did not create; watched, not changed.
    managed    boolean NOT NULL DEFAULT true,
    removed    boolean NOT NULL DEFAULT false,
    conf_params jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE target (
    id                uuid PRIMARY KEY,
    kind              text NOT NULL CHECK (kind IN ('mgt', 'mdt', 'ost')),
    filesystem_id     uuid REFERENCES filesystem (id),
    target_index      integer CHECK (target_index BETWEEN 0 AND 65535),
    -- Lustre's service name: MGS, fs1-MDT0000, fs1-OST0003.
    name              text NOT NULL,
    volume_id         uuid NOT NULL REFERENCES volume (id),
    primary_host_id   uuid NOT NULL REFERENCES host (id),
    failover_host_ids uuid[] NOT NULL DEFAULT '{}',
    -- The host it is mounted on now, as last seen.
    active_host_id    uuid REFERENCES host (id),
    state             text NOT NULL DEFAULT 'unformatted'
                      CHECK (state IN ('unformatted', 'formatted', 'registered', 'unmounted', 'mounted', 'removed')),
    managed           boolean NOT NULL DEFAULT true,
    -- Format over existing Lustre data on the volume (mkfs.lustre --reformat).
    reformat          boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'mgt') = (filesystem_id IS NULL)),
    CHECK ((kind = 'mgt') = (target_index IS NULL))
);
ALTER TABLE filesystem ADD FOREIGN KEY (mgs_id) REFERENCES target (id);
-- One live target per volume; one live file system per name and MGS; one
-- live target per index and kind in a file system.
CREATE UNIQUE INDEX target_volume_live ON target (volume_id) WHERE state <> 'removed';
CREATE UNIQUE INDEX filesystem_name_live ON filesystem (mgs_id, name) WHERE NOT removed;
CREATE UNIQUE INDEX target_index_live ON target (filesystem_id, kind, target_index) WHERE state <> 'removed';
CREATE INDEX target_filesystem ON target (filesystem_id);
CREATE TABLE alert (
    id         uuid PRIMARY KEY,
    kind       text NOT NULL,
    severity   text NOT NULL CHECK (severity IN ('info', 'warning', 'error')),
    -- The object it is about, as a lock item: host/ID, target/ID.
    item       text NOT NULL,
    message    text NOT NULL,
    raised_at  timestamptz NOT NULL DEFAULT now(),
    cleared_at timestamptz
);
CREATE UNIQUE INDEX alert_active ON alert (kind, item) WHERE cleared_at IS NULL;
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "DROP TABLE alert;
             ALTER TABLE filesystem DROP CONSTRAINT filesystem_mgs_id_fkey;
             DROP TABLE target;
             DROP TABLE filesystem;
             ALTER TABLE host DROP COLUMN nids, DROP COLUMN lnet_state;",
        )
        .await
    }
}
