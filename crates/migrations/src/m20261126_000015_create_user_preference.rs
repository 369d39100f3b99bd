use sea_orm_migration::prelude::*;

/// Each user's console settings (the dashboard's layout), kept on the
/// server so they follow the user from browser to browser.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
CREATE TABLE user_preference (
    user_id    uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    key        text NOT NULL CHECK (key ~ '^[a-z0-9_.-]{1,64}$'),
    value      jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "DROP TABLE user_preference;").await
    }
}
