use sea_orm_migration::prelude::*;

/// A failed job's `job_failed` alert is raised by the scheduler, in the
/// transaction that marks the job failed (`scheduler::dispatch::advance`,
/// `store::alerts::Raise::job_failed`), no longer by a trigger on `job`.
/// `down` puts the trigger back as migration 14 made it.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "DROP TRIGGER job_failed_alert ON job; DROP FUNCTION chroma_job_failed_alert();",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
CREATE FUNCTION chroma_job_failed_alert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO alert (id, kind, severity, item, message, details)
    VALUES (gen_random_uuid(), 'job_failed', 'error', 'job/' || NEW.id,
            'job failed: ' || NEW.description || COALESCE(': ' || NEW.error, ''),
            jsonb_build_object('job_id', NEW.id, 'command_id', NEW.command_id))
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER job_failed_alert AFTER UPDATE ON job FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state AND NEW.state = 'failed')
    EXECUTE FUNCTION chroma_job_failed_alert();
"#,
        )
        .await
    }
}
