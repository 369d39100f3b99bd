//! The invariant checker: what must hold after any sequence of faults.
//!
//! - every accepted command reached a final state;
//! - no side effect ran twice: lustre-sim's counters (formats, mounts,
//!   moves per target, `conf_param` records) are at most what the steps
//!   that ran could have caused — a step redelivered after a crash that
//!   found its work done adds nothing, one that really ran again adds a
//!   second effect; diagnostic steps (noop, sleep) have no effect outside
//!   the engine, so their "effect log" is their claims: a step claimed
//!   again must have had a fault to justify it;
//! - no two steps of jobs holding conflicting locks (one item, a write on
//!   either side) ran at the same time, from their recorded start and
//!   finish times;
//! - nothing is stuck: no unfinished job once the faults stopped, and no
//!   step running for a worker that is not alive;
//! - the API answered no 500 (nor any 5xx other than 503).

use chrono::{DateTime, Duration as Span, Utc};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

use crate::client::Tally;
use crate::faults::{FaultKind, Injected};
use crate::history::{History, Job, Step};

/// One invariant's verdict.
#[derive(Debug)]
pub struct Verdict {
    pub name: &'static str,
    pub held: bool,
    /// What was checked (counts), and on failure what broke it.
    pub details: Vec<String>,
}

/// Everything the checker looks at.
pub struct Evidence<'a> {
    pub history: &'a History,
    /// The stream's accepted commands.
    pub accepted: &'a [String],
    /// Counters before the stream and at the end.
    pub counters_before: &'a Value,
    pub counters_after: &'a Value,
    /// Target name → id.
    pub target_ids: &'a HashMap<String, String>,
    pub faults: &'a [Injected],
    pub tally: &'a Tally,
    pub live_workers: &'a [String],
    /// Commands still unfinished when the wait ended.
    pub unfinished: &'a [String],
}

/// Checks every invariant.
pub fn check(e: &Evidence<'_>) -> Vec<Verdict> {
    vec![
        final_states(e),
        effects_once(e),
        diagnostic_claims(e),
        lock_exclusion(e),
        nothing_stuck(e),
        no_server_errors(e),
    ]
}

fn final_states(e: &Evidence<'_>) -> Verdict {
    let mut by_state: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &e.history.commands {
        *by_state.entry(c.state.as_str()).or_default() += 1;
    }
    let known: HashSet<&str> = e.history.commands.iter().map(|c| c.id.as_str()).collect();
    let mut details = vec![format!(
        "{} commands recorded ({} accepted from the stream): {}",
        e.history.commands.len(),
        e.accepted.len(),
        by_state
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    )];
    let lost: Vec<&String> = e.accepted.iter().filter(|id| !known.contains(id.as_str())).collect();
    for id in &lost {
        details.push(format!("accepted command {id} is not recorded"));
    }
    let open: Vec<&str> = e
        .history
        .commands
        .iter()
        .filter(|c| !crate::workload::is_final(&c.state))
        .map(|c| c.id.as_str())
        .collect();
    for id in &open {
        details.push(format!("command {id} did not reach a final state"));
    }
    // Not a violation (a command may fail), but worth reading.
    for job in e.history.jobs.iter().filter(|j| j.state == "failed").take(10) {
        details.push(format!(
            "failed (allowed): {:?} of command {}: {}",
            job.description,
            job.command,
            job.error.as_deref().unwrap_or("no error recorded")
        ));
    }
    Verdict {
        name: "every accepted command reached a final state",
        held: lost.is_empty() && open.is_empty(),
        details,
    }
}

/// Per target label: (formats, mounts, moves) from a counters document.
fn device_counts(counters: &Value) -> HashMap<String, (u64, u64, u64)> {
    counters["devices"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| {
            let label = d["label"].as_str()?.to_owned();
            let n = |k: &str| d[k].as_u64().unwrap_or(0);
            Some((label, (n("formats"), n("mounts"), n("moves"))))
        })
        .collect()
}

