//! `--broker-only`: the raw RabbitMQ round trip the engine is built on. A
//! publisher with confirms sends persistent messages in batches, awaiting
//! each batch's confirms (the engine's `Publisher`), to a queue declared
//! like the engine's steps queue (durable, quorum, delivery limit,
//! dead-letter exchange); a consumer with a prefetch acks every message
//! individually, each ready batch at once (like a worker).

use anyhow::Context;
use broker::lapin::message::Delivery;
use broker::lapin::options::BasicAckOptions;
use broker::lapin::Consumer;
use broker::{Broker, Publisher};
use futures::future::try_join_all;
use futures::{FutureExt, StreamExt};
use serde_json::json;
use setup::Settings;
use std::time::{Duration, Instant};

use crate::stack::{self, Names};
use crate::stats::Pcts;
use crate::Args;

/// Runs the round trip, then deletes the queues unless `--keep`.
pub async fn run(args: &Args) -> anyhow::Result<()> {
    let base = Settings::from_env()?;
    let names = Names::fresh(&base)?;
    let settings = names.apply(&base);
    let broker = Broker::new(&settings)?;
    let queue = broker.topology().steps.clone();
    println!(
        "chroma-bench --broker-only: {} persistent messages of {} bytes to quorum queue {queue}, \
         confirmed batches of {}, consumer prefetch {}",
        args.messages,
        args.message_size.max(8),
        args.batch,
        args.prefetch
    );
    let outcome = measure(args, &broker, &queue).await;
    let cleanup = if args.keep {
        println!("kept queues {}.*", names.prefix);
        Ok(())
    } else {
        stack::remove_queues(&settings)
            .await
            .context("cannot delete the bench queues")
    };
    outcome?;
    cleanup
}

async fn measure(args: &Args, broker: &Broker, queue: &str) -> anyhow::Result<()> {
    let (channel, consumer) = broker.consume(queue, args.prefetch, "chroma-bench").await?;
    let origin = Instant::now();
    let consuming = tokio::spawn(consume(consumer, args.messages, origin));
    let publisher = Publisher::new(broker.clone());
    let published = publish(args, &publisher, queue, origin).await;
    let published_in = origin.elapsed();
    let consumed = match published {
        Ok(()) => tokio::time::timeout(Duration::from_secs(args.timeout), consuming)
            .await
            .context("timed out waiting for the consumer")?
            .context("consumer task failed")?,
        Err(err) => {
            consuming.abort();
            Err(err)
        }
    };
    let _ = channel.close(200, "bench done").await;
    let (mut latencies, last_ack) = consumed?;
    let round_trip = last_ack.duration_since(origin).as_secs_f64();
    let latency = Pcts::of(&mut latencies);
    let count = args.messages as f64;
    println!(
        "  round trip   {:>9.0} messages/s   (publish → consume → ack, {} in {round_trip:.3} s)",
        count / round_trip,
        args.messages
    );
    println!(
        "  publish      {:>9.0} messages/s   (publish with confirms only, {:.3} s)",
        count / published_in.as_secs_f64(),
        published_in.as_secs_f64()
    );
    println!("  latency      {latency}   (batch built → consumed)");
    if args.json {
        let summary = json!({
            "mode": "broker-only",
            "messages": args.messages,
            "message_size": args.message_size.max(8),
            "batch": args.batch,
            "prefetch": args.prefetch,
            "round_trip_s": round_trip,
            "round_trip_messages_per_s": count / round_trip,
            "publish_messages_per_s": count / published_in.as_secs_f64(),
            "latency_ms": latency.json(),
        });
        println!("{summary}");
    }
    Ok(())
}

/// Publishes every message in confirmed batches; each body starts with the
/// nanoseconds since `origin` at which its batch was built.
async fn publish(args: &Args, publisher: &Publisher, queue: &str, origin: Instant) -> anyhow::Result<()> {
    let size = args.message_size.max(8);
    let mut sent = 0;
    while sent < args.messages {
        let count = args.batch.min(args.messages - sent);
        let stamp = u64::try_from(origin.elapsed().as_nanos())?.to_le_bytes();
        let mut body = vec![b'x'; size];
        body[..8].copy_from_slice(&stamp);
        publisher.publish_all(queue, vec![body; count]).await?;
        sent += count;
    }
    Ok(())
}

/// Consumes and acks `total` messages; returns each one's latency in
/// milliseconds and when the last ack was sent.
async fn consume(mut consumer: Consumer, total: usize, origin: Instant) -> anyhow::Result<(Vec<f64>, Instant)> {
    let mut latencies = Vec::with_capacity(total);
    while latencies.len() < total {
        let first = consumer
            .next()
            .await
            .ok_or_else(|| anyhow::anyhow!("the broker closed the consumer"))??;
        let mut batch: Vec<Delivery> = vec![first];
        while let Some(Some(next)) = consumer.next().now_or_never() {
            batch.push(next?);
        }
        let now = origin.elapsed().as_nanos();
        for delivery in &batch {
            let stamp: [u8; 8] = delivery
                .data
                .get(..8)
                .and_then(|s| s.try_into().ok())
                .unwrap_or_default();
            let sent = u128::from(u64::from_le_bytes(stamp));
            latencies.push(now.saturating_sub(sent) as f64 / 1e6);
        }
        try_join_all(batch.iter().map(|d| d.acker.ack(BasicAckOptions::default()))).await?;
    }
    Ok((latencies, Instant::now()))
}
