//! A step being cancelled while its command may still run on a server is
//! `cancelling` until its worker saw the command end; its job keeps its
//! locks until then.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
ALTER TABLE step DROP CONSTRAINT step_state_check;
ALTER TABLE step ADD CONSTRAINT step_state_check
    CHECK (state IN ('pending', 'queued', 'running', 'cancelling', 'succeeded', 'failed', 'cancelled'));
-- The grant pass looks for the cancelling steps of finished jobs.
CREATE INDEX step_cancelling ON step (job_id) WHERE state = 'cancelling';
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
DROP INDEX step_cancelling;
UPDATE step SET state = 'cancelled', finished_at = coalesce(finished_at, now()), heartbeat_at = NULL
    WHERE state = 'cancelling';
ALTER TABLE step DROP CONSTRAINT step_state_check;
ALTER TABLE step ADD CONSTRAINT step_state_check
    CHECK (state IN ('pending', 'queued', 'running', 'succeeded', 'failed', 'cancelled'));
"#,
        )
        .await
    }
}
