//! `GET /api/event`: the event log (logins, every change made through the
//! API with its user, and what the system records), newest first.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::query::Paging;
use crate::state::AppState;
use crate::views::{Page, PageMeta};
use store::sql::query;

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    kind: Option<String>,
    username: Option<String>,
    /// Events at or after this time.
    since: Option<chrono::DateTime<chrono::Utc>>,
    limit: Option<u64>,
    offset: Option<u64>,
    order_by: Option<String>,
}

#[derive(Debug, Serialize)]
struct EventView {
    id: Uuid,
    at: chrono::DateTime<chrono::Utc>,
    kind: String,
    username: Option<String>,
    item: Option<String>,
    message: String,
    details: serde_json::Value,
}

/// Events matching the filters.
pub async fn list(state: web::Data<AppState>, filters: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let f = filters.into_inner();
    let (limit, offset) = Paging {
        limit: f.limit,
        offset: f.offset,
    }
    .resolve()?;
    let order = match f.order_by.as_deref() {
        None | Some("-at") => "at DESC, id DESC",
        Some("at") => "at, id",
        Some(other) => {
            return Err(ApiError::bad(
                "invalid_query",
                format!("cannot order by {other:?}; order_by takes at or -at"),
                Some("order_by"),
            ))
        }
    };
    let filter = "($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR username = $2)
                  AND ($3::timestamptz IS NULL OR at >= $3)";
    let values = || vec![f.kind.clone().into(), f.username.clone().into(), f.since.into()];
    let counted = query(
        &state.db,
        &format!("SELECT count(*) AS n FROM event WHERE {filter}"),
        values(),
    )
    .await?;
    let total: i64 = counted.first().map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
    let mut page_values = values();
    page_values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
    page_values.push(i64::try_from(offset).unwrap_or(i64::MAX).into());
    let rows = query(
        &state.db,
        &format!(
            "SELECT id, at, kind, username, item, message, details FROM event
             WHERE {filter} ORDER BY {order} LIMIT $4 OFFSET $5"
        ),
        page_values,
    )
    .await?;
    let objects = rows
        .iter()
        .map(|r| {
            Ok(EventView {
                id: r.try_get("", "id")?,
                at: r.try_get("", "at")?,
                kind: r.try_get("", "kind")?,
                username: r.try_get("", "username")?,
                item: r.try_get("", "item")?,
                message: r.try_get("", "message")?,
                details: r.try_get("", "details")?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    Ok(crate::respond::ok(Page {
        objects,
        meta: PageMeta {
            total_count: u64::try_from(total).unwrap_or(0),
            limit,
            offset,
        },
    }))
}
