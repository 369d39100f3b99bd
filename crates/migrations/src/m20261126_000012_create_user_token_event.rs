use sea_orm_migration::prelude::*;

/// Users with their roles, their session and API tokens (stored hashed),
/// and events: the audit trail of every change made through the API.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
CREATE TABLE app_user (
    id            uuid PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.@-]{1,64}$'),
    -- argon2id PHC string.
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('readonly', 'fsadmin', 'superuser')),
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE api_token (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    -- SHA-256 of the token, hex; the token itself is never stored.
    token_hash   text NOT NULL UNIQUE,
    kind         text NOT NULL CHECK (kind IN ('session', 'api')),
    name         text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_token_user ON api_token (user_id);
CREATE TABLE event (
    id       uuid PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    kind     text NOT NULL,
    -- Who caused it; NULL for the system.
    user_id  uuid REFERENCES app_user (id) ON DELETE SET NULL,
    username text,
    -- The object it is about, as a lock item, when there is one.
    item     text,
    message  text NOT NULL,
    details  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX event_at ON event (at DESC);
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "DROP TABLE event; DROP TABLE api_token; DROP TABLE app_user;").await
    }
}
