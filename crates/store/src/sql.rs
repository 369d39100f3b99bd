//! Helpers for the hand-written statements of the hot paths, where one
//! statement over arrays replaces a round trip per row.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, QueryResult, Statement,
    TransactionError, TransactionTrait, Value,
};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A PostgreSQL statement with positional (`$1`) values.
pub fn stmt(sql: &str, values: impl IntoIterator<Item = Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// Runs a statement and returns its rows.
pub async fn query(
    db: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Result<Vec<QueryResult>, DbErr> {
    db.query_all(stmt(sql, values)).await
}

/// Runs a statement and returns how many rows it changed.
pub async fn execute(
    db: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Result<u64, DbErr> {
    Ok(db.execute(stmt(sql, values)).await?.rows_affected())
}

/// Whether an error is a deadlock or serialization failure that a retry of
/// the whole transaction resolves.
pub fn is_retryable(err: &DbErr) -> bool {
    let text = err.to_string();
    text.contains("deadlock detected")
        || text.contains("could not serialize access")
        || text.contains("40P01")
        || text.contains("40001")
}

/// An error that may wrap a database error worth retrying.
pub trait MaybeDbErr {
    /// The database error inside, if any.
    fn db_err(&self) -> Option<&DbErr>;
}

impl MaybeDbErr for DbErr {
    fn db_err(&self) -> Option<&DbErr> {
        Some(self)
    }
}

/// Runs `work` in a transaction, and again (up to 8 times, with a short
/// growing pause) while it fails with a deadlock or serialization failure.
pub async fn transact<T, E, F>(db: &DatabaseConnection, work: F) -> Result<T, E>
where
    T: Send,
    E: From<DbErr> + MaybeDbErr + std::error::Error + Send,
    F: for<'c> Fn(&'c DatabaseTransaction) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>> + Send + Sync,
{
    let mut tries = 0u32;
    loop {
        let err = match db.transaction(&work).await {
            Ok(value) => return Ok(value),
            Err(TransactionError::Connection(err)) => E::from(err),
            Err(TransactionError::Transaction(err)) => err,
        };
        if tries >= 8 || !err.db_err().is_some_and(is_retryable) {
            return Err(err);
        }
        tries += 1;
        tracing::debug!(tries, "retrying transaction after {err}");
        tokio::time::sleep(Duration::from_millis(u64::from(tries) * 5)).await;
    }
}

/// One selection to page through: `SELECT {columns} FROM {from} WHERE
/// {filter} ORDER BY {order}`, with `values` for the filter's `$1`…
pub(crate) struct Selection<'a> {
    pub columns: &'a str,
    pub from: &'a str,
    pub filter: &'a str,
    pub order: &'a str,
    pub values: Vec<Value>,
}

/// Counts the selection's rows and reads `limit` of them from `offset`,
/// for the lists too long to load whole (events, log lines, storage
/// resources).
pub(crate) async fn count_and_page(
    db: &impl ConnectionTrait,
    selection: Selection<'_>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<QueryResult>, i64), DbErr> {
    let Selection {
        columns,
        from,
        filter,
        order,
        values,
    } = selection;
    let counted = query(
        db,
        &format!("SELECT count(*) AS n FROM {from} WHERE {filter}"),
        values.clone(),
    )
    .await?;
    let total: i64 = counted.first().map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
    let n = values.len();
    let mut page_values = values;
    page_values.push(limit.into());
    page_values.push(offset.into());
    let sql = format!(
        "SELECT {columns} FROM {from} WHERE {filter} ORDER BY {order} LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    Ok((query(db, &sql, page_values).await?, total))
}

/// A page read by [`page_counting_ahead`].
pub(crate) struct CountedPage {
    pub rows: Vec<QueryResult>,
    /// The selection's rows, counted up to the page's end plus the
    /// allowance: exact unless `capped`.
    pub counted: i64,
    /// More rows match than `counted`.
    pub capped: bool,
    /// A row follows the page.
    pub more: bool,
}

/// Reads `limit` rows of the selection from `offset` (and one more, to
/// tell whether any follow) and counts its rows only as far as `ahead`
/// past the page's end, for lists that grow to millions (log lines): an
/// exact `count(*)` would read every matching row on every page. A last
/// page needs no count at all.
pub(crate) async fn page_counting_ahead(
    db: &impl ConnectionTrait,
    selection: Selection<'_>,
    limit: i64,
    offset: i64,
    ahead: i64,
) -> Result<CountedPage, DbErr> {
    let Selection {
        columns,
        from,
        filter,
        order,
        values,
    } = selection;
    let n = values.len();
    let mut page_values = values.clone();
    page_values.push(limit.saturating_add(1).into());
    page_values.push(offset.into());
    let sql = format!(
        "SELECT {columns} FROM {from} WHERE {filter} ORDER BY {order} LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut rows = query(db, &sql, page_values).await?;
    let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let read = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    if !more && (read > 0 || offset == 0) {
        return Ok(CountedPage {
            rows,
            counted: offset.saturating_add(read),
            capped: false,
            more,
        });
    }
    let cap = offset.saturating_add(limit).saturating_add(ahead);
    let mut count_values = values;
    count_values.push(cap.saturating_add(1).into());
    let counted = query(
        db,
        &format!(
            "SELECT count(*) AS n FROM (SELECT 1 FROM {from} WHERE {filter} LIMIT ${}) AS capped",
            n + 1
        ),
        count_values,
    )
    .await?;
    let counted: i64 = counted.first().map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
    Ok(CountedPage {
        rows,
        counted: counted.min(cap),
        capped: counted > cap,
        more,
    })
}