fn conf_param_writes(counters: &Value) -> u64 {
    counters["conf_params"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, n)| n.as_u64().unwrap_or(0))
        .sum()
}

fn effects_once(e: &Evidence<'_>) -> Verdict {
    let stream: HashSet<&str> = e.accepted.iter().map(String::as_str).collect();
    let ran = |job_filter: &dyn Fn(&Job) -> bool, actions: &[&str], target: Option<&str>| -> u64 {
        let count = e
            .history
            .jobs
            .iter()
            .filter(|j| job_filter(j))
            .flat_map(|j| &j.steps)
            .filter(|s| actions.contains(&s.action.as_str()) && s.ran())
            .filter(|s| target.is_none() || s.target() == target)
            .count();
        u64::try_from(count).unwrap_or(u64::MAX)
    };
    let in_stream = |j: &Job| stream.contains(j.command.as_str());
    let anywhere = |_: &Job| true;
    let before = device_counts(e.counters_before);
    let after = device_counts(e.counters_after);
    let mut details = Vec::new();
    let mut held = true;
    let (mut formats, mut mounts, mut moves) = (0, 0, 0);
    let mut labels: Vec<&String> = after.keys().collect();
    labels.sort();
    for label in labels {
        let Some(id) = e.target_ids.get(label) else { continue };
        let (f1, m1, v1) = after[label];
        let (_, m0, v0) = before.get(label).copied().unwrap_or_default();
        let formatting = ran(&anywhere, &["format_target"], Some(id));
        let mounting = ran(
            &in_stream,
            &["mount_target", "failover_target", "failback_target"],
            Some(id),
        );
        formats += f1;
        mounts += m1 - m0.min(m1);
        moves += v1 - v0.min(v1);
        if f1 > formatting {
            held = false;
            details.push(format!(
                "{label} was formatted {f1} times by {formatting} format steps that ran"
            ));
        }
        if m1.saturating_sub(m0) > mounting {
            held = false;
            details.push(format!(
                "{label} was mounted {} times during the stream by {mounting} mount/failover/failback steps that ran",
                m1.saturating_sub(m0)
            ));
        }
    }
    let writes = conf_param_writes(e.counters_after).saturating_sub(conf_param_writes(e.counters_before));
    let applying = ran(&in_stream, &["apply_conf_params"], None);
    if writes > applying {
        held = false;
        details.push(format!(
            "{writes} conf_param records written during the stream by {applying} apply steps that ran"
        ));
    }
    details.insert(
        0,
        format!(
            "{} targets: {formats} formats in all, {mounts} mounts and {moves} moves during the stream, \
             {writes} conf_param records (each at most what the steps that ran could cause; \
             a move is a mount on another host, by a failover, a failback, or a start on the primary)",
            e.target_ids.len()
        ),
    );
    Verdict {
        name: "no side effect ran twice (lustre-sim counters)",
        held,
        details,
    }
}

/// Faults after which a worker may claim a diagnostic step again: those
/// that kill a worker or cut it off from the database or the broker (the
/// simulated servers play no part in a noop or a sleep).
fn justifies_reclaim(kind: FaultKind) -> bool {
    !matches!(kind, FaultKind::SlowSsh | FaultKind::DropSsh)
}

fn diagnostic_claims(e: &Evidence<'_>) -> Verdict {
    let mut held = true;
    let mut details = Vec::new();
    let (mut steps, mut reclaimed) = (0, 0);
    for job in &e.history.jobs {
        for s in job
            .steps
            .iter()
            .filter(|s| matches!(s.action.as_str(), "noop" | "sleep"))
        {
            steps += 1;
            if s.attempts <= 1 {
                continue;
            }
            reclaimed += 1;
            let from = job.started_at.map(|t| t - Span::seconds(1));
            let to = s.finished_at.unwrap_or_else(Utc::now) + Span::seconds(1);
            let justified = e.faults.iter().any(|f| {
                let after_start = match from {
                    Some(from) => f.at >= from,
                    None => true,
                };
                justifies_reclaim(f.kind) && after_start && f.at <= to
            });
            if !justified {
                held = false;
                details.push(format!(
                    "{} step of job {} was claimed {} times with no fault between its job's start and {to}",
                    s.action, job.id, s.attempts
                ));
            }
        }
    }
    details.insert(
        0,
        format!("{steps} diagnostic steps, {reclaimed} claimed more than once, each after a fault"),
    );
    Verdict {
        name: "no diagnostic step ran twice without a crash to explain it (claims)",
        held,
        details,
    }
}

