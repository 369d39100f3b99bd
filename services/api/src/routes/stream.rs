//! `GET /api/stream[?kinds=job,step,…]`: a live stream of changes as
//! Server-Sent Events, for the console. Each committed state change of a
//! command, job, step, host, target, file system or alert arrives as
//! `event: change` with a JSON `data` line (`kind`, `id`, `op`, `state`,
//! and `job_id`, `action`, `attempts` for steps; steps of the engine's
//! diagnostic actions are not streamed, their jobs are). The changes come
//! from PostgreSQL (`LISTEN chroma_changes`, fed by triggers), so every API
//! process streams every change, whoever made it. A client too slow to
//! keep up gets `event: lagged` and should re-read what it shows.

use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use std::time::Duration;
use tokio::sync::broadcast;

use crate::error::ApiError;
use crate::state::AppState;

/// How often an idle stream sends a comment so proxies keep it open.
const KEEPALIVE: Duration = Duration::from_secs(15);
/// Kinds of change a client may ask for.
const KINDS: [&str; 13] = [
    "command",
    "job",
    "step",
    "host",
    "target",
    "filesystem",
    "alert",
    "event",
    "log_line",
    "metrics",
    "params",
    "storage",
    "ha_cluster",
];

/// Query parameters; any other is refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    /// Comma-separated kinds; all when absent.
    kinds: Option<String>,
}

fn frame(event: &str, data: &str) -> Bytes {
    Bytes::from(format!("event: {event}\ndata: {data}\n\n"))
}

/// Whether a change notification is of one of `kinds`.
fn wanted(payload: &str, kinds: &[String]) -> bool {
    kinds.is_empty()
        || serde_json::from_str::<serde_json::Value>(payload)
            .ok()
            .and_then(|v| v["kind"].as_str().map(|k| kinds.iter().any(|w| w == k)))
            .unwrap_or(false)
}

/// Streams changes until the client goes away.
#[utoipa::path(
    get,
    path = "/api/stream",
    tag = "event",
    description = "A live stream of changes as Server-Sent Events (`event: hello`, then `event: change` with a \
        JSON `data` line per committed change, `event: lagged` when the client fell behind). It never ends.",
    params(("kinds" = Option<String>, Query,
        description = "Comma-separated kinds: command, job, step, host, target, filesystem, alert, event (not command outcomes: see command), log_line (a batch of server log lines), metrics (a monitoring round was recorded), params (parameters were read back), storage, ha_cluster (an HA cluster's state, quorum or fencing changed); all when absent")),
    responses(
        (status = 200, description = "The event stream", content_type = "text/event-stream", body = String),
        (status = 400, description = "An unknown kind or parameter", body = super::openapi::ErrorEnvelope),
    ),
)]
pub async fn get(state: web::Data<AppState>, query: web::Query<Filters>) -> Result<HttpResponse, ApiError> {
    let kinds: Vec<String> = match query.into_inner().kinds {
        None => Vec::new(),
        Some(list) => list.split(',').map(|k| k.trim().to_owned()).collect(),
    };
    if let Some(bad) = kinds.iter().find(|k| !KINDS.contains(&k.as_str())) {
        return Err(ApiError::bad(
            "invalid_query",
            format!("unknown kind {bad:?}; kinds are {}", KINDS.join(", ")),
            Some("kinds"),
        ));
    }
    let receiver = state.changes.subscribe();
    let closing = state.closing.clone();
    let hello = frame(
        "hello",
        &format!("{{\"api_version\":\"{}\"}}", super::version::API_VERSION),
    );
    let changes = futures::stream::unfold((receiver, kinds), move |(mut receiver, kinds)| {
        let closing = closing.clone();
        async move {
            loop {
                let next = tokio::select! {
                    _ = closing.cancelled() => return None,
                    next = tokio::time::timeout(KEEPALIVE, receiver.recv()) => next,
                };
                let bytes = match next {
                    Err(_) => Bytes::from_static(b": keepalive\n\n"),
                    Ok(Ok(payload)) if wanted(&payload, &kinds) => frame("change", &payload),
                    Ok(Ok(_)) => continue,
                    Ok(Err(broadcast::error::RecvError::Lagged(missed))) => {
                        frame("lagged", &format!("{{\"missed\":{missed}}}"))
                    }
                    Ok(Err(broadcast::error::RecvError::Closed)) => return None,
                };
                return Some((Ok::<_, actix_web::Error>(bytes), (receiver, kinds)));
            }
        }
    });
    let stream = futures::StreamExt::chain(futures::stream::once(async move { Ok(hello) }), changes);
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(stream))
}

/// Forwards change-stream notifications ([`store::events::CHANGE_CHANNEL`])
/// to `sender` for as long as the process lives, reconnecting after a
/// database outage.
pub async fn listen(db: sea_orm::DatabaseConnection, sender: broadcast::Sender<String>) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        let pool = db.get_postgres_connection_pool().clone();
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => {
                if let Err(e) = listener.listen(store::events::CHANGE_CHANNEL).await {
                    tracing::warn!("cannot listen for changes: {e}");
                } else {
                    loop {
                        match listener.recv().await {
                            Ok(n) => {
                                // No subscriber is not an error.
                                let _ = sender.send(n.payload().to_owned());
                            }
                            Err(e) => {
                                tracing::warn!("change listener lost its connection: {e}");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!("cannot connect the change listener: {e}"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_by_kind() {
        let job = r#"{"kind":"job","id":"x","state":"running"}"#;
        assert!(wanted(job, &[]));
        assert!(wanted(job, &["job".into()]));
        assert!(!wanted(job, &["step".into()]));
        assert_eq!(frame("change", "{}"), Bytes::from("event: change\ndata: {}\n\n"));
    }
}
