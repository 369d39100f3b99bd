use sea_orm_migration::prelude::*;

/// State changes as events, defined in one place: a host's, target's or
/// file system's state change writes a `state_changed` event
/// (`store::events::EventKind::StateChanged`) in the transaction that
/// makes it, whichever process and statement make it. This stays a
/// trigger: a dozen statements in the worker, the monitor and the API
/// change these states, and an audit line that each of them had to
/// remember would be missed by the next one. Migration 14 made these; this
/// one states them as they stand, unchanged (`CREATE OR REPLACE`), so the
/// current definition is read here. `docs/data.md` lists them and the
/// tests in `crates/store/tests/triggers.rs` that show them firing.
///
/// `down` does nothing: `up` changes no behaviour, and migration 14's
/// `down` removes these objects.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
-- The event: `state_changed` about TABLE/ID, "LABEL: OLD → NEW", with
-- {from, to}. A file system's state is `present` or `removed`.
CREATE OR REPLACE FUNCTION chroma_state_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_state text := to_jsonb(OLD)->>'state';
    new_state text := to_jsonb(NEW)->>'state';
    label text;
BEGIN
    IF TG_TABLE_NAME = 'filesystem' THEN
        old_state := CASE WHEN OLD.removed THEN 'removed' ELSE 'present' END;
        new_state := CASE WHEN NEW.removed THEN 'removed' ELSE 'present' END;
    END IF;
    label := CASE TG_TABLE_NAME
        WHEN 'host' THEN 'host ' || COALESCE(to_jsonb(NEW)->>'nodename', (to_jsonb(NEW)->>'address') || ':' || (to_jsonb(NEW)->>'port'))
        WHEN 'target' THEN 'target ' || (to_jsonb(NEW)->>'name')
        ELSE 'file system ' || (to_jsonb(NEW)->>'name')
    END;
    INSERT INTO event (id, kind, item, message, details)
    VALUES (gen_random_uuid(), 'state_changed', TG_TABLE_NAME || '/' || NEW.id,
            label || ': ' || old_state || ' → ' || new_state,
            jsonb_build_object('from', old_state, 'to', new_state));
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER host_state_event AFTER UPDATE ON host FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION chroma_state_event();
CREATE OR REPLACE TRIGGER target_state_event AFTER UPDATE ON target FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION chroma_state_event();
CREATE OR REPLACE TRIGGER filesystem_state_event AFTER UPDATE ON filesystem FOR EACH ROW
    WHEN (OLD.removed IS DISTINCT FROM NEW.removed) EXECUTE FUNCTION chroma_state_event();
"#,
        )
        .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
