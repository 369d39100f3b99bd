use sea_orm_migration::prelude::*;

/// Servers Chroma manages, and the block devices (volumes) they see. A
/// volume is one device identified by its serial; `volume_node` says on
/// which hosts it is visible and under which path (two hosts for a
/// failover pair).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
CREATE TABLE host (
    id             uuid PRIMARY KEY,
    address        text NOT NULL,
    port           integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
    -- Pinned SSH host key (OpenSSH SHA256 form); NULL until first contact.
    fingerprint    text,
    state          text NOT NULL DEFAULT 'unconfigured'
                   CHECK (state IN ('unconfigured', 'managed', 'removed')),
    nodename       text,
    kernel         text,
    lustre_version text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (address, port)
);
CREATE TABLE volume (
    id         uuid PRIMARY KEY,
    serial     text NOT NULL UNIQUE,
    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE volume_node (
    volume_id uuid NOT NULL REFERENCES volume (id) ON DELETE CASCADE,
    host_id   uuid NOT NULL REFERENCES host (id) ON DELETE CASCADE,
    path      text NOT NULL,
    PRIMARY KEY (volume_id, host_id)
);
CREATE INDEX volume_node_host ON volume_node (host_id);
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "DROP TABLE volume_node; DROP TABLE volume; DROP TABLE host;").await
    }
}
