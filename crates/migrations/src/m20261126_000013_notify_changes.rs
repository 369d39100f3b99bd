use sea_orm_migration::prelude::*;

/// Change notifications for the live stream: every state change of a
/// command, job, host, target, file system or alert, and of steps, is sent
/// on the `chroma_changes` channel (`pg_notify`) in the transaction that
/// makes it, so listeners see exactly what was committed. Steps notify
/// only for Lustre actions (see the step trigger). Payloads are a few
/// hundred bytes, far below PostgreSQL's 8000.
///
/// Later: migration 25 (`define_change_stream`) states every trigger of the
/// stream as it stands (docs/data.md).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
CREATE FUNCTION chroma_notify_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row jsonb := to_jsonb(NEW);
BEGIN
    PERFORM pg_notify('chroma_changes', jsonb_build_object(
        'kind', TG_TABLE_NAME,
        'id', NEW.id,
        'op', lower(TG_OP),
        'state', COALESCE(row->>'state', CASE WHEN (row->>'removed')::boolean THEN 'removed' END),
        'job_id', row->'job_id',
        'action', row->'action',
        'attempts', row->'attempts',
        'command_id', row->'command_id',
        'cleared', row ? 'cleared_at' AND row->>'cleared_at' IS NOT NULL
    )::text);
    RETURN NULL;
END $$;

-- No trigger on command inserts: the command notifies when it starts
-- running, and a notification per submission would serialise
-- submissions on the notification queue lock at commit.
CREATE TRIGGER command_changed AFTER UPDATE ON command FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION chroma_notify_row();
CREATE TRIGGER job_changed AFTER UPDATE ON job FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION chroma_notify_row();
CREATE TRIGGER host_inserted AFTER INSERT ON host FOR EACH ROW EXECUTE FUNCTION chroma_notify_row();
CREATE TRIGGER host_changed AFTER UPDATE ON host FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.lnet_state IS DISTINCT FROM NEW.lnet_state)
    EXECUTE FUNCTION chroma_notify_row();
CREATE TRIGGER target_inserted AFTER INSERT ON target FOR EACH ROW EXECUTE FUNCTION chroma_notify_row();
CREATE TRIGGER target_changed AFTER UPDATE ON target FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.active_host_id IS DISTINCT FROM NEW.active_host_id)
    EXECUTE FUNCTION chroma_notify_row();
CREATE TRIGGER filesystem_inserted AFTER INSERT ON filesystem FOR EACH ROW EXECUTE FUNCTION chroma_notify_row();
CREATE TRIGGER filesystem_changed AFTER UPDATE ON filesystem FOR EACH ROW
    WHEN (OLD.removed IS DISTINCT FROM NEW.removed) EXECUTE FUNCTION chroma_notify_row();
CREATE TRIGGER alert_inserted AFTER INSERT ON alert FOR EACH ROW EXECUTE FUNCTION chroma_notify_row();
CREATE TRIGGER alert_changed AFTER UPDATE ON alert FOR EACH ROW
    WHEN (OLD.cleared_at IS DISTINCT FROM NEW.cleared_at) EXECUTE FUNCTION chroma_notify_row();
-- Steps of Lustre actions only: the engine's diagnostic steps (noop, sleep,
-- fail) run by thousands a second, and every notifying transaction takes
-- PostgreSQL's notification-queue lock at commit; their jobs still notify.
CREATE TRIGGER step_changed AFTER UPDATE ON step FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state AND NEW.action NOT IN ('noop', 'sleep', 'fail'))
    EXECUTE FUNCTION chroma_notify_row();
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "DROP TRIGGER step_changed ON step;
             DROP TRIGGER alert_changed ON alert; DROP TRIGGER alert_inserted ON alert;
             DROP TRIGGER filesystem_changed ON filesystem; DROP TRIGGER filesystem_inserted ON filesystem;
             DROP TRIGGER target_changed ON target; DROP TRIGGER target_inserted ON target;
             DROP TRIGGER host_changed ON host; DROP TRIGGER host_inserted ON host;
             DROP TRIGGER job_changed ON job;
             DROP TRIGGER command_changed ON command;
             DROP FUNCTION chroma_notify_row();",
        )
        .await
    }
}
