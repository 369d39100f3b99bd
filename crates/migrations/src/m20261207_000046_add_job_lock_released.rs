//! Marks the locks that can never block again (`job_lock.released`), so
//! the grant pass looks only at the locks that still may: with thousands
//! of finished jobs each having locked a file system, every grant pass
//! otherwise walked the whole history of the item.
//!
//! A lock is released once its job finished (succeeded, failed or
//! cancelled) with no step still `cancelling`: a finished job never runs
//! again and never gets a new `cancelling` step, so a released lock stays
//! released. The backfill releases the locks of such jobs already there.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
-- False while the lock may still block another job's: its job is not
-- finished, or a step of it is still being cancelled.
ALTER TABLE job_lock ADD COLUMN released boolean NOT NULL DEFAULT false;
UPDATE job_lock l SET released = true
FROM job j
WHERE j.id = l.job_id AND j.state IN ('succeeded', 'failed', 'cancelled')
  AND NOT EXISTS (SELECT 1 FROM step s WHERE s.job_id = j.id AND s.state = 'cancelling');
-- The grant pass's look-up: the unreleased locks on an item, writers
-- apart from readers (a reader only conflicts with writers).
CREATE INDEX job_lock_unreleased ON job_lock (item, write) WHERE NOT released;
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "DROP INDEX job_lock_unreleased;
             ALTER TABLE job_lock DROP COLUMN released;",
        )
        .await
    }
}
