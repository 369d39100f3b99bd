use sea_orm_migration::prelude::*;

/// Data at a 2,000-OST site (issue 19).
///
/// - `metric_raw` becomes a table partitioned by range of `at`, one
///   partition per UTC day (`metric_raw_YYYYMMDD`) and a DEFAULT partition
///   (`metric_raw_default`) so that a sample never fails for want of its
///   day. Expiry drops whole days instead of deleting rows
///   (`store::metrics::expire`, docs/data.md "Retention"), which also
///   creates the coming days ahead. The rows already stored are moved into
///   the partitions of their days, which this creates along with today's
///   and the next two; the primary key `(series_id, at)` already includes
///   the partition key, so it stays as it was, per partition.
/// - A trigram index on `log_line.message`, so that `/api/log?q=` (a
///   case-insensitive substring, `ILIKE '%…%'`) reads the index instead of
///   every line. `pg_trgm` is a trusted extension (PostgreSQL 13 and
///   later): the owner of the database, which Chroma's role is, may create
///   it without being a superuser. Where it cannot be created (a
///   PostgreSQL built without contrib), the migration says so and goes on
///   without the index: searches still work, scanning the lines.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
ALTER TABLE metric_raw RENAME TO metric_raw_unpartitioned;
ALTER INDEX metric_raw_pkey RENAME TO metric_raw_unpartitioned_pkey;
ALTER INDEX metric_raw_at RENAME TO metric_raw_unpartitioned_at;
CREATE TABLE metric_raw (
    series_id integer NOT NULL,
    at        timestamptz NOT NULL,
    value     double precision NOT NULL,
    PRIMARY KEY (series_id, at)
) PARTITION BY RANGE (at);
CREATE INDEX metric_raw_at ON metric_raw USING brin (at);
CREATE TABLE metric_raw_default PARTITION OF metric_raw DEFAULT;
DO $$
DECLARE
    day date;
BEGIN
    FOR day IN
        SELECT DISTINCT (at AT TIME ZONE 'UTC')::date FROM metric_raw_unpartitioned
        UNION
        SELECT (now() AT TIME ZONE 'UTC')::date + ahead FROM generate_series(0, 2) ahead
    LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF metric_raw FOR VALUES FROM (%L) TO (%L)',
                       'metric_raw_' || to_char(day, 'YYYYMMDD'),
                       day::text || ' 00:00:00+00', (day + 1)::text || ' 00:00:00+00');
    END LOOP;
END $$;
INSERT INTO metric_raw (series_id, at, value) SELECT series_id, at, value FROM metric_raw_unpartitioned;
DROP TABLE metric_raw_unpartitioned;

DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'cannot create the extension pg_trgm (%): log searches will scan every line', SQLERRM;
END $$;
"#,
        )
        .await?;
        let db = manager.get_connection();
        let trigrams = db
            .query_one(sea_orm_migration::sea_orm::Statement::from_string(
                manager.get_database_backend(),
                "SELECT 1 AS present FROM pg_extension WHERE extname = 'pg_trgm'",
            ))
            .await?
            .is_some();
        if trigrams {
            crate::run_sql(
                manager,
                "CREATE INDEX log_line_message_trgm ON log_line USING gin (message gin_trgm_ops);",
            )
            .await
        } else {
            tracing::warn!(
                "the PostgreSQL extension pg_trgm is not available (install PostgreSQL's contrib \
                 modules, then run `CREATE EXTENSION pg_trgm` and `CREATE INDEX log_line_message_trgm \
                 ON log_line USING gin (message gin_trgm_ops)` as the database owner): searching the \
                 server logs will read every line"
            );
            Ok(())
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The extension stays: it may have been there before, and other
        // objects may use it.
        crate::run_sql(
            manager,
            "DROP INDEX IF EXISTS log_line_message_trgm;
             CREATE TABLE metric_raw_unpartitioned (
                 series_id integer NOT NULL,
                 at        timestamptz NOT NULL,
                 value     double precision NOT NULL
             );
             INSERT INTO metric_raw_unpartitioned SELECT series_id, at, value FROM metric_raw;
             DROP TABLE metric_raw;
             ALTER TABLE metric_raw_unpartitioned RENAME TO metric_raw;
             ALTER TABLE metric_raw ADD CONSTRAINT metric_raw_pkey PRIMARY KEY (series_id, at);
             CREATE INDEX metric_raw_at ON metric_raw USING brin (at);",
        )
        .await
    }
}
