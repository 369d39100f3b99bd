//! One chaos run: start the stack, set up the file system, run the stream
//! under faults, stop the faults, wait for the engine to settle, read what
//! it recorded, check the invariants, report and clean up.

use anyhow::Context;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::client::Api;
use crate::invariants::{self, Evidence};
use crate::rng::Rng;
use crate::stack::Stack;
use crate::{cluster, faults, history, report, workload, Args};

/// Runs the suite; `Ok(true)` when every invariant held.
pub async fn run(args: &Args) -> anyhow::Result<bool> {
    let dir = args.work_dir();
    let started = Instant::now();
    let stack = Stack::start(args, &dir).await?;
    let stack = Arc::new(Mutex::new(stack));
    let outcome = drive(args, &stack, started).await;
    let stack = Arc::try_unwrap(stack)
        .map_err(|_| anyhow::anyhow!("the fault injector still holds the stack"))?
        .into_inner();
    stack.stop().await;
    let keep = args.keep || !matches!(outcome, Ok(true));
    if keep {
        println!("logs and state kept in {}", dir.display());
    } else if let Err(err) = std::fs::remove_dir_all(&dir) {
        eprintln!("warning: cannot remove {}: {err}", dir.display());
    }
    outcome
}

async fn drive(args: &Args, stack: &Arc<Mutex<Stack>>, started: Instant) -> anyhow::Result<bool> {
    let (base, password, endpoints) = {
        let s = stack.lock().await;
        (s.base.clone(), s.admin_password.clone(), s.sim.endpoints.clone())
    };
    let api = Api::login(&base, &password)
        .await
        .context("cannot log in as the admin")?;
    println!(
        "setting up file system {} on {} simulated servers",
        cluster::FS_NAME,
        endpoints.len()
    );
    let cluster = cluster::set_up(&api, &endpoints).await?;
    let counters_before = stack.lock().await.sim.counters()?;

    println!(
        "running {} commands ({} in flight at most) with a fault every {:.1} s, {} rounds of every fault at least",
        args.commands, args.in_flight, args.fault_interval, args.rounds
    );
    let stop_faults = CancellationToken::new();
    let interval = Duration::from_secs_f64(args.fault_interval);
    let injector = tokio::spawn(faults::run(
        stack.clone(),
        interval,
        args.rounds,
        args.seed,
        stop_faults.clone(),
    ));
    let mut rng = Rng::new(args.seed);
    // Spread the stream over the rounds of faults, so every fault lands
    // among commands in flight.
    let faults_time = interval * u32::try_from(args.rounds * faults::FaultKind::ALL.len()).unwrap_or(u32::MAX);
    let pace = faults_time / u32::try_from(args.commands).unwrap_or(u32::MAX).max(1);
    let stream = workload::Stream {
        count: args.commands,
        in_flight: args.in_flight,
        pace,
    };
    let streamed = workload::run(&api, &cluster, &stream, &mut rng).await;
    stop_faults.cancel();
    let injected = injector.await.context("the fault injector panicked")?;
    let outcome = streamed?;

    println!(
        "faults stopped; waiting up to {} s for every command to finish",
        args.settle_timeout
    );
    let mut ids: Vec<String> = outcome.accepted.iter().map(|a| a.id.clone()).collect();
    ids.extend(cluster.commands.iter().cloned());
    let settle_deadline = tokio::time::Instant::now() + Duration::from_secs(args.settle_timeout);
    let unfinished = workload::wait_final(&api, &ids, Duration::from_secs(args.settle_timeout)).await?;

    let mut history = history::read(&api).await?;
    // A cancelled job's `cancelling` step may still be stopping: give it
    // the rest of the settle time (what is left then is stuck).
    let cancelling = history::settle_steps(&api, &mut history, settle_deadline).await?;
    if cancelling > 0 {
        println!("  waited for {cancelling} finished jobs' steps still in flight (cancelling)");
    }
    let (counters_after, live_workers) = {
        let mut s = stack.lock().await;
        (s.sim.counters()?, s.live_workers())
    };
    let target_names = api.fetch("/api/target?limit=1000").await?;
    let target_ids: HashMap<String, String> = target_names["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| Some((t["name"].as_str()?.to_owned(), t["id"].as_str()?.to_owned())))
        .collect();
    let accepted: Vec<String> = outcome.accepted.iter().map(|a| a.id.clone()).collect();
    let mut final_states: BTreeMap<String, usize> = BTreeMap::new();
    let states: HashMap<&str, &str> = history
        .commands
        .iter()
        .map(|c| (c.id.as_str(), c.state.as_str()))
        .collect();
    for id in &accepted {
        let state = states.get(id.as_str()).copied().unwrap_or("unrecorded");
        *final_states.entry(state.to_owned()).or_default() += 1;
    }
    let tally = api.tally();
    let verdicts = invariants::check(&Evidence {
        history: &history,
        accepted: &accepted,
        counters_before: &counters_before,
        counters_after: &counters_after,
        target_ids: &target_ids,
        faults: &injected,
        tally: &tally,
        live_workers: &live_workers,
        unfinished: &unfinished,
    });
    Ok(report::print(
        &outcome,
        &final_states,
        &injected,
        &verdicts,
        started.elapsed(),
    ))
}