/// A step's run: [start, end) under its job's locks.
struct Run<'a> {
    job: &'a Job,
    step: &'a Step,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

fn lock_exclusion(e: &Evidence<'_>) -> Verdict {
    let now = Utc::now();
    let mut by_item: HashMap<&str, Vec<(bool, Run<'_>)>> = HashMap::new();
    for job in &e.history.jobs {
        for step in &job.steps {
            let Some(start) = step.started_at else { continue };
            let end = step.finished_at.unwrap_or(now);
            for (item, write) in &job.locks {
                by_item
                    .entry(item.as_str())
                    .or_default()
                    .push((*write, Run { job, step, start, end }));
            }
        }
    }
    let (mut pairs, mut violations) = (0u64, Vec::new());
    for (item, runs) in &by_item {
        for (i, (w1, a)) in runs.iter().enumerate() {
            for (w2, b) in &runs[i + 1..] {
                if a.job.id == b.job.id || !(*w1 || *w2) {
                    continue;
                }
                pairs += 1;
                if a.start < b.end && b.start < a.end {
                    violations.push(format!(
                        "{item}: {} of job {} ({} – {}) overlaps {} of job {} ({} – {})",
                        a.step.action, a.job.id, a.start, a.end, b.step.action, b.job.id, b.start, b.end
                    ));
                }
            }
        }
    }
    let mut details = vec![format!(
        "{} locked items, {pairs} pairs of steps under conflicting locks compared",
        by_item.len()
    )];
    let held = violations.is_empty();
    details.extend(violations.into_iter().take(20));
    Verdict {
        name: "no two steps under conflicting locks ran at the same time",
        held,
        details,
    }
}

fn nothing_stuck(e: &Evidence<'_>) -> Verdict {
    let live: HashSet<&str> = e.live_workers.iter().map(String::as_str).collect();
    let mut details = vec![format!(
        "{} unfinished commands after the wait; live workers: {}",
        e.unfinished.len(),
        e.live_workers.join(", ")
    )];
    let mut held = e.unfinished.is_empty();
    for job in e.history.jobs.iter().filter(|j| !crate::workload::is_final(&j.state)) {
        held = false;
        let running: Vec<String> = job
            .steps
            .iter()
            .filter(|s| s.state == "running" || s.state == "queued")
            .map(|s| {
                let worker = s.worker.as_deref().unwrap_or("none");
                let alive = if live.contains(worker) { "alive" } else { "NOT alive" };
                format!("{} {} by {worker} ({alive})", s.action, s.state)
            })
            .collect();
        details.push(format!(
            "job {} of command {} is {}: {}",
            job.id,
            job.command,
            job.state,
            if running.is_empty() {
                "no step in flight".to_owned()
            } else {
                running.join("; ")
            }
        ));
    }
    Verdict {
        name: "nothing is stuck after the faults stopped",
        held,
        details,
    }
}

fn no_server_errors(e: &Evidence<'_>) -> Verdict {
    let total: u64 = e.tally.by_status.values().sum();
    let statuses = e
        .tally
        .by_status
        .iter()
        .map(|(s, n)| format!("{s}×{n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut details = vec![format!("{total} answers: {statuses}")];
    details.extend(e.tally.server_errors.iter().take(20).cloned());
    Verdict {
        name: "the API answered no 500",
        held: e.tally.server_errors.is_empty(),
        details,
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;
    use crate::history::Command;
    use serde_json::json;

    fn at(second: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + second, 0).unwrap()
    }

    fn step(action: &str, target: &str, attempts: i64, from: i64, to: i64) -> Step {
        Step {
            action: action.into(),
            args: json!({"target_id": target}),
            state: "succeeded".into(),
            attempts,
            worker: Some("w".into()),
            started_at: Some(at(from)),
            finished_at: Some(at(to)),
        }
    }

    fn job(id: &str, locks: &[(&str, bool)], steps: Vec<Step>) -> Job {
        Job {
            id: id.into(),
            command: format!("c-{id}"),
            state: "succeeded".into(),
            description: String::new(),
            error: None,
            started_at: steps.first().and_then(|s| s.started_at),
            locks: locks.iter().map(|(i, w)| ((*i).to_owned(), *w)).collect(),
            steps,
        }
    }

    fn history(jobs: Vec<Job>) -> History {
        let commands = jobs
            .iter()
            .map(|j| Command {
                id: j.command.clone(),
                state: "succeeded".into(),
                jobs: vec![j.id.clone()],
            })
            .collect();
        History { commands, jobs }
    }

    fn counters(mounts: u64) -> Value {
        json!({"devices": [{"label": "fs-OST0000", "formats": 1, "mounts": mounts, "moves": 0}], "conf_params": {}})
    }

    fn verdicts(history: &History, before: &Value, after: &Value, faults: &[Injected]) -> Vec<Verdict> {
        let accepted: Vec<String> = history.commands.iter().map(|c| c.id.clone()).collect();
        let target_ids = HashMap::from([("fs-OST0000".to_owned(), "t1".to_owned())]);
        check(&Evidence {
            history,
            accepted: &accepted,
            counters_before: before,
            counters_after: after,
            target_ids: &target_ids,
            faults,
            tally: &Tally::default(),
            live_workers: &[],
            unfinished: &[],
        })
    }

    fn held(verdicts: &[Verdict], name: &str) -> bool {
        verdicts.iter().find(|v| v.name.starts_with(name)).unwrap().held
    }

    #[test]
    fn a_mount_that_ran_twice_for_one_step_is_caught() {
        let format = job("f", &[], vec![step("format_target", "t1", 1, 0, 1)]);
        let mount = job("m", &[], vec![step("mount_target", "t1", 2, 2, 3)]);
        let h = history(vec![format, mount]);
        // The redelivered step found it mounted: one mount, fine.
        assert!(held(&verdicts(&h, &counters(0), &counters(1), &[]), "no side effect"));
        // It really mounted again: caught.
        assert!(!held(&verdicts(&h, &counters(0), &counters(2), &[]), "no side effect"));
    }

    #[test]
    fn overlapping_steps_under_a_write_lock_are_caught_and_readers_may_share() {
        let a = job("a", &[("target/t1", true)], vec![step("sleep", "t1", 1, 0, 10)]);
        let b = job("b", &[("target/t1", false)], vec![step("sleep", "t1", 1, 5, 12)]);
        let after = job("c", &[("target/t1", true)], vec![step("sleep", "t1", 1, 12, 13)]);
        let h = history(vec![a, b.clone(), after]);
        assert!(!held(&verdicts(&h, &counters(0), &counters(0), &[]), "no two steps"));
        let reader = job("r", &[("target/t1", false)], vec![step("sleep", "t1", 1, 0, 10)]);
        let h = history(vec![reader, b]);
        assert!(held(&verdicts(&h, &counters(0), &counters(0), &[]), "no two steps"));
    }

    #[test]
    fn a_diagnostic_step_claimed_again_needs_a_fault() {
        let h = history(vec![job("d", &[], vec![step("noop", "t1", 2, 0, 5)])]);
        assert!(!held(&verdicts(&h, &counters(0), &counters(0), &[]), "no diagnostic"));
        let kill = Injected {
            kind: FaultKind::KillWorker,
            at: at(2),
            took: std::time::Duration::ZERO,
            error: None,
        };
        assert!(held(
            &verdicts(&h, &counters(0), &counters(0), &[kill]),
            "no diagnostic"
        ));
    }
}
