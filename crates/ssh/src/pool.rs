//! A pool of SSH sessions per host.
//!
//! [`Pools`] keeps one [`deadpool`] pool per target, keyed by (address, port,
//! user), each holding up to `max_per_host` sessions created with the host's
//! pinned fingerprint. A session the server has closed is discarded when it
//! would be reused, and a replacement is connected on demand.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use deadpool::managed::{Manager, Metrics, Object, Pool, PoolError, RecycleError, RecycleResult, TimeoutType};

use crate::{ExecOutput, Fingerprint, HostKeyPolicy, KeyPair, Session, SshError, Target, Timeouts};

/// Creates pinned sessions to one target for deadpool.
#[derive(Debug)]
pub struct SessionManager {
    target: Target,
    key: KeyPair,
    fingerprint: Fingerprint,
    timeouts: Timeouts,
}

impl SessionManager {
    /// A manager connecting to `target` with `key`, accepting only `fingerprint`.
    pub fn new(target: Target, key: KeyPair, fingerprint: Fingerprint, timeouts: Timeouts) -> Self {
        Self {
            target,
            key,
            fingerprint,
            timeouts,
        }
    }
}

impl Manager for SessionManager {
    type Type = Session;
    type Error = SshError;

    async fn create(&self) -> Result<Session, SshError> {
        let policy = HostKeyPolicy::Pinned(self.fingerprint.clone());
        let (session, _) = Session::connect(&self.target, &self.key, policy, &self.timeouts).await?;
        Ok(session)
    }

    async fn recycle(&self, session: &mut Session, _: &Metrics) -> RecycleResult<SshError> {
        if session.is_closed() {
            tracing::debug!(target = %self.target, "discarding closed SSH session");
            return Err(RecycleError::message("session closed"));
        }
        Ok(())
    }
}

/// Settings shared by every per-host pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolConfig {
    /// Most sessions open to one host at once.
    pub max_per_host: usize,
    /// How long `exec` waits for a free session before failing.
    pub wait_timeout: Duration,
    /// Connect timeout and keepalive of each session.
    pub timeouts: Timeouts,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_per_host: 4,
            wait_timeout: Duration::from_secs(30),
            timeouts: Timeouts::default(),
        }
    }
}

/// One pool and the fingerprint its sessions are pinned to.
struct HostPool {
    fingerprint: Fingerprint,
    pool: Pool<SessionManager>,
}

/// Session pools for every host Chroma talks to.
pub struct Pools {
    key: KeyPair,
    config: PoolConfig,
    hosts: Mutex<HashMap<Target, HostPool>>,
}

impl std::fmt::Debug for Pools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pools")
            .field("key", &self.key)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Pools {
    /// An empty registry; pools are made on first use of each target.
    pub fn new(key: KeyPair, config: PoolConfig) -> Self {
        Self {
            key,
            config,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Run `argv` on `target` over a pooled session pinned to `fingerprint`.
    ///
    /// If the pinned fingerprint differs from the one the target's pool was
    /// made with, the old pool is dropped. A session that turns out to be dead
    /// before the command is sent is discarded and the command tried once on
    /// a fresh session; once a command has been sent it is never re-sent.
    pub async fn exec<S: AsRef<str>>(
        &self,
        target: &Target,
        fingerprint: &Fingerprint,
        argv: &[S],
        timeout: Duration,
    ) -> Result<ExecOutput, SshError> {
        self.exec_with_input(target, fingerprint, argv, None, timeout).await
    }

    /// Like [`Pools::exec`], with `input` as the command's standard input.
    #[tracing::instrument(skip_all, fields(target = %target))]
    pub async fn exec_with_input<S: AsRef<str>>(
        &self,
        target: &Target,
        fingerprint: &Fingerprint,
        argv: &[S],
        input: Option<&[u8]>,
        timeout: Duration,
    ) -> Result<ExecOutput, SshError> {
        let pool = self.pool(target, fingerprint)?;
        let mut retried = false;
        loop {
            let session = pool.get().await.map_err(|e| pool_error(target, e))?;
            match session.exec_with_input(argv, input, timeout).await {
                Ok(output) => return Ok(output),
                Err(err) => {
                    if err.breaks_session() {
                        drop(Object::take(session));
                    }
                    let nothing_ran = matches!(err, SshError::ChannelOpen { .. });
                    if nothing_ran && !retried {
                        tracing::debug!(target = %target, error = %err, "pooled session was dead; retrying on a new one");
                        retried = true;
                        continue;
                    }
                    return Err(err);
                }
            }
        }
    }

    /// Chroma's key pair, whose public half servers must authorize.
    pub fn key(&self) -> &KeyPair {
        &self.key
    }

    /// The settings every per-host pool uses.
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// Drop the pool of `target` (host removed or re-pinned); its idle
    /// sessions disconnect, busy ones when their command ends.
    pub fn remove(&self, target: &Target) {
        if let Some(host) = self.lock().remove(target) {
            host.pool.close();
        }
    }

    /// Sessions open to `target` and how many are idle, if it has a pool.
    pub fn status(&self, target: &Target) -> Option<deadpool::Status> {
        self.lock().get(target).map(|host| host.pool.status())
    }

    fn pool(&self, target: &Target, fingerprint: &Fingerprint) -> Result<Pool<SessionManager>, SshError> {
        let mut hosts = self.lock();
        if let Some(host) = hosts.get(target) {
            if host.fingerprint == *fingerprint {
                return Ok(host.pool.clone());
            }
            host.pool.close();
        }
        let manager = SessionManager::new(
            target.clone(),
            self.key.clone(),
            fingerprint.clone(),
            self.config.timeouts,
        );
        let pool = Pool::builder(manager)
            .max_size(self.config.max_per_host)
            .wait_timeout(Some(self.config.wait_timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(|e| SshError::Pool {
                target: target.to_string(),
                message: e.to_string(),
            })?;
        hosts.insert(
            target.clone(),
            HostPool {
                fingerprint: fingerprint.clone(),
                pool: pool.clone(),
            },
        );
        Ok(pool)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Target, HostPool>> {
        self.hosts.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn pool_error(target: &Target, err: PoolError<SshError>) -> SshError {
    match err {
        PoolError::Backend(err) => err,
        PoolError::Timeout(TimeoutType::Wait) => SshError::PoolTimeout {
            target: target.to_string(),
        },
        other => SshError::Pool {
            target: target.to_string(),
            message: other.to_string(),
        },
    }
}
