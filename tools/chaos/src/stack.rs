//! The whole private stack as child processes: PostgreSQL, RabbitMQ,
//! lustre-sim, and the Chroma binaries (one API, one scheduler, several
//! workers), each of which the faults may kill and start again.

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::broker::Broker;
use crate::postgres::Postgres;
use crate::processes::{free_port, Recipe, Service};
use crate::sim::Sim;
use crate::Args;

/// The superuser the API creates on its first start.
pub const ADMIN: &str = "admin";
/// How long a started API may take to answer `/api/health`.
const API_READY: Duration = Duration::from_secs(90);

/// A worker and the id it claims steps under.
pub struct Worker {
    pub id: String,
    pub service: Service,
}

/// Everything running.
pub struct Stack {
    pub dir: PathBuf,
    pub base: String,
    pub admin_password: String,
    pub postgres: Postgres,
    pub broker: Broker,
    pub sim: Sim,
    pub api: Service,
    pub scheduler: Service,
    pub workers: Vec<Worker>,
    bin_dir: PathBuf,
    env: Vec<(String, String)>,
    /// Workers started so far (names new ones).
    started_workers: usize,
}

impl Stack {
    /// Starts every part in `dir`; the API has created the admin user and
    /// answers when this returns. On failure what was started is stopped.
    pub async fn start(args: &Args, dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir.join("logs"))?;
        println!("starting PostgreSQL, RabbitMQ and lustre-sim in {}", dir.display());
        let postgres = Postgres::start(dir, "chroma")
            .await
            .context("cannot start PostgreSQL")?;
        let broker = match Broker::start(&args.broker_script(), dir, args.seed).await {
            Ok(broker) => broker,
            Err(err) => {
                let _ = postgres.stop().await;
                return Err(err.context("cannot start RabbitMQ"));
            }
        };
        Self::start_rest(args, dir, postgres, broker).await
    }

    /// Starts lustre-sim and the Chroma processes (children, killed when
    /// dropped); stops the database and broker too on failure.
    async fn start_rest(args: &Args, dir: &Path, postgres: Postgres, broker: Broker) -> anyhow::Result<Self> {
        let parts = async {
            let key_path = dir.join("ssh").join("id_ed25519");
            let key = chroma_ssh::KeyPair::load_or_create(&key_path).context("cannot create the SSH key")?;
            let authorized = dir.join("ssh").join("authorized_keys");
            std::fs::write(&authorized, format!("{}\n", key.public_key_openssh()))?;
            let sim = Sim::start(&args.bins().join("lustre-sim"), dir, &authorized, args.seed)
                .await
                .context("cannot start lustre-sim")?;
            let api_port = free_port()?;
            let admin_password = format!("chaos-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
            let env = chroma_env(args, &postgres, &broker, &key_path);
            let mut api_env = env.clone();
            api_env.push(("CHROMA_BIND".into(), format!("127.0.0.1:{api_port}")));
            api_env.push(("CHROMA_ADMIN_PASSWORD".into(), admin_password.clone()));
            let api = Service::start(recipe(&args.bins(), dir, "chroma-api", api_env, "api"))?;
            let base = format!("http://127.0.0.1:{api_port}");
            wait_healthy(&base).await?;
            let scheduler = Service::start(recipe(&args.bins(), dir, "chroma-scheduler", env.clone(), "scheduler"))?;
            anyhow::Ok((sim, api, base, admin_password, scheduler, env))
        }
        .await;
        let (sim, api, base, admin_password, scheduler, env) = match parts {
            Ok(parts) => parts,
            Err(err) => {
                let _ = broker.stop().await;
                let _ = postgres.stop().await;
                return Err(err);
            }
        };
        let mut stack = Self {
            dir: dir.to_path_buf(),
            base,
            admin_password,
            postgres,
            broker,
            sim,
            api,
            scheduler,
            workers: Vec::new(),
            bin_dir: args.bins(),
            env,
            started_workers: 0,
        };
        for _ in 0..args.workers {
            if let Err(err) = stack.add_worker() {
                stack.stop().await;
                return Err(err);
            }
        }
        Ok(stack)
    }

    /// Starts one more worker under a fresh id.
    pub fn add_worker(&mut self) -> anyhow::Result<()> {
        self.started_workers += 1;
        let id = format!("chaos-worker-{}", self.started_workers);
        let mut env = self.env.clone();
        env.push(("CHROMA_WORKER_ID".into(), id.clone()));
        let log_name = format!("worker-{}", self.started_workers);
        let service = Service::start(recipe(&self.bin_dir, &self.dir, "chroma-worker", env, &log_name))?;
        self.workers.push(Worker { id, service });
        Ok(())
    }

    /// SIGKILLs worker `index` and starts a replacement; returns the dead one's id.
    pub async fn kill_worker(&mut self, index: usize) -> anyhow::Result<String> {
        anyhow::ensure!(index < self.workers.len(), "no worker {index}");
        let mut worker = self.workers.remove(index);
        worker.service.crash().await?;
        self.add_worker()?;
        Ok(worker.id)
    }

    /// SIGKILLs the scheduler and starts it again.
    pub async fn kill_scheduler(&mut self) -> anyhow::Result<()> {
        self.scheduler.restart().await
    }

    /// SIGKILLs the API, starts it again and waits until it answers.
    pub async fn restart_api(&mut self) -> anyhow::Result<()> {
        self.api.restart().await?;
        wait_healthy(&self.base).await
    }

    /// The ids of the workers that run now.
    pub fn live_workers(&mut self) -> Vec<String> {
        self.workers
            .iter_mut()
            .filter_map(|w| w.service.is_running().then(|| w.id.clone()))
            .collect()
    }

    /// Stops everything (Chroma first, so nothing reconnects to what goes).
    pub async fn stop(self) {
        let grace = Duration::from_secs(10);
        for worker in self.workers {
            worker.service.stop(grace).await;
        }
        self.scheduler.stop(grace).await;
        self.api.stop(grace).await;
        self.sim.stop().await;
        if let Err(err) = self.broker.stop().await {
            eprintln!("warning: cannot stop the broker: {err:#}");
        }
        if let Err(err) = self.postgres.stop().await {
            eprintln!("warning: cannot stop PostgreSQL: {err:#}");
        }
    }
}

