//! Failed logins, counted in the database so that every API replica sees
//! the same counts (the API's `auth::limiter` decides what they mean).
//! Each row is one attempt counted against one key; rows older than the
//! window are pruned as attempts come.

use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};
use std::time::Duration;

use crate::sql::{execute, query};

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// One key an attempt counts against, with how many failures it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub key: String,
    pub limit: usize,
}

/// Counts one attempt against every key in `keys`, unless one of them
/// already has its limit of failures within `window`: then how long until
/// the oldest of those that block expires. Returns the new rows' ids.
/// Attempts on the same `lock` key (the client) are counted one at a
/// time, so concurrent guesses cannot all pass the check.
pub async fn reserve(
    db: &DatabaseConnection,
    lock: &str,
    keys: &[Counted],
    window: Duration,
) -> Result<Result<Vec<i64>, Duration>, DbErr> {
    let tx = db.begin().await?;
    execute(&tx, "SELECT pg_advisory_xact_lock(hashtext($1))", [lock.into()]).await?;
    execute(
        &tx,
        "DELETE FROM login_failure WHERE at < clock_timestamp() - $1 * interval '1 millisecond'",
        [millis(window).into()],
    )
    .await?;
    let mut wait: Option<Duration> = None;
    for counted in keys {
        // The client may try again when all but `limit - 1` of them have
        // expired: the (n - limit + 1)th newest decides.
        let rows = query(
            &tx,
            "SELECT (extract(epoch FROM at + $2 * interval '1 millisecond' - clock_timestamp()) * 1000)::bigint AS ms
             FROM login_failure WHERE key = $1 ORDER BY at DESC OFFSET $3 LIMIT 1",
            [
                counted.key.clone().into(),
                millis(window).into(),
                i64::try_from(counted.limit.saturating_sub(1))
                    .unwrap_or(i64::MAX)
                    .into(),
            ],
        )
        .await?;
        if let Some(row) = rows.first() {
            let ms: i64 = row.try_get("", "ms")?;
            let left = Duration::from_millis(u64::try_from(ms).unwrap_or(0));
            wait = Some(wait.map_or(left, |w| w.max(left)));
        }
    }
    if let Some(wait) = wait {
        tx.commit().await?;
        return Ok(Err(wait));
    }
    let mut ids = Vec::with_capacity(keys.len());
    for counted in keys {
        let rows = query(
            &tx,
            "INSERT INTO login_failure (key) VALUES ($1) RETURNING id",
            [counted.key.clone().into()],
        )
        .await?;
        if let Some(row) = rows.first() {
            ids.push(row.try_get("", "id")?);
        }
    }
    tx.commit().await?;
    Ok(Ok(ids))
}

/// Takes back the attempts `ids` (the password was right, or there was no
/// verdict).
pub async fn forget(db: &DatabaseConnection, ids: &[i64]) -> Result<(), DbErr> {
    execute(
        db,
        "DELETE FROM login_failure WHERE id = ANY($1)",
        [ids.to_vec().into()],
    )
    .await?;
    Ok(())
}

/// Forgets every failure counted against `key`.
pub async fn clear(db: &DatabaseConnection, key: &str) -> Result<(), DbErr> {
    execute(db, "DELETE FROM login_failure WHERE key = $1", [key.into()]).await?;
    Ok(())
}
