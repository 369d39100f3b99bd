//! Persistent parameters and what the servers were last seen to hold.

/// One parameter as the servers showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub key: String,
    /// Its value in the configuration logs, if set there.
    pub llog_value: Option<String>,
    /// Its live value, if a server showed one.
    pub live_value: Option<String>,
}

/// Replaces what was observed of file system `filesystem_id`'s
/// parameters with `seen`, observed now (keys not in `seen` are deleted).
pub async fn record_observations(
    db: &impl sea_orm::ConnectionTrait,
    filesystem_id: uuid::Uuid,
    seen: &[Observation],
) -> Result<u64, sea_orm::DbErr> {
    let seen: Vec<serde_json::Value> = seen
        .iter()
        .map(|o| serde_json::json!({"key": o.key, "llog_value": o.llog_value, "live_value": o.live_value}))
        .collect();
    crate::sql::execute(
        db,
        "WITH seen AS (
             SELECT * FROM jsonb_to_recordset($2) AS t(key text, llog_value text, live_value text)
         ), gone AS (
             DELETE FROM param_observation p WHERE p.filesystem_id = $1
                AND NOT EXISTS (SELECT 1 FROM seen WHERE seen.key = p.key)
         )
         INSERT INTO param_observation (filesystem_id, key, llog_value, live_value, observed_at)
         SELECT $1, key, llog_value, live_value, now() FROM seen
         ON CONFLICT (filesystem_id, key) DO UPDATE
             SET llog_value = excluded.llog_value, live_value = excluded.live_value, observed_at = now()",
        [filesystem_id.into(), serde_json::Value::Array(seen).into()],
    )
    .await
}

/// One parameter as last observed, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub key: String,
    /// Its value in the configuration logs, if set there.
    pub llog_value: Option<String>,
    /// Its live value, if a server showed one.
    pub live_value: Option<String>,
    pub observed_at: chrono::DateTime<chrono::Utc>,
}

/// What was last observed of file system `filesystem_id`'s parameters
/// (in no particular order).
pub async fn observations(
    db: &impl sea_orm::ConnectionTrait,
    filesystem_id: uuid::Uuid,
) -> Result<Vec<Observed>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT key, llog_value, live_value, observed_at FROM param_observation WHERE filesystem_id = $1",
        [filesystem_id.into()],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Observed {
                key: r.try_get("", "key")?,
                llog_value: r.try_get("", "llog_value")?,
                live_value: r.try_get("", "live_value")?,
                observed_at: r.try_get("", "observed_at")?,
            })
        })
        .collect()
}

/// Merges `set` (a JSON object of keys and values) into file system
/// `filesystem_id`'s stored parameters.
pub async fn store_values(
    db: &impl sea_orm::ConnectionTrait,
    filesystem_id: uuid::Uuid,
    set: serde_json::Value,
) -> Result<(), sea_orm::DbErr> {
    crate::sql::execute(
        db,
        "UPDATE filesystem SET conf_params = conf_params || $2 WHERE id = $1",
        [filesystem_id.into(), set.into()],
    )
    .await
    .map(drop)
}

/// Removes the keys `unset` from file system `filesystem_id`'s stored
/// parameters, then merges `set` (a JSON object) into them.
pub async fn replace_values(
    db: &impl sea_orm::ConnectionTrait,
    filesystem_id: uuid::Uuid,
    set: serde_json::Value,
    unset: Vec<String>,
) -> Result<(), sea_orm::DbErr> {
    crate::sql::execute(
        db,
        "UPDATE filesystem SET conf_params = (conf_params - $3::text[]) || $2 WHERE id = $1",
        [filesystem_id.into(), set.into(), unset.into()],
    )
    .await
    .map(drop)
}
