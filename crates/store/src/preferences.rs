//! Each user's console settings, one JSON value per key.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::sql::query;

/// A stored setting.
#[derive(Debug, Clone)]
pub struct Preference {
    pub value: serde_json::Value,
    pub updated_at: DateTime<Utc>,
}

/// `user`'s setting `key`, if stored.
pub async fn get(db: &impl ConnectionTrait, user: Uuid, key: &str) -> Result<Option<Preference>, DbErr> {
    let rows = query(
        db,
        "SELECT value, updated_at FROM user_preference WHERE user_id = $1 AND key = $2",
        [user.into(), key.into()],
    )
    .await?;
    rows.first()
        .map(|r| {
            Ok(Preference {
                value: r.try_get("", "value")?,
                updated_at: r.try_get("", "updated_at")?,
            })
        })
        .transpose()
}

/// Settings a user may keep.
pub const MAX_KEYS: i64 = 32;

/// Stores `user`'s setting `key`, replacing what was there; `None` when
/// it would be a new key beyond [`MAX_KEYS`].
pub async fn put(
    db: &impl ConnectionTrait,
    user: Uuid,
    key: &str,
    value: serde_json::Value,
) -> Result<Option<Preference>, DbErr> {
    let rows = query(
        db,
        "INSERT INTO user_preference (user_id, key, value)
         SELECT $1, $2, $3
          WHERE (SELECT count(*) FROM user_preference WHERE user_id = $1 AND key <> $2) < $4
         ON CONFLICT (user_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
         RETURNING value, updated_at",
        [user.into(), key.into(), value.into(), MAX_KEYS.into()],
    )
    .await?;
    rows.first()
        .map(|row| {
            Ok(Preference {
                value: row.try_get("", "value")?,
                updated_at: row.try_get("", "updated_at")?,
            })
        })
        .transpose()
}
