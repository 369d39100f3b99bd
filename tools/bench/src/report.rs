//! Checking and printing what an engine run measured: throughput,
//! per-stage latency, batching, and optionally a JSON summary line.
//!
//! "End to end" starts at the bench's wall clock just before the first
//! submission and ends at the database's last `finished_at`; both clocks
//! are the same host's when PostgreSQL runs locally.

use sea_orm::DatabaseConnection;
use serde_json::json;
use std::time::Duration;

use crate::stats::{self, Pcts, Table, STAGES};
use crate::submit::Submission;
use crate::Args;

fn rate(count: f64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        count / seconds
    } else {
        0.0
    }
}

/// Checks that everything succeeded, then prints the figures.
pub async fn report(
    args: &Args,
    db: &DatabaseConnection,
    submission: &Submission,
    stopped_in: Duration,
) -> anyhow::Result<()> {
    let span = stats::span(db).await?;
    let expected = i64::try_from(args.commands)? * i64::from(args.steps);
    if span.succeeded != expected || span.steps != expected {
        let states = [
            stats::state_counts(db, Table::Command).await?,
            stats::state_counts(db, Table::Step).await?,
        ];
        anyhow::bail!(
            "FAILED: {} of {expected} steps succeeded ({}); job errors: {:?}",
            span.succeeded,
            states.join("; "),
            stats::job_errors(db).await?
        );
    }
    let (Some(first_started), Some(last_finished)) = (span.first_started, span.last_finished) else {
        anyhow::bail!("steps succeeded without started_at / finished_at timestamps");
    };
    let seconds = |d: chrono::TimeDelta| d.num_microseconds().map_or(0.0, |us| us as f64 / 1e6);
    let end_to_end = seconds(last_finished - submission.first_at);
    let steady = seconds(last_finished - first_started);
    let submit_s = submission.elapsed.as_secs_f64();
    let stages = stats::stages(db).await?;
    let batching = stats::batching(db).await?;
    let http = Pcts::of(&mut submission.request_ms.clone());
    let steps = span.steps as f64;

    println!("all {} commands succeeded ({} steps)", args.commands, span.steps);
    println!("throughput");
    println!(
        "  end to end   {:>9.0} steps/s   ({steps} steps in {end_to_end:.3} s, first submission → last step finished)",
        rate(steps, end_to_end)
    );
    println!(
        "  steady       {:>9.0} steps/s   ({steady:.3} s, first step started → last step finished)",
        rate(steps, steady)
    );
    println!(
        "  submission   {:>9.0} commands/s ({} in {submit_s:.3} s; POST {http})",
        rate(args.commands as f64, submit_s),
        args.commands
    );
    if args.chain.is_some() {
        // Each step of the chain is queued only once the one before it
        // was recorded, so the whole run is one step after another.
        println!(
            "  chain        {:>9.2} ms/step   (end to end ÷ {steps} steps; {:.2} ms/step first step started → last finished)",
            end_to_end * 1000.0 / steps,
            steady * 1000.0 / steps
        );
    }
    println!("latency per step (PostgreSQL percentile_cont over all steps)");
    for (stage, pcts) in STAGES.iter().zip(&stages) {
        println!("  {:<9} {pcts}   {}", stage.name, stage.description);
    }
    println!("batching (steps sharing one statement timestamp)");
    let per = |n: i64| if n > 0 { steps / n as f64 } else { 0.0 };
    println!(
        "  worker claims   {:>7} statements, {:>6.1} steps each",
        batching.claim_statements,
        per(batching.claim_statements)
    );
    println!(
        "  worker records  {:>7} statements, {:>6.1} steps each (one StepsFinished message each)",
        batching.record_statements,
        per(batching.record_statements)
    );
    let workers: Vec<String> = batching.per_worker.iter().map(|(w, n)| format!("{w}: {n}")).collect();
    println!("  steps per worker: {}", workers.join(", "));
    println!("stack stopped in {:.2} s", stopped_in.as_secs_f64());
    if args.timeline {
        let line: Vec<String> = stats::timeline(db)
            .await?
            .iter()
            .map(|(s, n)| format!("{s}s:{n}"))
            .collect();
        println!("steps finished per second: {}", line.join(" "));
    }
    if args.json {
        let stage_json: serde_json::Map<String, serde_json::Value> = STAGES
            .iter()
            .zip(&stages)
            .map(|(stage, p)| (stage.name.to_owned(), p.json()))
            .collect();
        let summary = json!({
            "mode": "engine",
            "commands": args.commands,
            "steps_per_command": args.steps,
            "workers": args.workers,
            "concurrency": args.concurrency,
            "paced": args.paced,
            "chain": args.chain,
            "steps": span.steps,
            "end_to_end_s": end_to_end,
            "end_to_end_steps_per_s": rate(steps, end_to_end),
            "steady_s": steady,
            "steady_steps_per_s": rate(steps, steady),
            "submission_commands_per_s": rate(args.commands as f64, submit_s),
            "submission_ms": http.json(),
            "latency_ms": stage_json,
            "claim_statements": batching.claim_statements,
            "record_statements": batching.record_statements,
        });
        println!("{summary}");
    }
    Ok(())
}
