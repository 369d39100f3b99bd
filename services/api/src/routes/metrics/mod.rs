//! Statistics for charts: `GET /api/{filesystem|target|host}/{id}/metric`
//! (one object), `GET /api/{filesystem|target|host}/metric` (every object
//! of the kind, apart or combined), and the jobs doing the most I/O
//! (`…/job_stats`). The reads themselves are `store::metric_query`.

pub mod all;
pub mod jobs;
pub mod object;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use store::metric_query::{Metric, ObjectKind, Objects, Reduce, SeriesRequest, Window};
use utoipa::openapi::schema::{ArrayBuilder, ArrayItems, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

/// Points a chart gets when it does not say.
pub const DEFAULT_POINTS: u32 = 300;
/// The most points a chart may ask for.
pub const MAX_POINTS: u32 = 5000;
/// The range a chart covers when it gives no `begin`.
pub const DEFAULT_SPAN: TimeDelta = TimeDelta::hours(1);

/// A chart's series and the buckets they are cut into.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsView {
    /// Start of the first bucket.
    begin: DateTime<Utc>,
    /// End of the range (excluded).
    end: DateTime<Utc>,
    /// Width of every bucket: each point is the average of the samples in
    /// `[time, time + interval_seconds)`.
    interval_seconds: i64,
    /// The table the buckets come from: `raw`, `minute` or `hour` (the
    /// newest part of the range, not rolled up yet, from finer ones).
    resolution: String,
    series: Vec<SeriesView>,
}

/// One metric of one object, or of all of them combined.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesView {
    /// The object; absent when the objects are combined (`reduce`).
    #[serde(skip_serializing_if = "Option::is_none")]
    object_id: Option<Uuid>,
    /// The metric, as asked for.
    name: String,
    /// `bytes`, `bytes/s`, `count`, `ops/s`, `msgs/s` or `percent`.
    unit: String,
    /// `[time, value]` pairs, oldest first: the start of a bucket and the
    /// average in it. Buckets without samples are left out.
    #[schema(schema_with = points_schema)]
    points: Vec<(DateTime<Utc>, f64)>,
}

fn points_schema() -> ArrayBuilder {
    let time = ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)));
    let value = ObjectBuilder::new().schema_type(Type::Number);
    let pair = ArrayBuilder::new()
        .prefix_items([Schema::Object(time.build()), Schema::Object(value.build())])
        .items(ArrayItems::False)
        .min_items(Some(2))
        .max_items(Some(2));
    ArrayBuilder::new().items(pair).description(Some(
        "`[time, value]` pairs, oldest first: the start of a bucket and the average in it. \
         Buckets without samples are left out.",
    ))
}

/// What every chart request says: which metrics, over when, in how many
/// points, and whether to combine the objects.
pub struct Asked<'a> {
    pub metrics: Option<&'a str>,
    pub begin: Option<&'a str>,
    pub end: Option<&'a str>,
    pub max_points: Option<u32>,
    pub reduce: Option<&'a str>,
}

/// Parses a time parameter.
fn time(text: Option<&str>, field: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(text) = text else { return Ok(None) };
    let time: DateTime<Utc> = text.parse().map_err(|e| {
        ApiError::bad(
            "invalid_query",
            format!("{field} {text:?} is not an RFC 3339 time ({e}), like 2026-01-31T12:00:00Z"),
            Some(field),
        )
    })?;
    crate::routes::events::check_time(Some(time), field)?;
    Ok(Some(time))
}

/// The range asked for: `end` defaults to now, `begin` to an hour before
/// `end`; `begin` must come first.
pub fn range(
    begin: Option<&str>,
    end: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let end = time(end, "end")?.unwrap_or(now);
    let begin = match time(begin, "begin")? {
        Some(begin) => begin,
        None => end
            .checked_sub_signed(DEFAULT_SPAN)
            .ok_or_else(|| ApiError::bad("invalid_query", "end is too early", Some("end")))?,
    };
    if begin >= end {
        return Err(ApiError::bad(
            "invalid_query",
            format!("begin ({begin}) must be before end ({end})"),
            Some("begin"),
        ));
    }
    Ok((begin, end))
}

