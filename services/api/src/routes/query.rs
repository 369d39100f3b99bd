//! Parsing what a request names: ids in paths, pagination in queries.

use serde::Deserialize;
use uuid::Uuid;

use crate::error::ApiError;

/// Largest page a list returns.
pub const MAX_LIMIT: u64 = 1_000;
/// Page size when none is asked for.
pub const DEFAULT_LIMIT: u64 = 50;
/// Largest offset accepted (the database counts in signed 64-bit).
pub const MAX_OFFSET: u64 = i64::MAX as u64;

/// Parses an id from the path.
pub fn id(text: &str, kind: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(text).map_err(|_| {
        ApiError::bad(
            "invalid_id",
            format!("{text:?} is not a valid {kind} id (a UUID)"),
            Some("id"),
        )
    })
}

/// Checks a free-text filter: PostgreSQL text cannot hold NUL, so a value
/// with one could match nothing and would fail the query.
pub fn text(value: Option<&str>, field: &str) -> Result<(), ApiError> {
    match value {
        Some(v) if v.contains('\0') => Err(ApiError::bad(
            "invalid_query",
            format!("{field} must not contain NUL characters"),
            Some(field),
        )),
        _ => Ok(()),
    }
}

/// Whether any string or key in `value` holds NUL, which PostgreSQL's
/// `text` and `jsonb` refuse.
pub fn holds_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(holds_nul),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

/// `limit` and `offset` of a list request.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Paging {
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

impl Paging {
    /// The limit and offset to use, checked.
    pub fn resolve(self) -> Result<(u64, u64), ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ApiError::bad(
                "invalid_query",
                format!("limit must be between 1 and {MAX_LIMIT}"),
                Some("limit"),
            ));
        }
        let offset = self.offset.unwrap_or(0);
        if offset > MAX_OFFSET {
            return Err(ApiError::bad(
                "invalid_query",
                format!("offset must be at most {MAX_OFFSET}"),
                Some("offset"),
            ));
        }
        Ok((limit, offset))
    }
}
