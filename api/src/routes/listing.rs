//! One style for every list: `limit` (1–1000, default 50), `offset`,
//! `order_by` (a field name, `-` first for descending) among the fields a
//! resource allows, and `meta.total_count`. Lists of objects that number in
//! the hundreds (hosts, targets, volumes…) are loaded whole, then ordered
//! and paged here.

use actix_web::HttpResponse;
use serde::Serialize;
use serde_json::Value;
use std::cmp::Ordering;

use crate::error::ApiError;
use crate::routes::query::Paging;
use crate::views::{Page, PageMeta};

/// How values of one field compare: nulls first, then numbers, booleans
/// and strings in their natural order.
fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::Number(x), Value::Number(y)) => x.as_f64().partial_cmp(&y.as_f64()).unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (x, y) => x.to_string().cmp(&y.to_string()),
    }
}

/// Checks `order_by` against the allowed fields: `(field, descending)`.
pub fn order(order_by: Option<&str>, sortable: &[&str]) -> Result<Option<(String, bool)>, ApiError> {
    let Some(text) = order_by else {
        return Ok(None);
    };
    let (field, descending) = match text.strip_prefix('-') {
        Some(field) => (field, true),
        None => (text, false),
    };
    if !sortable.contains(&field) {
        return Err(ApiError::bad(
            "invalid_query",
            format!(
                "cannot order by {text:?}; order_by takes one of {} (prefix - for descending)",
                sortable.join(", ")
            ),
            Some("order_by"),
        ));
    }
    Ok(Some((field.to_owned(), descending)))
}

/// Orders and pages `objects`, answering the page.
pub fn page<T: Serialize>(
    objects: Vec<T>,
    paging: Paging,
    order_by: Option<&str>,
    sortable: &[&str],
) -> Result<HttpResponse, ApiError> {
    let (limit, offset) = paging.resolve()?;
    let ordering = order(order_by, sortable)?;
    let mut values = objects
        .into_iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<Value>, _>>()
        .map_err(|e| ApiError::Internal(e.into()))?;
    if let Some((field, descending)) = ordering {
        values.sort_by(|a, b| {
            let ord = compare(&a[&field], &b[&field]);
            if descending {
                ord.reverse()
            } else {
                ord
            }
        });
    }
    let total_count = values.len() as u64;
    let objects: Vec<Value> = values
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    Ok(crate::respond::ok(Page {
        objects,
        meta: PageMeta {
            total_count,
            limit,
            offset,
        },
    }))
}

/// One SQL selection to page through: `SELECT {columns} FROM {table}
/// WHERE {filter} ORDER BY {order}` with `values` for the filter's `$n`.
pub struct Selection<'a> {
    pub columns: &'a str,
    pub table: &'a str,
    pub filter: &'a str,
    pub order: &'a str,
    pub values: Vec<sea_orm::Value>,
}

/// Counts the selection's rows and reads one page of them, for lists too
/// long to load whole (alerts, events).
pub async fn sql_page(
    db: &impl sea_orm::ConnectionTrait,
    selection: Selection<'_>,
    limit: u64,
    offset: u64,
) -> Result<(Vec<sea_orm::QueryResult>, PageMeta), ApiError> {
    let Selection {
        columns,
        table,
        filter,
        order,
        values,
    } = selection;
    let counted = store::sql::query(
        db,
        &format!("SELECT count(*) AS n FROM {table} WHERE {filter}"),
        values.clone(),
    )
    .await?;
    let total: i64 = counted.first().map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
    let n = values.len();
    let mut page_values = values;
    page_values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
    page_values.push(i64::try_from(offset).unwrap_or(i64::MAX).into());
    let sql = format!(
        "SELECT {columns} FROM {table} WHERE {filter} ORDER BY {order} LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let rows = store::sql::query(db, &sql, page_values).await?;
    let meta = PageMeta {
        total_count: u64::try_from(total).unwrap_or(0),
        limit,
        offset,
    };
    Ok((rows, meta))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn order_by_is_checked_and_applied() {
        assert!(order(Some("name"), &["name"]).is_ok());
        assert!(order(Some("-name"), &["name"]).is_ok_and(|o| o == Some(("name".into(), true))));
        assert!(order(Some("password"), &["name"]).is_err());
        let mut v = vec![json!({"n": 2}), json!({"n": null}), json!({"n": 1})];
        v.sort_by(|a, b| compare(&a["n"], &b["n"]));
        assert_eq!(v, vec![json!({"n": null}), json!({"n": 1}), json!({"n": 2})]);
    }
}