/// The metrics named in `text` (comma-separated), each once.
fn metrics(kind: ObjectKind, text: Option<&str>) -> Result<Vec<&'static Metric>, ApiError> {
    let known = || {
        store::metric_query::metrics(kind)
            .iter()
            .map(|m| m.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = text.map(str::trim).filter(|t| !t.is_empty()).ok_or_else(|| {
        ApiError::bad(
            "invalid_query",
            format!(
                "name the metrics to read, comma-separated; a {} has {}",
                kind.as_str(),
                known()
            ),
            Some("metrics"),
        )
    })?;
    let mut wanted: Vec<&'static Metric> = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let metric = store::metric_query::metric(kind, name).ok_or_else(|| {
            ApiError::bad(
                "invalid_query",
                format!("unknown metric {name:?}; a {} has {}", kind.as_str(), known()),
                Some("metrics"),
            )
        })?;
        if !wanted.iter().any(|m| m.name == metric.name) {
            wanted.push(metric);
        }
    }
    Ok(wanted)
}

fn max_points(asked: Option<u32>) -> Result<u32, ApiError> {
    match asked.unwrap_or(DEFAULT_POINTS) {
        n @ 1..=MAX_POINTS => Ok(n),
        _ => Err(ApiError::bad(
            "invalid_query",
            format!("max_points must be between 1 and {MAX_POINTS}"),
            Some("max_points"),
        )),
    }
}

fn reduce(text: Option<&str>) -> Result<Option<Reduce>, ApiError> {
    match text {
        None => Ok(None),
        Some("sum") => Ok(Some(Reduce::Sum)),
        Some("average") => Ok(Some(Reduce::Average)),
        Some(other) => Err(ApiError::bad(
            "invalid_query",
            format!("unknown reduce {other:?}; one of sum, average"),
            Some("reduce"),
        )),
    }
}

/// How the API names an object of `kind` in messages.
fn label(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Host => "host",
        ObjectKind::Target => "target",
        ObjectKind::Filesystem => "file system",
        ObjectKind::StorageResource => "storage resource",
    }
}

/// Reads the series a chart asks for and answers them.
pub async fn answer(
    state: &AppState,
    kind: ObjectKind,
    objects: Objects<'_>,
    asked: Asked<'_>,
) -> Result<actix_web::HttpResponse, ApiError> {
    let metrics = metrics(kind, asked.metrics)?;
    let (begin, end) = range(asked.begin, asked.end, Utc::now())?;
    let max_points = max_points(asked.max_points)?;
    let reduce = reduce(asked.reduce)?;
    let window = Window::plan(begin, end, max_points, Utc::now());
    let request = store::metric_query::fit(
        &state.db,
        SeriesRequest {
            kind,
            objects,
            metrics,
            window,
            reduce,
        },
    )
    .await?;
    let window = request.window;
    let series = store::metric_query::series(&state.db, &request).await?.ok_or_else(|| {
        let id = match objects {
            Objects::One(id) => id.to_string(),
            Objects::All { .. } => String::new(),
        };
        ApiError::NotFound(format!("{} {id} does not exist", label(kind)))
    })?;
    Ok(crate::respond::ok(MetricsView {
        begin,
        end,
        interval_seconds: window.width_seconds,
        resolution: window.resolution.as_str().to_owned(),
        series: series
            .into_iter()
            .map(|s| SeriesView {
                object_id: s.object_id,
                name: s.metric.name.to_owned(),
                unit: s.metric.unit.to_owned(),
                points: s.points,
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_checked_before_the_database() {
        let now = Utc::now();
        assert!(range(None, None, now).is_ok_and(|(b, e)| e == now && e - b == DEFAULT_SPAN));
        assert!(range(Some("yesterday"), None, now).is_err());
        assert!(range(Some("2026-01-02T00:00:00Z"), Some("2026-01-01T00:00:00Z"), now).is_err());
        assert!(range(Some("2026-01-01T00:00:00+01:00"), Some("2026-01-01T00:00:00Z"), now).is_ok());
        assert!(metrics(ObjectKind::Target, Some("read_bytes, write_bytes,read_bytes")).is_ok_and(|m| m.len() == 2));
        assert!(metrics(ObjectKind::Host, Some("read_bytes")).is_err());
        assert!(metrics(ObjectKind::Host, Some(" ")).is_err());
        assert!(max_points(Some(0)).is_err() && max_points(Some(5001)).is_err());
        assert!(max_points(None).is_ok_and(|n| n == DEFAULT_POINTS));
        assert!(reduce(Some("max")).is_err());
    }
}
