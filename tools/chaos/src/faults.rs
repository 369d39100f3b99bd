//! The faults, injected one at a time at a steady interval while the
//! stream runs, in rounds that hold each kind once in a random order.

use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::rng::Rng;
use crate::sim::HOSTS;
use crate::stack::Stack;

/// A kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultKind {
    /// SIGKILL a worker (a replacement starts under a new id).
    KillWorker,
    /// SIGKILL the scheduler and start it again.
    KillScheduler,
    /// SIGKILL the API and start it again.
    RestartApi,
    /// Restart RabbitMQ (every connection closed, durable state kept).
    RestartBroker,
    /// Crash PostgreSQL (`pg_ctl restart -m immediate`).
    RestartDatabase,
    /// Kill lustre-sim and serve again: every SSH connection drops.
    DropSsh,
    /// Make one simulated server slow for a while.
    SlowSsh,
}

impl FaultKind {
    pub const ALL: [FaultKind; 7] = [
        FaultKind::KillWorker,
        FaultKind::KillScheduler,
        FaultKind::RestartApi,
        FaultKind::RestartBroker,
        FaultKind::RestartDatabase,
        FaultKind::DropSsh,
        FaultKind::SlowSsh,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FaultKind::KillWorker => "SIGKILL a worker",
            FaultKind::KillScheduler => "SIGKILL the scheduler",
            FaultKind::RestartApi => "restart the API (SIGKILL)",
            FaultKind::RestartBroker => "restart RabbitMQ",
            FaultKind::RestartDatabase => "restart PostgreSQL (immediate)",
            FaultKind::DropSsh => "drop SSH connections (lustre-sim killed)",
            FaultKind::SlowSsh => "slow a simulated server",
        }
    }
}

/// One injected fault.
#[derive(Debug, Clone)]
pub struct Injected {
    pub kind: FaultKind,
    pub at: DateTime<Utc>,
    /// How long the injection (and recovery of the part) took.
    pub took: Duration,
    /// Why it could not be injected, if it could not.
    pub error: Option<String>,
}

/// Injects faults every `interval` until `stop` and at least `rounds`
/// rounds are done; returns what it did. Slowness is cleared at the next
/// fault and at the end.
pub async fn run(
    stack: Arc<Mutex<Stack>>,
    interval: Duration,
    rounds: usize,
    seed: u64,
    stop: CancellationToken,
) -> Vec<Injected> {
    let mut rng = Rng::new(seed ^ 0xFA17);
    let mut log = Vec::new();
    let mut round: Vec<FaultKind> = Vec::new();
    let mut slowed: Option<String> = None;
    let enough = rounds * FaultKind::ALL.len();
    loop {
        if log.len() >= enough && round.is_empty() {
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(interval) => {}
            }
        } else {
            tokio::time::sleep(interval).await;
        }
        if let Some(host) = slowed.take() {
            let _ = stack.lock().await.sim.slow(&host, 0);
        }
        if round.is_empty() {
            round = FaultKind::ALL.to_vec();
            rng.shuffle(&mut round);
        }
        let Some(kind) = round.pop() else { continue };
        let at = Utc::now();
        let started = Instant::now();
        let mut stack = stack.lock().await;
        let result = inject(&mut stack, kind, &mut rng, &mut slowed).await;
        drop(stack);
        let (detail, error) = match result {
            Ok(detail) => (detail, None),
            Err(err) => (String::new(), Some(format!("{err:#}"))),
        };
        println!(
            "  fault: {}{}{}",
            kind.name(),
            if detail.is_empty() {
                String::new()
            } else {
                format!(" ({detail})")
            },
            error.as_deref().map(|e| format!(" FAILED: {e}")).unwrap_or_default()
        );
        log.push(Injected {
            kind,
            at,
            took: started.elapsed(),
            error,
        });
    }
    if let Some(host) = slowed {
        let _ = stack.lock().await.sim.slow(&host, 0);
    }
    log
}

async fn inject(
    stack: &mut Stack,
    kind: FaultKind,
    rng: &mut Rng,
    slowed: &mut Option<String>,
) -> anyhow::Result<String> {
    match kind {
        FaultKind::KillWorker => {
            let index = rng.below(stack.workers.len());
            let id = stack.kill_worker(index).await?;
            Ok(id)
        }
        FaultKind::KillScheduler => stack.kill_scheduler().await.map(|()| String::new()),
        FaultKind::RestartApi => stack.restart_api().await.map(|()| String::new()),
        FaultKind::RestartBroker => stack.broker.restart().await.map(|()| String::new()),
        FaultKind::RestartDatabase => stack.postgres.restart().await.map(|()| String::new()),
        FaultKind::DropSsh => stack.sim.restart().await.map(|()| String::new()),
        FaultKind::SlowSsh => {
            let host = HOSTS[rng.below(HOSTS.len())];
            let ms = rng.between(200, 1_500);
            stack.sim.slow(host, ms)?;
            *slowed = Some(host.to_owned());
            Ok(format!("{host} +{ms} ms per command"))
        }
    }
}
