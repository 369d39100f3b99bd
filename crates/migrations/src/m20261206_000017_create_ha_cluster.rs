use sea_orm_migration::prelude::*;

/// High availability: the Pacemaker clusters Chroma builds, what each host
/// has of the HA stack, and how each target is kept (`ha_mode`: mounted by
/// Chroma directly, or a Pacemaker resource Chroma created).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
CREATE TABLE ha_cluster (
    id              uuid PRIMARY KEY,
    -- corosync's totem.cluster_name.
    name            text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_-]{1,32}$'),
    -- 'pending' until the setup job has configured it.
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'configured', 'removed')),
    -- Fencing as asked: {"disabled": true} or {"devices": [{"host_id", "agent", "params"}]}.
    fencing         jsonb NOT NULL DEFAULT '{"devices": []}',
    -- corosync's /etc/corosync/authkey, made once when the cluster is created and
    -- written to every member.
    authkey         bytea NOT NULL CHECK (length(authkey) >= 128),
    -- As Pacemaker last showed it (setup job or monitor).
    stonith_enabled boolean,
    fence_devices   integer NOT NULL DEFAULT 0,
    quorate         boolean,
    seen_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE host
    -- First line of `crm_mon --version` / `corosync -v`; NULL: not installed.
    ADD COLUMN pacemaker_version text,
    ADD COLUMN corosync_version  text,
    -- The host's Pacemaker node name (`crm_node -n`), once it runs.
    ADD COLUMN ha_node           text,
    ADD COLUMN ha_cluster_id     uuid REFERENCES ha_cluster (id),
    -- The corosync ring address of the host in its cluster.
    ADD COLUMN ha_ring0_addr     text;
ALTER TABLE target
    ADD COLUMN ha_mode     text NOT NULL DEFAULT 'none' CHECK (ha_mode IN ('none', 'pacemaker')),
    -- The id of the target's Pacemaker primitive (unique in its CIB).
    ADD COLUMN ha_resource text,
    ADD CHECK ((ha_mode = 'pacemaker') = (ha_resource IS NOT NULL));
CREATE UNIQUE INDEX target_ha_resource ON target (ha_resource) WHERE ha_resource IS NOT NULL;
CREATE INDEX host_ha_cluster ON host (ha_cluster_id);
-- The live stream (chroma_notify_row, migration 13): a cluster created or
-- changed as Pacemaker shows it.
CREATE TRIGGER ha_cluster_inserted AFTER INSERT ON ha_cluster FOR EACH ROW EXECUTE FUNCTION chroma_notify_row();
CREATE TRIGGER ha_cluster_changed AFTER UPDATE ON ha_cluster FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.stonith_enabled IS DISTINCT FROM NEW.stonith_enabled
          OR OLD.fence_devices IS DISTINCT FROM NEW.fence_devices OR OLD.quorate IS DISTINCT FROM NEW.quorate)
    EXECUTE FUNCTION chroma_notify_row();
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "DROP INDEX target_ha_resource;
             ALTER TABLE target DROP COLUMN ha_resource, DROP COLUMN ha_mode;
             ALTER TABLE host DROP COLUMN ha_ring0_addr, DROP COLUMN ha_cluster_id, DROP COLUMN ha_node,
                 DROP COLUMN corosync_version, DROP COLUMN pacemaker_version;
             DROP TABLE ha_cluster;",
        )
        .await
    }
}
