//! What a worker's tasks share: connections, its identity, and the steps it
//! is running with the tokens that interrupt them.

use broker::{Broker, Publisher};
use common::Settings;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// A step attempt this worker runs.
pub struct Running {
    pub attempt: i32,
    pub cancel: CancellationToken,
    /// The action ended; its result waits to be recorded and acked.
    pub ended: bool,
}

/// State shared by a worker's tasks.
pub struct Shared {
    pub settings: Settings,
    pub db: DatabaseConnection,
    pub broker: Broker,
    pub publisher: Publisher,
    /// Recorded as the owner of the steps it claims.
    pub worker_id: String,
    running: Mutex<HashMap<Uuid, Running>>,
    /// Set while stopping: interrupted steps go back to the queue.
    handing_back: AtomicBool,
}

impl Shared {
    /// Shares connections among a worker's tasks.
    pub fn new(settings: Settings, db: DatabaseConnection, broker: Broker, worker_id: String) -> Self {
        Self {
            settings,
            db,
            publisher: Publisher::new(broker.clone()),
            broker,
            worker_id,
            running: Mutex::new(HashMap::new()),
            handing_back: AtomicBool::new(false),
        }
    }

    fn running(&self) -> MutexGuard<'_, HashMap<Uuid, Running>> {
        // A poisoned lock only means a panic elsewhere; the map is intact.
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a claimed step; returns the token that interrupts it.
    pub fn start(&self, step_id: Uuid, attempt: i32) -> CancellationToken {
        let cancel = CancellationToken::new();
        self.running().insert(
            step_id,
            Running {
                attempt,
                cancel: cancel.clone(),
                ended: false,
            },
        );
        cancel
    }

    /// Notes that a step's action ended, so heartbeats leave it alone.
    pub fn ended(&self, step_id: Uuid) {
        if let Some(step) = self.running().get_mut(&step_id) {
            step.ended = true;
        }
    }

    /// Forgets steps whose results were handled.
    pub fn forget(&self, steps: impl Iterator<Item = Uuid>) {
        let mut running = self.running();
        for step in steps {
            running.remove(&step);
        }
    }

    /// `(step, attempt)` of every step whose action still runs here.
    pub fn snapshot(&self) -> Vec<(Uuid, i32)> {
        self.running()
            .iter()
            .filter(|(_, r)| !r.ended)
            .map(|(id, r)| (*id, r.attempt))
            .collect()
    }

    /// Interrupts the running steps in `ids`.
    pub fn interrupt(&self, ids: impl Iterator<Item = Uuid>) {
        let running = self.running();
        for id in ids {
            if let Some(step) = running.get(&id) {
                step.cancel.cancel();
            }
        }
    }

    /// Interrupts every running step to hand it back to the queue.
    pub fn hand_back_all(&self) {
        self.handing_back.store(true, Ordering::SeqCst);
        for step in self.running().values() {
            step.cancel.cancel();
        }
    }

    /// Whether interrupted steps are being handed back.
    pub fn is_handing_back(&self) -> bool {
        self.handing_back.load(Ordering::SeqCst)
    }

    /// How many steps run here.
    pub fn busy(&self) -> usize {
        self.running().len()
    }
}
