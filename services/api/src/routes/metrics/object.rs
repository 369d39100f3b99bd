//! `GET /api/{filesystem|target|host}/{id}/metric`: one object's series.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use serde::Deserialize;
use store::metric_query::{ObjectKind, Objects};
use utoipa::IntoParams;

use super::{answer, Asked, MetricsView};
use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::state::AppState;

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ObjectMetrics {
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
}

async fn read(state: &AppState, kind: ObjectKind, path: &str, query: ObjectMetrics) -> Result<HttpResponse, ApiError> {
    let id = crate::routes::query::id(path, kind.as_str())?;
    let asked = Asked {
        metrics: query.metrics.as_deref(),
        begin: query.begin.as_deref(),
        end: query.end.as_deref(),
        max_points: query.max_points,
        reduce: None,
    };
    answer(state, kind, Objects::One(id), asked).await
}

/// A file system's series: space and bandwidth summed over its OSTs,
/// inodes and metadata operations over its MDTs, clients the most any MDT
/// sees. One series per metric asked for, in that order.
#[utoipa::path(
    get,
    path = "/api/filesystem/{id}/metric",
    tag = "metric",
    params(("id" = Uuid, Path, description = "The file system's id"), ObjectMetrics),
    responses(
        (status = 200, description = "One series per metric", body = Envelope<MetricsView>),
        (status = 400, description = "The id or a parameter is invalid, or a metric unknown", body = ErrorEnvelope),
        (status = 404, description = "No such file system", body = ErrorEnvelope),
    ),
)]
pub async fn filesystem(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ObjectMetrics>,
) -> Result<HttpResponse, ApiError> {
    read(&state, ObjectKind::Filesystem, &path, query.into_inner()).await
}

/// A target's series. One series per metric asked for, in that order.
#[utoipa::path(
    get,
    path = "/api/target/{id}/metric",
    tag = "metric",
    params(("id" = Uuid, Path, description = "The target's id"), ObjectMetrics),
    responses(
        (status = 200, description = "One series per metric", body = Envelope<MetricsView>),
        (status = 400, description = "The id or a parameter is invalid, or a metric unknown", body = ErrorEnvelope),
        (status = 404, description = "No such target", body = ErrorEnvelope),
    ),
)]
pub async fn target(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ObjectMetrics>,
) -> Result<HttpResponse, ApiError> {
    read(&state, ObjectKind::Target, &path, query.into_inner()).await
}

/// A server's series. One series per metric asked for, in that order.
#[utoipa::path(
    get,
    path = "/api/host/{id}/metric",
    tag = "metric",
    params(("id" = Uuid, Path, description = "The host's id"), ObjectMetrics),
    responses(
        (status = 200, description = "One series per metric", body = Envelope<MetricsView>),
        (status = 400, description = "The id or a parameter is invalid, or a metric unknown", body = ErrorEnvelope),
        (status = 404, description = "No such host", body = ErrorEnvelope),
    ),
)]
pub async fn host(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ObjectMetrics>,
) -> Result<HttpResponse, ApiError> {
    read(&state, ObjectKind::Host, &path, query.into_inner()).await
}
