//! `GET /api/volume`: block devices found on managed hosts, each with the
//! hosts it is visible from (two for a failover pair) and the target it
//! holds, if any.

use actix_web::{web, HttpResponse};
use common::envelope::Envelope;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::state::AppState;
use crate::views::Page;
use store::sql::query;

/// A block device and the hosts that see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VolumeView {
    id: Uuid,
    serial: String,
    size_bytes: i64,
    /// The live target on it, if any: a used volume cannot hold another.
    target_id: Option<Uuid>,
    target: Option<String>,
    nodes: Vec<NodeView>,
}

/// Where one host sees a volume.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeView {
    host_id: Uuid,
    host: Option<String>,
    path: String,
}

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// Volumes this host sees.
    host_id: Option<Uuid>,
    /// Only volumes holding no target (true) or holding one (false).
    free: Option<bool>,
    /// Page size.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    limit: Option<u64>,
    /// Objects to skip.
    offset: Option<u64>,
    /// `serial`, `size_bytes` or `target`; `-` first for descending.
    order_by: Option<String>,
}

/// Volumes with their nodes, by serial unless ordered.
#[utoipa::path(
    get,
    path = "/api/volume",
    tag = "volume",
    params(Filters),
    responses(
        (status = 200, description = "A page of volumes", body = Envelope<Page<VolumeView>>),
        (status = 400, description = "A parameter is invalid", body = ErrorEnvelope),
    ),
)]
pub async fn list(state: web::Data<AppState>, params: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let f = params.into_inner();
    let rows = query(
        &state.db,
        "SELECT v.id, v.serial, v.size_bytes, n.host_id, h.nodename, n.path, t.id AS target_id, t.name AS target
         FROM volume v JOIN volume_node n ON n.volume_id = v.id JOIN host h ON h.id = n.host_id
         LEFT JOIN target t ON t.volume_id = v.id AND t.state <> 'removed'
         WHERE h.state <> 'removed'
         ORDER BY v.serial, h.nodename",
        [],
    )
    .await?;
    let mut volumes: BTreeMap<String, VolumeView> = BTreeMap::new();
    for r in &rows {
        let serial: String = r.try_get("", "serial")?;
        let node = NodeView {
            host_id: r.try_get("", "host_id")?,
            host: r.try_get("", "nodename")?,
            path: r.try_get("", "path")?,
        };
        match volumes.get_mut(&serial) {
            Some(volume) => volume.nodes.push(node),
            None => {
                let volume = VolumeView {
                    id: r.try_get("", "id")?,
                    serial: serial.clone(),
                    size_bytes: r.try_get("", "size_bytes")?,
                    target_id: r.try_get("", "target_id")?,
                    target: r.try_get("", "target")?,
                    nodes: vec![node],
                };
                volumes.insert(serial, volume);
            }
        }
    }
    let objects: Vec<VolumeView> = volumes
        .into_values()
        .filter(|v| f.host_id.is_none_or(|h| v.nodes.iter().any(|n| n.host_id == h)))
        .filter(|v| f.free.is_none_or(|free| free == v.target_id.is_none()))
        .collect();
    let paging = crate::routes::query::Paging {
        limit: f.limit,
        offset: f.offset,
    };
    crate::routes::listing::page(
        objects,
        paging,
        f.order_by.as_deref(),
        &["serial", "size_bytes", "target"],
    )
}
