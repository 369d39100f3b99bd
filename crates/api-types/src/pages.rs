//! The page every list answers.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One page of a list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub objects: Vec<T>,
    pub meta: PageMeta,
}

/// Where a page sits in the whole list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PageMeta {
    pub total_count: u64,
    pub limit: u64,
    pub offset: u64,
}
