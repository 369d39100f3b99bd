use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
CREATE TABLE job (
    id          uuid PRIMARY KEY,
    command_id  uuid NOT NULL REFERENCES command (id) ON DELETE CASCADE,
    key         text NOT NULL,
    description text NOT NULL,
    -- Submission order: locks on one item are granted in this order.
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    state       text NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'waiting', 'running', 'paused',
                                 'succeeded', 'failed', 'cancelled')),
    step_count  integer NOT NULL CHECK (step_count > 0),
    error       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    started_at  timestamptz,
    finished_at timestamptz,
    UNIQUE (command_id, key)
);
CREATE UNIQUE INDEX job_seq ON job (seq);
CREATE INDEX job_command ON job (command_id);
CREATE INDEX job_state ON job (state, seq);
-- The scheduler looks only at unfinished jobs; keep that index small.
CREATE INDEX job_unfinished ON job (seq) WHERE state IN ('pending', 'waiting', 'running', 'paused');
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "DROP TABLE job").await
    }
}
