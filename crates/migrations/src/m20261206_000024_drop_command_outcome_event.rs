use sea_orm_migration::prelude::*;

/// A finished command's outcome event (`command_succeeded`,
/// `command_failed`, `command_cancelled`) is written by the code that
/// finishes it (`store::control::refresh_commands`,
/// `store::events::record_command_outcomes`), no longer by a trigger on
/// `command`. `down` puts the trigger back as migration 14 made it.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "DROP TRIGGER command_outcome_event ON command; DROP FUNCTION chroma_command_event();",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
CREATE FUNCTION chroma_command_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event (id, kind, item, message, details)
    VALUES (gen_random_uuid(), 'command_' || NEW.state, 'command/' || NEW.id,
            NEW.message || ': ' || NEW.state, jsonb_build_object('command_id', NEW.id, 'state', NEW.state));
    RETURN NULL;
END $$;
CREATE TRIGGER command_outcome_event AFTER UPDATE ON command FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state AND NEW.state IN ('succeeded', 'failed', 'cancelled'))
    EXECUTE FUNCTION chroma_command_event();
"#,
        )
        .await
    }
}
