//! `/api/host`: add servers and list them.

pub mod create;
pub mod list;

use serde::Serialize;
use uuid::Uuid;

use store::sql::query;

/// A server as the API shows it.
#[derive(Debug, Serialize)]
pub struct HostView {
    pub id: Uuid,
    pub address: String,
    pub port: i32,
    /// The pinned SSH host key; null until first contact.
    pub fingerprint: Option<String>,
    pub state: String,
    pub nodename: Option<String>,
    pub kernel: Option<String>,
    pub lustre_version: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

const COLUMNS: &str = "id, address, port, fingerprint, state, nodename, kernel, lustre_version, created_at";

/// Hosts matching `filter` (a WHERE clause over `$1`…), by address.
pub async fn load(
    db: &sea_orm::DatabaseConnection,
    filter: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<HostView>, sea_orm::DbErr> {
    let rows = query(
        db,
        &format!("SELECT {COLUMNS} FROM host WHERE {filter} ORDER BY address, port"),
        values,
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(HostView {
                id: r.try_get("", "id")?,
                address: r.try_get("", "address")?,
                port: r.try_get("", "port")?,
                fingerprint: r.try_get("", "fingerprint")?,
                state: r.try_get("", "state")?,
                nodename: r.try_get("", "nodename")?,
                kernel: r.try_get("", "kernel")?,
                lustre_version: r.try_get("", "lustre_version")?,
                created_at: r.try_get("", "created_at")?,
            })
        })
        .collect()
}
