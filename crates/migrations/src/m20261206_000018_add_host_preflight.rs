use sea_orm_migration::prelude::*;

/// Pre-flight checks: what the last probe of each host found it has and
/// lacks to serve Lustre (`{"checks": [{"name", "status", "message",
/// "fix"}]}`), and when. The live stream tells of a host whose results
/// changed, so a console showing it sees a fix take effect.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
ALTER TABLE host
    -- NULL until the host is first probed.
    ADD COLUMN preflight    jsonb CHECK (jsonb_typeof(preflight -> 'checks') = 'array'),
    ADD COLUMN preflight_at timestamptz;
-- The live stream (chroma_notify_row, migration 13), now also when a
-- probe finds other pre-flight results.
DROP TRIGGER host_changed ON host;
CREATE TRIGGER host_changed AFTER UPDATE ON host FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.lnet_state IS DISTINCT FROM NEW.lnet_state
          OR OLD.preflight IS DISTINCT FROM NEW.preflight)
    EXECUTE FUNCTION chroma_notify_row();
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "DROP TRIGGER host_changed ON host;
             CREATE TRIGGER host_changed AFTER UPDATE ON host FOR EACH ROW
                 WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.lnet_state IS DISTINCT FROM NEW.lnet_state)
                 EXECUTE FUNCTION chroma_notify_row();
             ALTER TABLE host DROP COLUMN preflight_at, DROP COLUMN preflight;",
        )
        .await
    }
}
