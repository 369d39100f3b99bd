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

/// Stores `user`'s setting `key`, replacing what was there.
pub async fn put(
    db: &impl ConnectionTrait,
    user: Uuid,
    key: &str,
    value: serde_json::Value,
) -> Result<Preference, DbErr> {
    let rows = query(
        db,
        "INSERT INTO user_preference (user_id, key, value) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
         RETURNING value, updated_at",
        [user.into(), key.into(), value.into()],
    )
    .await?;
    let row = rows.first().ok_or_else(|| DbErr::RecordNotInserted)?;
    Ok(Preference {
        value: row.try_get("", "value")?,
        updated_at: row.try_get("", "updated_at")?,
    })
}