/// The environment every Chroma process gets: the private database and
/// broker, fast heartbeats and sweeps (as the integration tests use), and
/// a delivery limit that survives several crashes of one step's workers.
fn chroma_env(args: &Args, postgres: &Postgres, broker: &Broker, key: &Path) -> Vec<(String, String)> {
    vec![
        ("DATABASE_URL".into(), postgres.url("chroma")),
        ("AMQP_URL".into(), broker.url()),
        ("CHROMA_QUEUE_PREFIX".into(), "chaos".into()),
        ("CHROMA_SSH_KEY".into(), key.to_string_lossy().into_owned()),
        ("CHROMA_WORKER_CONCURRENCY".into(), args.concurrency.to_string()),
        ("CHROMA_DELIVERY_LIMIT".into(), "10".into()),
        ("CHROMA_HEARTBEAT_MS".into(), "300".into()),
        ("CHROMA_HEARTBEAT_TIMEOUT_MS".into(), "3000".into()),
        ("CHROMA_REQUEUE_AFTER_MS".into(), "5000".into()),
        ("CHROMA_SWEEP_MS".into(), "500".into()),
        ("CHROMA_WORKER_DRAIN_MS".into(), "3000".into()),
        ("CHROMA_DB_POOL_SIZE".into(), "5".into()),
        ("CHROMA_PACEMAKER_MONITOR_SECS".into(), "3".into()),
    ]
}

fn recipe(bin_dir: &Path, dir: &Path, binary: &str, env: Vec<(String, String)>, log: &str) -> Recipe {
    Recipe {
        binary: bin_dir.join(binary),
        args: Vec::new(),
        env,
        log: dir.join("logs").join(format!("{log}.log")),
    }
}

/// Waits until `GET /api/health` answers 200.
async fn wait_healthy(base: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
    let deadline = tokio::time::Instant::now() + API_READY;
    loop {
        let answered = client.get(format!("{base}/api/health")).send().await;
        if answered.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the API at {base} did not become healthy within {API_READY:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
