use sea_orm_migration::prelude::*;

/// The live change stream, defined in one place: every trigger that sends
/// on the `chroma_changes` channel (`store::events::CHANGE_CHANNEL`, which
/// the API listens on) and the two functions they run. Migrations 13, 14,
/// 17, 18 and 20 made these piece by piece; this one states them as they
/// stand, unchanged (`CREATE OR REPLACE`), so the current definition is
/// read here. A change to the stream is a new migration that replaces
/// this one's definitions. `docs/data.md` lists each trigger and the test
/// in `crates/store/tests/triggers.rs` that shows it firing.
///
/// - `chroma_notify_row()`: a row's change as `{kind: table, id, op,
///   state, job_id, action, attempts, command_id, cleared}`.
/// - `chroma_notify_event()`: an event as `{kind: "event", id, event, item}`.
///
/// Payloads are a few hundred bytes, far below PostgreSQL's 8000. Each is
/// delivered when the changing transaction commits, so listeners see
/// exactly what was committed.
///
/// `down` does nothing: `up` changes no behaviour, and the migrations that
/// made these objects remove them on their own `down`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
CREATE OR REPLACE FUNCTION chroma_notify_row() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION chroma_notify_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('chroma_changes', jsonb_build_object(
        'kind', 'event', 'id', NEW.id, 'event', NEW.kind, 'item', NEW.item)::text);
    RETURN NULL;
END $$;

-- No trigger on command inserts: the command notifies when it starts
-- running, and a notification per submission would serialise
-- submissions on the notification queue lock at commit.
CREATE OR REPLACE TRIGGER command_changed AFTER UPDATE ON command FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION chroma_notify_row();
CREATE OR REPLACE TRIGGER job_changed AFTER UPDATE ON job FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION chroma_notify_row();
-- Steps of Lustre actions only: the engine's diagnostic steps (noop, sleep,
-- fail) run by thousands a second, and every notifying transaction takes
-- PostgreSQL's notification-queue lock at commit; their jobs still notify.
CREATE OR REPLACE TRIGGER step_changed AFTER UPDATE ON step FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state AND NEW.action NOT IN ('noop', 'sleep', 'fail'))
    EXECUTE FUNCTION chroma_notify_row();
CREATE OR REPLACE TRIGGER host_inserted AFTER INSERT ON host FOR EACH ROW EXECUTE FUNCTION chroma_notify_row();
-- Also when a probe finds other pre-flight results, or the host's NIDs or
-- LNet networks change (a network change leaves lnet_state at lnet_up).
CREATE OR REPLACE TRIGGER host_changed AFTER UPDATE ON host FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.lnet_state IS DISTINCT FROM NEW.lnet_state
          OR OLD.preflight IS DISTINCT FROM NEW.preflight OR OLD.nids IS DISTINCT FROM NEW.nids
          OR OLD.lnet_networks IS DISTINCT FROM NEW.lnet_networks)
    EXECUTE FUNCTION chroma_notify_row();
CREATE OR REPLACE TRIGGER target_inserted AFTER INSERT ON target FOR EACH ROW EXECUTE FUNCTION chroma_notify_row();
CREATE OR REPLACE TRIGGER target_changed AFTER UPDATE ON target FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.active_host_id IS DISTINCT FROM NEW.active_host_id)
    EXECUTE FUNCTION chroma_notify_row();
CREATE OR REPLACE TRIGGER filesystem_inserted AFTER INSERT ON filesystem FOR EACH ROW EXECUTE FUNCTION chroma_notify_row();
CREATE OR REPLACE TRIGGER filesystem_changed AFTER UPDATE ON filesystem FOR EACH ROW
    WHEN (OLD.removed IS DISTINCT FROM NEW.removed) EXECUTE FUNCTION chroma_notify_row();
CREATE OR REPLACE TRIGGER alert_inserted AFTER INSERT ON alert FOR EACH ROW EXECUTE FUNCTION chroma_notify_row();
CREATE OR REPLACE TRIGGER alert_changed AFTER UPDATE ON alert FOR EACH ROW
    WHEN (OLD.cleared_at IS DISTINCT FROM NEW.cleared_at) EXECUTE FUNCTION chroma_notify_row();
CREATE OR REPLACE TRIGGER alert_acknowledged AFTER UPDATE ON alert FOR EACH ROW
    WHEN (OLD.acknowledged_at IS DISTINCT FROM NEW.acknowledged_at) EXECUTE FUNCTION chroma_notify_row();
-- A cluster created, or changed as Pacemaker shows it.
CREATE OR REPLACE TRIGGER ha_cluster_inserted AFTER INSERT ON ha_cluster FOR EACH ROW EXECUTE FUNCTION chroma_notify_row();
CREATE OR REPLACE TRIGGER ha_cluster_changed AFTER UPDATE ON ha_cluster FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.stonith_enabled IS DISTINCT FROM NEW.stonith_enabled
          OR OLD.fence_devices IS DISTINCT FROM NEW.fence_devices OR OLD.quorate IS DISTINCT FROM NEW.quorate)
    EXECUTE FUNCTION chroma_notify_row();
-- Events, but not command outcomes: the command's own change is already
-- on the stream.
CREATE OR REPLACE TRIGGER event_inserted AFTER INSERT ON event FOR EACH ROW
    WHEN (NEW.kind NOT LIKE 'command\_%') EXECUTE FUNCTION chroma_notify_event();
"#,
        )
        .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
