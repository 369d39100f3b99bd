use sea_orm_migration::prelude::*;

/// Storage plugins and what they report: their resources (with the latest
/// attribute and statistic values), the relationships between them, and
/// statistics as metric series of kind `storage_resource`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
CREATE TABLE storage_plugin (
    name         text PRIMARY KEY CHECK (name ~ '^[a-z0-9-]{1,32}$'),
    version      text,
    levels       text[] NOT NULL DEFAULT '{}',
    -- The resource classes the plugin declared (docs/plugins.md).
    classes      jsonb NOT NULL DEFAULT '[]',
    state        text NOT NULL CHECK (state IN ('starting', 'running', 'restarting', 'failed')),
    -- Why it is restarting or failed.
    error        text,
    restarts     integer NOT NULL DEFAULT 0,
    started_at   timestamptz,
    detected_at  timestamptz,
    monitored_at timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE storage_resource (
    id          uuid PRIMARY KEY,
    plugin      text NOT NULL REFERENCES storage_plugin (name) ON DELETE CASCADE,
    -- The plugin's own id for it, stable across detections.
    local_id    text NOT NULL,
    class       text NOT NULL,
    parent_id   uuid REFERENCES storage_resource (id) ON DELETE SET NULL,
    attributes  jsonb NOT NULL,
    -- The latest value of each statistic.
    statistics  jsonb NOT NULL DEFAULT '{}',
    -- Its attributes with a `link` key, by that key (`{"serial": "…"}`):
    -- resources of two plugins with the same link are `same_as`.
    links       jsonb NOT NULL DEFAULT '{}',
    -- The Chroma volume it is (the same serial), if any.
    volume_id   uuid REFERENCES volume (id) ON DELETE SET NULL,
    -- Missing from the plugin's last detection.
    removed_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (plugin, local_id)
);
CREATE INDEX storage_resource_class ON storage_resource (plugin, class);
CREATE INDEX storage_resource_parent ON storage_resource (parent_id);
CREATE INDEX storage_resource_volume ON storage_resource (volume_id) WHERE volume_id IS NOT NULL;
CREATE TABLE storage_relationship (
    from_id uuid NOT NULL REFERENCES storage_resource (id) ON DELETE CASCADE,
    to_id   uuid NOT NULL REFERENCES storage_resource (id) ON DELETE CASCADE,
    -- `built_on`, `connected_to`…, or `same_as` between plugins.
    kind    text NOT NULL CHECK (kind ~ '^[a-z][a-z_]{0,31}$'),
    PRIMARY KEY (from_id, to_id, kind)
);
CREATE INDEX storage_relationship_to ON storage_relationship (to_id);
ALTER TABLE metric_series DROP CONSTRAINT metric_series_object_kind_check;
ALTER TABLE metric_series ADD CONSTRAINT metric_series_object_kind_check
    CHECK (object_kind IN ('host', 'target', 'filesystem', 'storage_resource'));
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "DELETE FROM metric_series WHERE object_kind = 'storage_resource';
             ALTER TABLE metric_series DROP CONSTRAINT metric_series_object_kind_check;
             ALTER TABLE metric_series ADD CONSTRAINT metric_series_object_kind_check
                 CHECK (object_kind IN ('host', 'target', 'filesystem'));
             DROP TABLE storage_relationship; DROP TABLE storage_resource; DROP TABLE storage_plugin;",
        )
        .await
    }
}
