//! `GET /api/{filesystem|target|host}/metric`: the series of every object
//! of a kind, one per object (for heat maps and balance charts) or
//! combined into one per metric (`reduce`).

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use serde::Deserialize;
use store::metric_query::{ObjectKind, Objects};
use utoipa::IntoParams;
use uuid::Uuid;

use super::{answer, Asked, MetricsView};
use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::state::AppState;

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AllMetrics {
    /// The metrics to read, comma-separated (`read_bytes,write_bytes`).
    #[param(required = true)]
    metrics: Option<String>,
    /// Start of the range (RFC 3339; send `+` as `%2B`); an hour before
    /// `end` by default.
    #[param(format = DateTime)]
    begin: Option<String>,
    /// End of the range, excluded (RFC 3339); now by default.
    #[param(format = DateTime)]
    end: Option<String>,
    /// The most points per series: the range is cut into buckets of
    /// `(end - begin) / max_points`, at least 10 s.
    #[param(minimum = 1, maximum = 5000, default = 300)]
    max_points: Option<u32>,
    /// Combine the objects into one series per metric: `sum` or `average`
    /// of their bucket averages. Without it, one series per object and
    /// metric, for the objects with samples in the range.
    reduce: Option<String>,
}

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AllTargetMetrics {
    /// The metrics to read, comma-separated (`read_bytes,write_bytes`).
    #[param(required = true)]
    metrics: Option<String>,
    /// Start of the range (RFC 3339; send `+` as `%2B`); an hour before
    /// `end` by default.
    #[param(format = DateTime)]
    begin: Option<String>,
    /// End of the range, excluded (RFC 3339); now by default.
    #[param(format = DateTime)]
    end: Option<String>,
    /// The most points per series: the range is cut into buckets of
    /// `(end - begin) / max_points`, at least 10 s.
    #[param(minimum = 1, maximum = 5000, default = 300)]
    max_points: Option<u32>,
    /// Combine the targets into one series per metric: `sum` or `average`
    /// of their bucket averages. Without it, one series per target and
    /// metric, for the targets with samples in the range.
    reduce: Option<String>,
    /// Only the targets of this file system.
    #[param(value_type = Option<Uuid>)]
    filesystem_id: Option<String>,
    /// Only targets of this kind: `ost`, `mdt` or `mgt`.
    kind: Option<String>,
}

fn asked<'a>(
    metrics: &'a Option<String>,
    begin: &'a Option<String>,
    end: &'a Option<String>,
    max_points: Option<u32>,
    reduce: &'a Option<String>,
) -> Asked<'a> {
    Asked {
        metrics: metrics.as_deref(),
        begin: begin.as_deref(),
        end: end.as_deref(),
        max_points,
        reduce: reduce.as_deref(),
    }
}

const EVERY: Objects<'static> = Objects::All {
    filesystem_id: None,
    target_kind: None,
};

/// Every file system's series, or their sum or average.
#[utoipa::path(
    get,
    path = "/api/filesystem/metric",
    tag = "metric",
    params(AllMetrics),
    responses(
        (status = 200, description = "One series per file system and metric, or per metric when reduced", body = Envelope<MetricsView>),
        (status = 400, description = "A parameter is invalid, or a metric unknown", body = ErrorEnvelope),
    ),
)]
pub async fn filesystems(state: web::Data<AppState>, query: web::Query<AllMetrics>) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let asked = asked(&q.metrics, &q.begin, &q.end, q.max_points, &q.reduce);
    answer(&state, ObjectKind::Filesystem, EVERY, asked).await
}

/// Every server's series, or their sum or average.
#[utoipa::path(
    get,
    path = "/api/host/metric",
    tag = "metric",
    params(AllMetrics),
    responses(
        (status = 200, description = "One series per host and metric, or per metric when reduced", body = Envelope<MetricsView>),
        (status = 400, description = "A parameter is invalid, or a metric unknown", body = ErrorEnvelope),
    ),
)]
pub async fn hosts(state: web::Data<AppState>, query: web::Query<AllMetrics>) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let asked = asked(&q.metrics, &q.begin, &q.end, q.max_points, &q.reduce);
    answer(&state, ObjectKind::Host, EVERY, asked).await
}

/// Every target's series (of a file system, of a kind), or their sum or
/// average: per-OST series draw the OST balance heat map.
#[utoipa::path(
    get,
    path = "/api/target/metric",
    tag = "metric",
    params(AllTargetMetrics),
    responses(
        (status = 200, description = "One series per target and metric, or per metric when reduced", body = Envelope<MetricsView>),
        (status = 400, description = "A parameter is invalid, or a metric unknown", body = ErrorEnvelope),
    ),
)]
pub async fn targets(
    state: web::Data<AppState>,
    query: web::Query<AllTargetMetrics>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let filesystem_id = q
        .filesystem_id
        .as_deref()
        .map(|text| {
            Uuid::parse_str(text).map_err(|_| {
                ApiError::bad(
                    "invalid_query",
                    format!("filesystem_id {text:?} is not a file system id (a UUID)"),
                    Some("filesystem_id"),
                )
            })
        })
        .transpose()?;
    if let Some(kind) = q.kind.as_deref() {
        if !["ost", "mdt", "mgt"].contains(&kind) {
            return Err(ApiError::bad(
                "invalid_query",
                format!("unknown target kind {kind:?}; one of ost, mdt, mgt"),
                Some("kind"),
            ));
        }
    }
    let objects = Objects::All {
        filesystem_id,
        target_kind: q.kind.as_deref(),
    };
    let asked = asked(&q.metrics, &q.begin, &q.end, q.max_points, &q.reduce);
    answer(&state, ObjectKind::Target, objects, asked).await
}
