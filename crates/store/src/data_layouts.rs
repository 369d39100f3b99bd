//! `data_layout`: the layouts of files as data jobs last read them.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

/// A recorded layout.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedLayout {
    pub layout: serde_json::Value,
    pub read_at: DateTime<Utc>,
}

/// Records the layout read of `path` in file system `filesystem_id`
/// (replacing an older one), fenced by `fence`. Returns the rows changed
/// (0 when the fence failed).
pub async fn record(
    db: &impl ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    filesystem_id: Uuid,
    path: &str,
    layout: &serde_json::Value,
) -> Result<u64, DbErr> {
    crate::sql::execute(
        db,
        "INSERT INTO data_layout (filesystem_id, path, layout, read_at)
         SELECT $1, $2, $3::jsonb, now()
         WHERE $4::uuid IS NULL
            OR EXISTS (SELECT 1 FROM step WHERE id = $4 AND attempts = $5 AND state = 'running')
         ON CONFLICT (filesystem_id, path) DO UPDATE SET layout = EXCLUDED.layout, read_at = EXCLUDED.read_at",
        [
            filesystem_id.into(),
            path.into(),
            layout.to_string().into(),
            fence.map(|f| f.step_id).into(),
            fence.map(|f| f.attempt).into(),
        ],
    )
    .await
}

/// The layout last recorded for `path` in `filesystem_id`.
pub async fn get(db: &impl ConnectionTrait, filesystem_id: Uuid, path: &str) -> Result<Option<RecordedLayout>, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT layout::text AS layout, read_at FROM data_layout WHERE filesystem_id = $1 AND path = $2",
        [filesystem_id.into(), path.into()],
    )
    .await?;
    rows.first()
        .map(|r| {
            let text: String = r.try_get("", "layout")?;
            Ok(RecordedLayout {
                layout: serde_json::from_str(&text).map_err(|e| DbErr::Custom(format!("data_layout.layout: {e}")))?,
                read_at: r.try_get("", "read_at")?,
            })
        })
        .transpose()
}
