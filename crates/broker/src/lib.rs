//! RabbitMQ access shared by every process: one place that declares the
//! topology, a pooled connection (deadpool-lapin), a publisher that waits
//! for confirms, and consumers with an explicit prefetch.

use deadpool_lapin::{Pool, Runtime};
use futures::future::try_join_all;
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions, ExchangeDeclareOptions,
    QueueBindOptions, QueueDeclareOptions,
};
use lapin::publisher_confirm::Confirmation;
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Channel, ConnectionProperties, Consumer, ExchangeKind};
use secrecy::ExposeSecret;
use setup::Settings;
use std::time::Duration;
use tokio::sync::Mutex;
use wire::topology::Topology;

pub mod consume;

pub use consume::consume_batches;
pub use lapin;

/// A broker operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("broker connection failed: {0}")]
    Pool(String),
    #[error("broker operation failed: {0}")]
    Amqp(#[from] lapin::Error),
    #[error("broker refused message (negative confirm) on {0}")]
    Nacked(String),
}

/// The broker of one installation: a connection pool and its topology.
#[derive(Clone)]
pub struct Broker {
    pool: Pool,
    topology: Topology,
    delivery_limit: u32,
}

impl Broker {
    /// Prepares the pool; no connection is opened until one is needed.
    pub fn new(settings: &Settings) -> Result<Self, BrokerError> {
        let properties = ConnectionProperties::default()
            .with_executor(tokio_executor_trait::Tokio::current())
            .with_reactor(tokio_reactor_trait::Tokio);
        // Bounded waits: an unreachable broker must not hang a request or a
        // loop for minutes; callers retry.
        let mut pool = deadpool_lapin::PoolConfig::new(4);
        pool.timeouts = deadpool_lapin::Timeouts {
            wait: Some(Duration::from_secs(10)),
            create: Some(Duration::from_secs(10)),
            recycle: Some(Duration::from_secs(5)),
        };
        let config = deadpool_lapin::Config {
            url: Some(settings.amqp_url.expose_secret().to_owned()),
            pool: Some(pool),
            connection_properties: properties,
        };
        let pool = config
            .create_pool(Some(Runtime::Tokio1))
            .map_err(|e| BrokerError::Pool(e.to_string()))?;
        Ok(Self {
            pool,
            topology: settings.topology(),
            delivery_limit: settings.delivery_limit,
        })
    }

    /// The names of this installation's exchanges and queues.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// A new channel on a pooled connection, with the topology declared.
    pub async fn channel(&self) -> Result<Channel, BrokerError> {
        let connection = self.pool.get().await.map_err(|e| BrokerError::Pool(e.to_string()))?;
        let channel = connection.create_channel().await?;
        declare(&channel, &self.topology, self.delivery_limit).await?;
        Ok(channel)
    }

    /// Starts consuming `queue` on a new channel with `prefetch`
    /// unacknowledged messages at most.
    pub async fn consume(&self, queue: &str, prefetch: u16, tag: &str) -> Result<(Channel, Consumer), BrokerError> {
        let channel = self.channel().await?;
        channel.basic_qos(prefetch, BasicQosOptions::default()).await?;
        let consumer = channel
            .basic_consume(queue, tag, BasicConsumeOptions::default(), FieldTable::default())
            .await?;
        Ok((channel, consumer))
    }

    /// Closes the pooled connections cleanly (so the broker does not see
    /// them drop), then the pool. Call once the process's loops stopped.
    pub async fn close(&self) {
        let mut held = Vec::new();
        // The pool hands out its idle connections before it creates any.
        for _ in 0..self.pool.status().size {
            match tokio::time::timeout(Duration::from_millis(200), self.pool.get()).await {
                Ok(Ok(connection)) => held.push(connection),
                _ => break,
            }
        }
        for connection in &held {
            if connection.status().connected() {
                let _ = connection.close(200, "shutting down").await;
            }
        }
        self.pool.close();
    }

    /// Whether a connection to the broker can be made now.
    pub async fn is_healthy(&self) -> bool {
        match self.pool.get().await {
            Ok(connection) => connection.status().connected(),
            Err(_) => false,
        }
    }

    /// `Ok` when a connection to the broker can be made now, else why not
    /// (a readiness check of `setup::ops`).
    pub async fn readiness(&self) -> Result<(), String> {
        match self.pool.get().await {
            Ok(connection) if connection.status().connected() => Ok(()),
            Ok(_) => Err("the broker connection is closed".into()),
            Err(e) => Err(format!("the broker does not answer: {e}")),
        }
    }
}

