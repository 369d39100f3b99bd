//! A user on a managed server floods its journal: the monitor stores the
//! server's lines within its budget (here 5 a second, 20 at once) and says
//! how many it dropped, instead of filling the log table.

use integration_tests::alerts::{get, SOON};
use integration_tests::{wait_for, TestEnv};
use lustre_sim::FaultCommand;
use std::time::{Duration, Instant};

const FLOOD: u64 = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_flood_is_cut_to_the_servers_budget_and_counted() -> anyhow::Result<()> {
    let mut env = TestEnv::start("journalflood").await?;
    env.settings.journal_lines_per_sec = 5;
    env.settings.journal_burst = 20;
    env.scheduler().await?;
    env.worker(2).await?;
    // Journals arrive through the live streams; the next poll is a minute away.
    env.monitor(Duration::from_secs(60)).await?;
    let (cluster, state) = env.simulated_cluster(&["oss1"]).await?;
    env.add_hosts(&cluster).await?;
    // The stream is live once a line logged now arrives.
    let probe = |n: u64| FaultCommand::Log {
        priority: 6,
        identifier: "flooder".into(),
        message: format!("probe {n}"),
    };
    lustre_sim::inject_fault(&state, "oss1", probe(0))?;
    wait_for(SOON, "the journal stream", || async {
        let page = get(&env, "/api/log?q=probe").await?;
        Ok((page["meta"]["total_count"].as_u64().unwrap_or(0) > 0).then_some(()))
    })
    .await?;

    let started = Instant::now();
    for n in 0..FLOOD {
        lustre_sim::inject_fault(
            &state,
            "oss1",
            FaultCommand::Log {
                priority: 6,
                identifier: "flooder".into(),
                message: format!("flood line {n}"),
            },
        )?;
    }
    let summary = wait_for(SOON, "the count of dropped lines", || async {
        let page = get(&env, "/api/log?q=rate%20limit").await?;
        Ok(page["objects"].as_array().and_then(|a| a.first()).cloned())
    })
    .await?;
    let message = summary["message"].as_str().unwrap_or_default().to_owned();
    assert!(
        message.contains("lines dropped from") && message.ends_with("(rate limit)"),
        "{summary}"
    );
    assert_eq!(summary["severity"], "warning", "{summary}");
    // Let the stream deliver everything, then count what was stored.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let stored = get(&env, "/api/log?q=flood%20line").await?["meta"]["total_count"]
        .as_u64()
        .unwrap_or(0);
    let budget = 20 + 5 * started.elapsed().as_secs() + 5;
    assert!(stored > 0, "no flood line was stored");
    assert!(
        stored < FLOOD && stored <= budget,
        "{stored} of {FLOOD} lines stored in {:?} (budget {budget})",
        started.elapsed()
    );
    cluster.shutdown().await;
    env.stop().await
}
