//! One style for every list: `limit` (1–1000, default 50), `offset`,
//! `order_by` (a field name, `-` first for descending) among the fields a
//! resource allows, and `meta.total_count`. Lists of objects that number in
//! the hundreds (hosts, targets, volumes…) are loaded whole, then ordered
//! and paged here; the target list's default order, thousands of rows at a
//! large site, is paged by the database (`store::targets::views_page`).

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
