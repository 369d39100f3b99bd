//! `GET /api/stream[?kinds=job,step,…]`: a live stream of changes as
//! Server-Sent Events, for the console. Each committed state change of a
//! command, job, step, host, target, file system or alert arrives as
//! `event: change` with a JSON `data` line (`kind`, `id`, `op`, `state`,
//! and `job_id`, `action`, `attempts` for steps; steps of the engine's
//! diagnostic actions are not streamed, their jobs are). The changes come
//! from PostgreSQL (`LISTEN chroma_changes`, fed by triggers), so every API
//! process streams every change, whoever made it. A client too slow to
//! keep up gets `event: lagged` and should re-read what it shows.
//!
//! The caller's token is checked again at every keep-alive: once it is
//! revoked (a logout, a new password, a disabled user) or has expired, the
//! stream sends `event: ended` and ends, so a user locked out stops
//! receiving changes within a keep-alive.

use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use std::time::Duration;
use tokio::sync::broadcast;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// How often a stream sends a comment so proxies keep it open, and checks
/// that its token is still live.
pub const KEEPALIVE: Duration = Duration::from_secs(15);
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
        JSON `data` line per committed change, `event: lagged` when the client fell behind). It ends with \
        `event: ended` within a keep-alive (15 s) of its token being revoked or expiring, or its user \
        being disabled; it never ends otherwise.",
    params(("kinds" = Option<String>, Query,
        description = "Comma-separated kinds: command, job, step, host, target, filesystem, alert, event (not command outcomes: see command), log_line (a batch of server log lines), metrics (a monitoring round was recorded), params (parameters were read back), storage, ha_cluster (an HA cluster's state, quorum or fencing changed); all when absent")),
    responses(
        (status = 200, description = "The event stream", content_type = "text/event-stream", body = String),
        (status = 400, description = "An unknown kind or parameter", body = super::openapi::ErrorEnvelope),
    ),
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<Filters>,
) -> Result<HttpResponse, ApiError> {
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
    // The check runs on its own clock: a busy stream never idles into a
    // keep-alive, and must end as soon as an idle one.
    let mut checks = tokio::time::interval_at(tokio::time::Instant::now() + KEEPALIVE, KEEPALIVE);
    checks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let open = Open {
        receiver,
        kinds,
        checks,
        token_id: caller.token_id,
        db: state.db.clone(),
        ended: false,
    };
    let changes = futures::stream::unfold(open, move |mut open| {
        let closing = closing.clone();
        async move {
            if open.ended {
                return None;
            }
            let bytes = open.next(&closing).await?;
            Some((Ok::<_, actix_web::Error>(bytes), open))
        }
    });
    let stream = futures::StreamExt::chain(futures::stream::once(async move { Ok(hello) }), changes);
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(stream))
}

/// An open stream: what it listens to and whose token it serves.
struct Open {
    receiver: broadcast::Receiver<String>,
    kinds: Vec<String>,
    checks: tokio::time::Interval,
    token_id: uuid::Uuid,
    db: sea_orm::DatabaseConnection,
    /// The last frame (`ended`) is sent: the stream ends after it.
    ended: bool,
}

impl Open {
    /// The next frame, or None when the stream ends without one.
    async fn next(&mut self, closing: &tokio_util::sync::CancellationToken) -> Option<Bytes> {
        loop {
            let next = tokio::select! {
                _ = closing.cancelled() => return None,
                _ = self.checks.tick() => {
                    return Some(match store::users::token_is_live(&self.db, self.token_id).await {
                        Ok(true) => Bytes::from_static(b": keepalive\n\n"),
                        Ok(false) => {
                            self.ended = true;
                            frame("ended", r#"{"reason":"the token is revoked or expired, or its user disabled; log in again"}"#)
                        }
                        // A database outage does not end streams; the next
                        // keep-alive checks again.
                        Err(e) => {
                            tracing::warn!("cannot check a stream's token: {e}");
                            Bytes::from_static(b": keepalive\n\n")
                        }
                    });
                }
                next = self.receiver.recv() => next,
            };
            return Some(match next {
                Ok(payload) if wanted(&payload, &self.kinds) => frame("change", &payload),
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    frame("lagged", &format!("{{\"missed\":{missed}}}"))
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            });
        }
    }
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
