//! Several monitors and plugin hosts share their work: each running
//! process has a heartbeat row (`process_instance`), and each unit of work
//! (a group of servers a monitor polls, a storage plugin a plugin host
//! runs) a lease (`work_lease`) held by one of them until it expires.
//! Failed logins are counted here too (`login_failure`), so every API
//! replica sees the same counts.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
-- A running monitor or plugin host; live while its heartbeat is recent.
CREATE TABLE process_instance (
    id           uuid PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('monitor', 'plugin_host')),
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX process_instance_kind ON process_instance (kind, heartbeat_at);

-- Who does one unit of work, until when (the database's clock).
CREATE TABLE work_lease (
    kind        text NOT NULL CHECK (kind IN ('monitor', 'plugin_host')),
    unit        text NOT NULL,
    holder      uuid NOT NULL,
    acquired_at timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (kind, unit)
);
CREATE INDEX work_lease_holder ON work_lease (holder);

-- One failed (or not yet decided) login, counted against `key`: a user
-- name from a client address, or a client address whatever the name.
CREATE TABLE login_failure (
    id  bigserial PRIMARY KEY,
    key text NOT NULL,
    at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX login_failure_key ON login_failure (key, at);
CREATE INDEX login_failure_at ON login_failure (at);
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "DROP TABLE login_failure; DROP TABLE work_lease; DROP TABLE process_instance;",
        )
        .await
    }
}
