use sea_orm_migration::prelude::*;

/// What the monitor collects and raises.
///
/// - Statistics as time series: a `metric_series` row names one metric of
///   one object (`target`/ID `write_bytes`); samples go to `metric_raw`
///   (kept a day) and are rolled up into `metric_minute` (kept 35 days) and
///   `metric_hour` (kept 400 days). Counters are stored as per-second rates,
///   so a rollup's average is the rate over its bucket. `metric_rollup`
///   records how far each rollup has got. Each sample row is keyed by series
///   then time, so a dashboard query reads one contiguous index range per
///   series; BRIN indexes on time serve the rollup and retention sweeps.
/// - `metric_job`: per-job I/O (`job_stats`) of the top consumers per
///   target and interval.
/// - `log_line`: server journal lines and Lustre console messages, each
///   stored once whether a poll or a host's live journal stream read it.
/// - `param_observation`: persistent parameters as the MGS llog holds them
///   and as the servers show them live, to compare with what Chroma stores.
/// - Alerts gain acknowledgement and details; hosts and targets the time
///   they were last seen.
/// - Events: every state change of a host, target or file system and every
///   command outcome is written by triggers in the transaction that makes
///   it; a job that fails raises a `job_failed` alert the same way.
///
/// Later: the `job_failed` alert and the command outcome events are written
/// in Rust (migrations 23 and 24 drop their triggers); the stream's and the
/// state events' triggers are defined as they stand in migrations 25 and
/// 26 (docs/data.md).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
CREATE TABLE metric_series (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    object_kind text NOT NULL CHECK (object_kind IN ('host', 'target', 'filesystem')),
    object_id   uuid NOT NULL,
    name        text NOT NULL,
    UNIQUE (object_kind, object_id, name)
);
CREATE TABLE metric_raw (
    series_id integer NOT NULL,
    at        timestamptz NOT NULL,
    value     double precision NOT NULL,
    PRIMARY KEY (series_id, at)
);
CREATE INDEX metric_raw_at ON metric_raw USING brin (at);
CREATE TABLE metric_minute (
    series_id integer NOT NULL,
    at        timestamptz NOT NULL,
    value     double precision NOT NULL,
    min       double precision NOT NULL,
    max       double precision NOT NULL,
    samples   integer NOT NULL,
    PRIMARY KEY (series_id, at)
);
CREATE INDEX metric_minute_at ON metric_minute USING brin (at);
CREATE TABLE metric_hour (LIKE metric_minute INCLUDING ALL);
CREATE TABLE metric_rollup (
    name text PRIMARY KEY CHECK (name IN ('minute', 'hour')),
    -- Every bucket before this instant is rolled up.
    upto timestamptz NOT NULL
);
CREATE TABLE metric_job (
    target_id   uuid NOT NULL,
    at          timestamptz NOT NULL,
    job         text NOT NULL,
    read_bytes  double precision NOT NULL,
    write_bytes double precision NOT NULL,
    ops         double precision NOT NULL,
    -- The rates are over this many seconds before `at`.
    seconds     double precision NOT NULL CHECK (seconds > 0),
    PRIMARY KEY (target_id, at, job)
);
CREATE INDEX metric_job_at ON metric_job USING brin (at);

CREATE TABLE log_line (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host_id  uuid NOT NULL REFERENCES host (id) ON DELETE CASCADE,
    at       timestamptz NOT NULL,
    severity text NOT NULL
             CHECK (severity IN ('emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug')),
    source   text NOT NULL,
    message  text NOT NULL,
    -- The journal's cursor of the line: read twice (by a poll and by the
    -- live stream), it is stored once.
    cursor   text NOT NULL,
    UNIQUE (host_id, cursor)
);
CREATE INDEX log_line_at ON log_line (at DESC, id DESC);
CREATE INDEX log_line_host_at ON log_line (host_id, at DESC);
ALTER TABLE host
    ADD COLUMN journal_cursor text,
    ADD COLUMN last_contact_at timestamptz;
ALTER TABLE target ADD COLUMN seen_at timestamptz;

CREATE TABLE param_observation (
    filesystem_id uuid NOT NULL REFERENCES filesystem (id) ON DELETE CASCADE,
    key           text NOT NULL,
    -- The value the MGS configuration llog holds; NULL when it holds none.
    llog_value    text,
    -- The value a server shows (`lctl get_param`); NULL when unreadable.
    live_value    text,
    observed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (filesystem_id, key)
);

ALTER TABLE alert
    ADD COLUMN details jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN acknowledged_at timestamptz,
    ADD COLUMN acknowledged_by text;
CREATE INDEX alert_raised ON alert (raised_at DESC);
CREATE TRIGGER alert_acknowledged AFTER UPDATE ON alert FOR EACH ROW
    WHEN (OLD.acknowledged_at IS DISTINCT FROM NEW.acknowledged_at) EXECUTE FUNCTION chroma_notify_row();
-- Events on the live stream, but not command outcomes: the command's own
-- change is already there.
CREATE FUNCTION chroma_notify_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('chroma_changes', jsonb_build_object(
        'kind', 'event', 'id', NEW.id, 'event', NEW.kind, 'item', NEW.item)::text);
    RETURN NULL;
END $$;
CREATE TRIGGER event_inserted AFTER INSERT ON event FOR EACH ROW
    WHEN (NEW.kind NOT LIKE 'command\_%') EXECUTE FUNCTION chroma_notify_event();

CREATE INDEX event_item ON event (item, at DESC);

-- State changes as events, in the transaction that makes them.
CREATE FUNCTION chroma_state_event() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER host_state_event AFTER UPDATE ON host FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION chroma_state_event();
CREATE TRIGGER target_state_event AFTER UPDATE ON target FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION chroma_state_event();
CREATE TRIGGER filesystem_state_event AFTER UPDATE ON filesystem FOR EACH ROW
    WHEN (OLD.removed IS DISTINCT FROM NEW.removed) EXECUTE FUNCTION chroma_state_event();

-- Command outcomes as events.
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

-- A failed job raises an alert that stays until it is acknowledged.
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

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "DROP TRIGGER job_failed_alert ON job; DROP FUNCTION chroma_job_failed_alert();
             DROP TRIGGER command_outcome_event ON command; DROP FUNCTION chroma_command_event();
             DROP TRIGGER filesystem_state_event ON filesystem; DROP TRIGGER target_state_event ON target;
             DROP TRIGGER host_state_event ON host; DROP FUNCTION chroma_state_event();
             DROP INDEX event_item;
             DROP TRIGGER event_inserted ON event; DROP FUNCTION chroma_notify_event();
             DROP TRIGGER alert_acknowledged ON alert;
             DROP INDEX alert_raised;
             ALTER TABLE alert DROP COLUMN details, DROP COLUMN acknowledged_at, DROP COLUMN acknowledged_by;
             DROP TABLE param_observation;
             ALTER TABLE target DROP COLUMN seen_at;
             ALTER TABLE host DROP COLUMN journal_cursor, DROP COLUMN last_contact_at;
             DROP TABLE log_line; DROP TABLE metric_job; DROP TABLE metric_rollup;
             DROP TABLE metric_hour; DROP TABLE metric_minute; DROP TABLE metric_raw; DROP TABLE metric_series;",
        )
        .await
    }
}
