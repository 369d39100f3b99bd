//! Several plugin hosts split the plugins between them. The unit is one
//! plugin: it learns every managed server at `initialize` and reports its
//! whole inventory at each detection (`store::storage::record_detection`
//! replaces the plugin's resources with what it reported), so two hosts
//! running one plugin for different servers would undo each other's
//! detections; and the plugin process, not Chroma, decides which servers
//! it talks to. Each plugin has a lease in PostgreSQL (`store::leases`):
//! a host runs only the plugins it holds, stops a plugin before letting go
//! of its lease (so no plugin runs twice), and a stopped host's plugins
//! are started by another within one lease time-to-live.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sea_orm::DatabaseConnection;
use store::leases::{Kind, Share};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The lease name of plugin `name`.
pub fn unit(name: &str) -> String {
    format!("plugin/{name}")
}

/// One plugin's permission to run on this host.
#[derive(Clone)]
pub struct Turn {
    unit: String,
    allowed: watch::Receiver<HashSet<String>>,
    running: Arc<Mutex<HashSet<String>>>,
}

impl Turn {
    fn is_allowed(&self) -> bool {
        self.allowed.borrow().contains(&self.unit)
    }

    /// Waits until this host may run the plugin, and marks it running;
    /// false when `shutdown` came first.
    pub async fn wait(&mut self, shutdown: &CancellationToken) -> bool {
        loop {
            if self.allowed.borrow_and_update().contains(&self.unit) {
                self.running
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(self.unit.clone());
                return true;
            }
            tokio::select! {
                () = shutdown.cancelled() => return false,
                changed = self.allowed.changed() => if changed.is_err() { return false },
            }
        }
    }

    /// Returns once this host should stop the plugin (another host takes it).
    pub async fn lost(&self) {
        let mut allowed = self.allowed.clone();
        loop {
            if !self.is_allowed() {
                return;
            }
            if allowed.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// The plugin stopped here: its lease may go.
    pub fn stopped(&self) {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.unit);
    }
}

/// This host's share of the plugins, kept while it runs.
pub struct Plugins {
    allowed: watch::Receiver<HashSet<String>>,
    running: Arc<Mutex<HashSet<String>>>,
    keeper: JoinHandle<()>,
    renewal: JoinHandle<()>,
    stop: CancellationToken,
}

impl Plugins {
    /// Starts sharing `names` with the other plugin hosts, leases lasting `ttl`.
    pub fn start(db: DatabaseConnection, ttl: Duration, names: &[String]) -> Plugins {
        let mut share = Share::new(db, Kind::PluginHost, ttl);
        let stop = CancellationToken::new();
        let renewal = share.spawn_renewal(stop.clone());
        let (tx, allowed) = watch::channel(HashSet::new());
        let running: Arc<Mutex<HashSet<String>>> = Arc::default();
        let units: Vec<String> = names.iter().map(|n| unit(n)).collect();
        let busy = running.clone();
        let done = stop.clone();
        tracing::info!(instance = %share.instance, "plugin host sharing its plugins");
        let keeper = tokio::spawn(async move {
            let mut tick = tokio::time::interval(ttl / 4);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = done.cancelled() => break,
                    _ = tick.tick() => {}
                }
                let now_busy = busy.lock().unwrap_or_else(PoisonError::into_inner).clone();
                match share.balance(&units, &now_busy).await {
                    Ok(changes) => {
                        if !changes.gained.is_empty() || !changes.lost.is_empty() {
                            tracing::info!(gained = ?changes.gained, lost = ?changes.lost, "this host's plugins changed");
                        }
                        let surplus: HashSet<&String> = changes.surplus.iter().collect();
                        let mine: HashSet<String> =
                            share.held().iter().filter(|u| !surplus.contains(u)).cloned().collect();
                        tx.send_if_modified(|now| {
                            let differs = *now != mine;
                            *now = mine;
                            differs
                        });
                    }
                    Err(e) => tracing::warn!("cannot renew this host's share of the plugins: {e}"),
                }
            }
        });
        Plugins {
            allowed,
            running,
            keeper,
            renewal,
            stop,
        }
    }

    /// The turn of plugin `name`.
    pub fn turn(&self, name: &str) -> Turn {
        Turn {
            unit: unit(name),
            allowed: self.allowed.clone(),
            running: self.running.clone(),
        }
    }

    /// Stops sharing (once every plugin has stopped): the leases go.
    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.keeper.await;
        let _ = self.renewal.await;
    }
}
