use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
CREATE TABLE step (
    id           uuid PRIMARY KEY,
    job_id       uuid NOT NULL REFERENCES job (id) ON DELETE CASCADE,
    idx          integer NOT NULL CHECK (idx >= 0),
    action       text NOT NULL,
    args         jsonb NOT NULL,
    state        text NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'queued', 'running', 'succeeded', 'failed', 'cancelled')),
    -- Claims so far; the current claim's number fences off stale results.
    attempts     integer NOT NULL DEFAULT 0,
    worker       text,
    heartbeat_at timestamptz,
    queued_at    timestamptz,
    started_at   timestamptz,
    finished_at  timestamptz,
    output       jsonb,
    error        text,
    UNIQUE (job_id, idx)
);
-- Recovery sweeps scan only queued and running steps.
CREATE INDEX step_active ON step (state, queued_at) WHERE state IN ('queued', 'running');
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "DROP TABLE step").await
    }
}
