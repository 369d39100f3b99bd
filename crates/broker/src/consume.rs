//! A consumer loop that survives broker restarts: it hands batches of
//! ready deliveries to a handler, and on any channel or handler failure it
//! closes its channel (so the broker requeues what was not acknowledged),
//! waits, reconnects and goes on until shutdown.

use futures::{FutureExt, StreamExt};
use lapin::message::Delivery;
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use crate::Broker;

/// Longest pause between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Consumes `queue` until `shutdown`, calling `handle` with every batch of
/// up to `prefetch` deliveries that are ready at once. The handler acks.
pub async fn consume_batches<F, Fut>(
    broker: &Broker,
    queue: &str,
    prefetch: u16,
    tag: &str,
    shutdown: &CancellationToken,
    mut handle: F,
) where
    F: FnMut(Vec<Delivery>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let mut backoff = Duration::from_millis(100);
    while !shutdown.is_cancelled() {
        match consume_once(broker, queue, prefetch, tag, shutdown, &mut handle, &mut backoff).await {
            Ok(()) => return,
            Err(err) => {
                tracing::warn!(queue, "consumer stopped, reconnecting in {backoff:?}: {err:#}");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

async fn consume_once<F, Fut>(
    broker: &Broker,
    queue: &str,
    prefetch: u16,
    tag: &str,
    shutdown: &CancellationToken,
    handle: &mut F,
    backoff: &mut Duration,
) -> anyhow::Result<()>
where
    F: FnMut(Vec<Delivery>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let (channel, mut consumer) = broker.consume(queue, prefetch, tag).await?;
    *backoff = Duration::from_millis(100);
    let outcome = loop {
        let next = tokio::select! {
            () = shutdown.cancelled() => break Ok(()),
            next = consumer.next() => next,
        };
        let first = match next {
            Some(Ok(delivery)) => delivery,
            Some(Err(err)) => break Err(err.into()),
            None => break Err(anyhow::anyhow!("the broker closed the consumer")),
        };
        let mut batch = vec![first];
        while batch.len() < usize::from(prefetch) {
            match consumer.next().now_or_never() {
                Some(Some(Ok(delivery))) => batch.push(delivery),
                Some(Some(Err(err))) => return Err(err.into()),
                _ => break,
            }
        }
        if let Err(err) = handle(batch).await {
            break Err(err);
        }
    };
    // Unacknowledged deliveries go back to the queue when the channel closes.
    let _ = channel.close(200, "consumer stopping").await;
    outcome
}