fn quorum_arguments(extra: &[(&str, AMQPValue)]) -> FieldTable {
    let mut args = FieldTable::default();
    args.insert(
        ShortString::from("x-queue-type"),
        AMQPValue::LongString(LongString::from("quorum")),
    );
    for (name, value) in extra {
        args.insert(ShortString::from(*name), value.clone());
    }
    args
}

/// Declares every exchange and queue (idempotent).
async fn declare(channel: &Channel, topology: &Topology, delivery_limit: u32) -> Result<(), BrokerError> {
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    channel
        .exchange_declare(
            &topology.dead_letter_exchange,
            ExchangeKind::Direct,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    channel
        .queue_declare(&topology.dead_steps, durable, quorum_arguments(&[]))
        .await?;
    channel
        .queue_bind(
            &topology.dead_steps,
            &topology.dead_letter_exchange,
            &topology.steps,
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let steps_args = quorum_arguments(&[
        ("x-delivery-limit", AMQPValue::LongLongInt(i64::from(delivery_limit))),
        (
            "x-dead-letter-exchange",
            AMQPValue::LongString(LongString::from(topology.dead_letter_exchange.as_str())),
        ),
    ]);
    channel.queue_declare(&topology.steps, durable, steps_args).await?;
    channel
        .queue_declare(&topology.results, durable, quorum_arguments(&[]))
        .await?;
    channel
        .queue_declare(&topology.jobs, durable, quorum_arguments(&[]))
        .await?;
    Ok(())
}

/// Publishes persistent messages and waits for the broker's confirms,
/// reopening its channel after a broker failure.
pub struct Publisher {
    broker: Broker,
    channel: Mutex<Option<Channel>>,
}

impl Publisher {
    /// A publisher that opens its channel on first use.
    pub fn new(broker: Broker) -> Self {
        Self {
            broker,
            channel: Mutex::new(None),
        }
    }

    async fn confirm_channel(&self) -> Result<Channel, BrokerError> {
        let mut current = self.channel.lock().await;
        if let Some(channel) = current.as_ref().filter(|c| c.status().connected()) {
            return Ok(channel.clone());
        }
        let channel = self.broker.channel().await?;
        channel.confirm_select(ConfirmSelectOptions::default()).await?;
        *current = Some(channel.clone());
        Ok(channel)
    }

    /// Publishes every body to `queue` (through the default exchange) and
    /// returns once the broker confirmed all of them. Nothing is assumed
    /// delivered on error.
    pub async fn publish_all(&self, queue: &str, bodies: Vec<Vec<u8>>) -> Result<(), BrokerError> {
        if bodies.is_empty() {
            return Ok(());
        }
        let channel = self.confirm_channel().await?;
        let result = publish_confirmed(&channel, queue, bodies).await;
        if result.is_err() {
            // Open a fresh channel next time.
            *self.channel.lock().await = None;
        }
        result
    }

    /// Serialises and publishes `messages` to `queue`.
    pub async fn publish_json<T: serde::Serialize>(&self, queue: &str, messages: &[T]) -> Result<(), BrokerError> {
        let bodies = messages
            .iter()
            .map(serde_json::to_vec)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| BrokerError::Pool(format!("cannot encode message: {e}")))?;
        self.publish_all(queue, bodies).await
    }
}

/// Longest wait for the broker to confirm a batch.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(30);

async fn publish_confirmed(channel: &Channel, queue: &str, bodies: Vec<Vec<u8>>) -> Result<(), BrokerError> {
    let properties = BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type(ShortString::from("application/json"));
    let mut confirms = Vec::with_capacity(bodies.len());
    for body in bodies {
        confirms.push(
            channel
                .basic_publish("", queue, BasicPublishOptions::default(), &body, properties.clone())
                .await?,
        );
    }
    // A blocked broker (memory or disk alarm) must not stall callers forever.
    let confirmed = tokio::time::timeout(CONFIRM_TIMEOUT, try_join_all(confirms))
        .await
        .map_err(|_| {
            BrokerError::Pool(format!(
                "no confirm from the broker within {CONFIRM_TIMEOUT:?} on {queue}"
            ))
        })??;
    for confirmation in confirmed {
        if let Confirmation::Nack(_) = confirmation {
            return Err(BrokerError::Nacked(queue.to_owned()));
        }
    }
    Ok(())
}
