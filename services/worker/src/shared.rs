//! What a worker's tasks share: connections, its identity, and the step
//! attempts it holds with the tokens that interrupt them.

use broker::{Broker, Publisher};
use sea_orm::DatabaseConnection;
use setup::ops::{prometheus, Health};
use setup::Settings;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::metrics::Metrics;

/// A step attempt this worker holds, from claim until its result is
/// recorded and its message acknowledged.
pub struct Running {
    pub attempt: i32,
    pub cancel: CancellationToken,
    /// The action ended; its result waits to be recorded and acked.
    pub ended: bool,
    /// Interrupted to be given back to the queue, not cancelled.
    pub give_back: bool,
}

/// State shared by a worker's tasks.
pub struct Shared {
    pub settings: Settings,
    pub db: DatabaseConnection,
    pub broker: Broker,
    pub publisher: Publisher,
    /// SSH sessions to managed servers, pooled per host.
    pub ssh: chroma_ssh::Pools,
    /// Recorded as the owner of the steps it claims.
    pub worker_id: String,
    running: Mutex<HashMap<Uuid, Running>>,
    /// Set while stopping: no step is kept.
    stopping: AtomicBool,
    /// Liveness and readiness checks, and the registry of `metrics`.
    pub health: Health,
    pub metrics: Metrics,
}

impl Shared {
    /// Shares connections among a worker's tasks; registers the
    /// worker's metrics on `health`.
    pub fn new(
        settings: Settings,
        db: DatabaseConnection,
        broker: Broker,
        ssh: chroma_ssh::Pools,
        worker_id: String,
        health: Health,
    ) -> Result<Self, prometheus::Error> {
        Ok(Self {
            settings,
            db,
            ssh,
            publisher: Publisher::new(broker.clone()),
            broker,
            worker_id,
            running: Mutex::new(HashMap::new()),
            stopping: AtomicBool::new(false),
            metrics: Metrics::new(&health)?,
            health,
        })
    }

    fn running(&self) -> MutexGuard<'_, HashMap<Uuid, Running>> {
        // A poisoned lock only means a panic elsewhere; the map is intact.
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a claimed attempt; returns the token that interrupts it.
    /// An older attempt of the same step held here is interrupted.
    pub fn start(&self, step_id: Uuid, attempt: i32) -> CancellationToken {
        let cancel = CancellationToken::new();
        let entry = Running {
            attempt,
            cancel: cancel.clone(),
            ended: false,
            give_back: false,
        };
        if let Some(older) = self.running().insert(step_id, entry) {
            older.cancel.cancel();
        }
        cancel
    }

    /// Notes that an attempt's action ended.
    pub fn ended(&self, step_id: Uuid, attempt: i32) {
        if let Some(step) = self.running().get_mut(&step_id).filter(|s| s.attempt == attempt) {
            step.ended = true;
        }
    }

    /// Forgets attempts whose results were handled.
    pub fn forget(&self, steps: impl Iterator<Item = (Uuid, i32)>) {
        let mut running = self.running();
        for (step, attempt) in steps {
            if running.get(&step).is_some_and(|s| s.attempt == attempt) {
                running.remove(&step);
            }
        }
    }

    /// `(step, attempt)` of every attempt held here, including ended ones
    /// whose result is not recorded yet: their heartbeat must go on.
    pub fn snapshot(&self) -> Vec<(Uuid, i32)> {
        let mut steps: Vec<(Uuid, i32)> = self.running().iter().map(|(id, r)| (*id, r.attempt)).collect();
        // One lock order for every multi-row statement.
        steps.sort();
        steps
    }

    /// Interrupts the attempts in `steps` whose action still runs; with
    /// `give_back`, they go back to the queue. An attempt already
    /// interrupted keeps the reason it was first interrupted for (a step
    /// being cancelled stays a cancel). Returns how many it stopped.
    pub fn interrupt(&self, steps: &[(Uuid, i32)], give_back: bool) -> usize {
        let mut running = self.running();
        let mut stopped = 0;
        for (id, attempt) in steps {
            if let Some(step) = running
                .get_mut(id)
                .filter(|s| s.attempt == *attempt && !s.ended && !s.cancel.is_cancelled())
            {
                step.give_back = give_back;
                step.cancel.cancel();
                stopped += 1;
            }
        }
        stopped
    }

    /// Whether an interrupted attempt is to be given back to the queue.
    pub fn gives_back(&self, step_id: Uuid, attempt: i32) -> bool {
        self.is_stopping()
            || self
                .running()
                .get(&step_id)
                .is_some_and(|s| s.attempt == attempt && s.give_back)
    }

    /// Interrupts every running action to hand it back to the queue.
    pub fn hand_back_all(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        let all = self.snapshot();
        self.interrupt(&all, true);
    }

    /// Whether the worker is stopping.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// How many attempts are held here.
    pub fn busy(&self) -> usize {
        self.running().len()
    }

    /// How many actions still run here.
    pub fn active(&self) -> usize {
        self.running().values().filter(|r| !r.ended).count()
    }
}
