//! The layouts of files as Chroma's data jobs last read them through a
//! client mount (`lfs getstripe`): mirrors, which are stale, their OSTs.
//! Shown by `GET /api/filesystem/{id}/layout?path=`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
CREATE TABLE data_layout (
    filesystem_id uuid NOT NULL REFERENCES filesystem (id),
    -- Path inside the file system, absolute.
    path          text NOT NULL CHECK (path ~ '^/' AND length(path) <= 4096),
    -- {"layout_gen", "mirrors": [{"id", "flags", "stale", "pool", "stripe_count", "stripe_size", "osts"}]}
    layout        jsonb NOT NULL,
    read_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (filesystem_id, path)
);
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "DROP TABLE data_layout;").await
    }
}
