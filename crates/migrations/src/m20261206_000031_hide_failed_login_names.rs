use sea_orm_migration::prelude::*;

/// Failed logins recorded before the name tried was kept out of the
/// message (`failed login as "NAME" from ADDRESS`) get the message new ones
/// have (`failed login from ADDRESS`): the name, often a password typed in
/// the wrong box, stays only in `details.username`, which superusers alone
/// see, and a reader's `q=` search can no longer match it.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "UPDATE event SET message = 'failed login from ' || coalesce(details->>'address', 'an unknown address')
             WHERE kind = 'login_failed' AND message LIKE 'failed login as %'",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The old form, rebuilt from the details (the name JSON-quoted, as
        // it was written).
        crate::run_sql(
            manager,
            "UPDATE event SET message = 'failed login as ' || coalesce(to_json(details->>'username')::text, '\"\"')
                                        || ' from ' || coalesce(details->>'address', 'an unknown address')
             WHERE kind = 'login_failed' AND message LIKE 'failed login from %'",
        )
        .await
    }
}
