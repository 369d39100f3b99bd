//! Opening the database pool, creating the database if it is missing.

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use secrecy::ExposeSecret;
use setup::Settings;
use std::time::Duration;

/// Opens a connection pool sized by `CHROMA_DB_POOL_SIZE`.
pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(settings.database_url.expose_secret().to_owned());
    options
        .max_connections(settings.db_pool_size)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    Database::connect(options).await
}

/// Like [`connect`], but keeps trying for up to `patience` while the
/// database is not there yet (services start in any order).
pub async fn connect_patiently(settings: &Settings, patience: Duration) -> Result<DatabaseConnection, DbErr> {
    let deadline = std::time::Instant::now() + patience;
    loop {
        match connect(settings).await {
            Ok(db) => return Ok(db),
            Err(err) if std::time::Instant::now() < deadline => {
                tracing::warn!("database not ready, retrying: {err}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(err) => return Err(err),
        }
    }
}

/// Creates the database named in `url` if it does not exist, by connecting
/// to the server's `postgres` database.
pub async fn ensure_database(url: &str) -> Result<(), DbErr> {
    let (server, name) =
        split_database(url).ok_or_else(|| DbErr::Custom(format!("DATABASE_URL has no database name: {url}")))?;
    let admin = Database::connect(format!("{server}/postgres")).await?;
    let exists = admin
        .query_one(crate::sql::stmt(
            "SELECT 1 FROM pg_database WHERE datname = $1",
            [name.clone().into()],
        ))
        .await?
        .is_some();
    if !exists {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        match admin.execute_unprepared(&format!("CREATE DATABASE {quoted}")).await {
            Ok(_) => tracing::info!(database = %name, "created database"),
            // Another process created it at the same moment: PostgreSQL
            // says "already exists", or, when both passed its own check at
            // once, a unique violation on the catalog's name index.
            Err(err)
                if err.to_string().contains("already exists")
                    || err.to_string().contains("pg_database_datname_index") => {}
            Err(err) => return Err(err),
        }
    }
    admin.close().await
}

/// Splits `postgres://…/name?opts` into the server part and the name.
fn split_database(url: &str) -> Option<(String, String)> {
    let without_query = url.split('?').next()?;
    let (server, name) = without_query.rsplit_once('/')?;
    if name.is_empty() || server.ends_with('/') {
        return None;
    }
    Some((server.to_owned(), name.to_owned()))
}

/// Drops the database named in `url` if it exists, ending its sessions
/// (`WITH (FORCE)`), by connecting to the server's `postgres` database
/// with `url`'s options.
pub async fn drop_database(url: &str) -> Result<(), sea_orm::DbErr> {
    let (server, name) = split_database(url)
        .ok_or_else(|| sea_orm::DbErr::Custom(format!("DATABASE_URL has no database name: {url}")))?;
    let options = url.split_once('?').map(|(_, o)| format!("?{o}")).unwrap_or_default();
    let admin = sea_orm::Database::connect(format!("{server}/postgres{options}")).await?;
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    sea_orm::ConnectionTrait::execute_unprepared(&admin, &format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        .await?;
    admin.close().await
}

/// Whether `err` says the database could not be reached or went away
/// under a statement (a connection that broke, a server shutting down or
/// restarting, no connection to be had), rather than that the statement
/// itself was wrong: the caller may answer "unavailable" and try again.
pub fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, SqlxError};
    let sqlx = match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Query(RuntimeErr::SqlxError(sqlx)) | DbErr::Exec(RuntimeErr::SqlxError(sqlx)) => sqlx,
        _ => return false,
    };
    match sqlx {
        SqlxError::Io(_)
        | SqlxError::Tls(_)
        | SqlxError::PoolTimedOut
        | SqlxError::PoolClosed
        | SqlxError::WorkerCrashed => true,
        // SQLSTATE class 08 (connection exception), 57P01–57P03 (the server
        // is shutting down, crashed or starting), 53300 (too many
        // connections).
        SqlxError::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")),
        _ => false,
    }
}

/// The advisory lock every schema change takes (an arbitrary constant:
/// "chroma" in ASCII), so processes starting together apply migrations
/// one after the other.
const SCHEMA_LOCK: i64 = 0x6368_726f_6d61;

/// Takes the schema lock for the rest of transaction `txn`, waiting for
/// any other holder to commit.
pub async fn lock_schema(txn: &sea_orm::DatabaseTransaction) -> Result<(), DbErr> {
    txn.execute(crate::sql::stmt(
        "SELECT pg_advisory_xact_lock($1)",
        [SCHEMA_LOCK.into()],
    ))
    .await
    .map(|_| ())
}

/// Makes readiness check `database` of `health` a ping of `db`: the
/// service is not ready while the database does not answer (see
/// `setup::ops`).
pub fn probe_readiness(health: &setup::ops::Health, db: &DatabaseConnection) {
    let db = db.clone();
    health.probe("database", move || {
        let db = db.clone();
        async move {
            db.ping()
                .await
                .map_err(|e| format!("the database does not answer: {e}"))
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{RuntimeErr, SqlxError};

    #[test]
    fn splits_name_from_server() {
        assert_eq!(
            split_database("postgres://u@h:5432/chroma?sslmode=disable"),
            Some(("postgres://u@h:5432".into(), "chroma".into()))
        );
        assert_eq!(split_database("postgres://u@h:5432/"), None);
    }

    #[test]
    fn a_connection_broken_under_a_statement_is_unavailable_not_a_bug() {
        let eof = || {
            SqlxError::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "got 0 bytes at EOF",
            ))
        };
        assert!(is_unavailable(&DbErr::Query(RuntimeErr::SqlxError(eof()))));
        assert!(is_unavailable(&DbErr::Exec(RuntimeErr::SqlxError(eof()))));
        assert!(is_unavailable(&DbErr::Query(RuntimeErr::SqlxError(
            SqlxError::PoolTimedOut
        ))));
        assert!(!is_unavailable(&DbErr::Query(RuntimeErr::SqlxError(
            SqlxError::RowNotFound
        ))));
        assert!(!is_unavailable(&DbErr::Custom("bad".into())));
        assert!(!is_unavailable(&DbErr::RecordNotFound("x".into())));
    }
}
