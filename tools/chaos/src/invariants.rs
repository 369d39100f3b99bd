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
    let checked = !e.accepted.is_empty() && !e.history.commands.is_empty();
    if !checked {
        details.push("NOT CHECKED: no command was accepted or recorded".to_owned());
    }
    Verdict {
        name: "every accepted command reached a final state",
        held: checked && lost.is_empty() && open.is_empty(),
        details,
    }
}

/// One device's counters: formats, mounts, moves, and when each mount
/// happened (absent from an older simulator).
#[derive(Debug, Clone, Default)]
struct DeviceCount {
    formats: u64,
    mounts: u64,
    moves: u64,
    mounted_at: Vec<DateTime<Utc>>,
}

/// Per target label, from a counters document.
fn device_counts(counters: &Value) -> HashMap<String, DeviceCount> {
    counters["devices"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| {
            let label = d["label"].as_str()?.to_owned();
            let n = |k: &str| d[k].as_u64().unwrap_or(0);
            let mounted_at = d["mounted_at"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t.as_str())
                .filter_map(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc))
                .collect();
            Some((
                label,
                DeviceCount {
                    formats: n("formats"),
                    mounts: n("mounts"),
                    moves: n("moves"),
                    mounted_at,
                },
            ))
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

/// Slack on either side of a step's window when matching a side effect
/// the simulator timed to it (both clocks are this machine's; the slack
/// covers rounding and a transaction's `now()` taken at its start).
const SLACK_MS: i64 = 1_000;

/// The earliest moment step `index` of `job` can have been claimed: its
/// last claim when it was claimed once; when claimed again (the API keeps
/// only the last claim), the moment it could first have been claimed: its
/// predecessor's finish (steps run one after the other), or its job's
/// start.
fn first_claim_bound(job: &Job, index: usize) -> Option<DateTime<Utc>> {
    let step = job.steps.get(index)?;
    if step.attempts <= 1 {
        return step.started_at.or(job.started_at);
    }
    let previous = index
        .checked_sub(1)
        .and_then(|i| job.steps.get(i))
        .and_then(|p| p.finished_at);
    previous.or(job.started_at).or(step.started_at)
}

/// Matches each mount time to a distinct window containing it (earliest
/// deadline first, which matches as many as any assignment can); returns
/// the mounts left unmatched.
fn unmatched_mounts(mounts: &[DateTime<Utc>], windows: &[(DateTime<Utc>, DateTime<Utc>)]) -> Vec<DateTime<Utc>> {
    let mut mounts = mounts.to_vec();
    mounts.sort();
    let mut used = vec![false; windows.len()];
    let mut left = Vec::new();
    for t in mounts {
        let best = windows
            .iter()
            .enumerate()
            .filter(|(i, (lo, hi))| !used[*i] && *lo <= t && t <= *hi)
            .min_by_key(|(_, (_, hi))| *hi)
            .map(|(i, _)| i);
        match best {
            Some(i) => used[i] = true,
            None => left.push(t),
        }
    }
    left
}

fn effects_once(e: &Evidence<'_>) -> Verdict {
    let stream: HashSet<&str> = e.accepted.iter().map(String::as_str).collect();
    let now = Utc::now();
    let slack = Span::milliseconds(SLACK_MS);
    // The steps of `actions` on `target` that ran, with their windows.
    let ran = |stream_only: bool, actions: &[&str], target: Option<&str>| -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        e.history
            .jobs
            .iter()
            .filter(|j| !stream_only || stream.contains(j.command.as_str()))
            .flat_map(|j| j.steps.iter().enumerate().map(move |(i, s)| (j, i, s)))
            .filter(|(_, _, s)| actions.contains(&s.action.as_str()) && s.ran())
            .filter(|(_, _, s)| target.is_none() || s.target() == target)
            .map(|(j, i, s)| {
                let lo = first_claim_bound(j, i).unwrap_or(now);
                (lo - slack, s.finished_at.unwrap_or(now) + slack)
            })
            .collect()
    };
    let count = |v: &[(DateTime<Utc>, DateTime<Utc>)]| u64::try_from(v.len()).unwrap_or(u64::MAX);
    let before = device_counts(e.counters_before);
    let after = device_counts(e.counters_after);
    let mut details = Vec::new();
    let mut held = true;
    let (mut formats, mut mounts, mut moves, mut timed) = (0, 0, 0, 0);
    let mut names: Vec<(&String, &String)> = e.target_ids.iter().collect();
    names.sort();
    if names.is_empty() {
        held = false;
        details.push("NOT CHECKED: the API lists no target".to_owned());
    }
    for (label, id) in names {
        // Every target must be matched to the simulator's counters, or
        // nothing about it was checked.
        let Some(a) = after.get(label) else {
            held = false;
            details.push(format!(
                "NOT CHECKED: target {label} has no device in lustre-sim's counters"
            ));
            continue;
        };
        let b = before.get(label).cloned().unwrap_or_default();
        let formatting = count(&ran(false, &["format_target"], Some(id)));
        let windows = ran(false, &["mount_target", "failover_target", "failback_target"], Some(id));
        let stream_windows = ran(true, &["mount_target", "failover_target", "failback_target"], Some(id));
        let during = a.mounts.saturating_sub(b.mounts);
        formats += a.formats;
        mounts += during;
        moves += a.moves.saturating_sub(b.moves);
        if a.formats > formatting {
            held = false;
            details.push(format!(
                "{label} was formatted {} times by {formatting} format steps that ran",
                a.formats
            ));
        }
        if during > count(&stream_windows) {
            held = false;
            details.push(format!(
                "{label} was mounted {during} times during the stream by {} mount/failover/failback steps that ran",
                count(&stream_windows)
            ));
        }
        // Tighter: each mount during the stream, at the moment the
        // simulator counted it, belongs to a step of its own whose window
        // (first possible claim .. recorded finish) holds that moment.
        let times = usize::try_from(b.mounts).ok().and_then(|from| a.mounted_at.get(from..));
        match times {
            Some(times) if u64::try_from(times.len()).ok() == Some(during) => {
                timed += during;
                for t in unmatched_mounts(times, &windows) {
                    held = false;
                    details.push(format!(
                        "{label} was mounted at {t} with no mount/failover/failback step of its own running then"
                    ));
                }
            }
            _ => {
                held = false;
                details.push(format!(
                    "NOT CHECKED: {label}'s {during} mounts during the stream have no times in the counters"
                ));
            }
        }
    }
    // A labelled device the API does not know was not checked either.
    let mut unknown: Vec<&String> = after.keys().filter(|l| !e.target_ids.contains_key(*l)).collect();
    unknown.sort();
    for label in unknown {
        held = false;
        details.push(format!(
            "NOT CHECKED: lustre-sim device {label} is no target the API lists"
        ));
    }
    let writes = conf_param_writes(e.counters_after).saturating_sub(conf_param_writes(e.counters_before));
    let applying = count(&ran(true, &["apply_conf_params"], None));
    if writes > applying {
        held = false;
        details.push(format!(
            "{writes} conf_param records written during the stream by {applying} apply steps that ran"
        ));
    }
    details.insert(
        0,
        format!(
            "{} targets, each matched to lustre-sim's counters: {formats} formats in all, {mounts} mounts \
             and {moves} moves during the stream, {timed} of the mounts each matched to a step of its own \
             running at that moment, {writes} conf_param records (each at most what the steps that ran could \
             cause; a move is a mount on another host, by a failover, a failback, or a start on the primary)",
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
    let slack = Span::milliseconds(SLACK_MS);
    for job in &e.history.jobs {
        for (i, s) in job.steps.iter().enumerate() {
            if !matches!(s.action.as_str(), "noop" | "sleep") {
                continue;
            }
            steps += 1;
            if s.attempts <= 1 {
                continue;
            }
            reclaimed += 1;
            // The fault must fall after the step could first have been
            // claimed (its predecessor's finish, or its job's start) and
            // before its last claim (the re-claim it has to explain).
            let from = first_claim_bound(job, i).map(|t| t - slack);
            let to = s.started_at.or(s.finished_at).unwrap_or_else(Utc::now) + slack;
            let justified = e.faults.iter().any(|f| {
                let after_start = from.is_none_or(|from| f.at >= from);
                justifies_reclaim(f.kind) && after_start && f.at <= to
            });
            if !justified {
                held = false;
                details.push(format!(
                    "{} step {i} of job {} was claimed {} times with no fault between {} and its last claim {to}",
                    s.action,
                    job.id,
                    s.attempts,
                    from.map_or_else(|| "its job's start".to_owned(), |t| t.to_string()),
                ));
            }
        }
    }
    if steps == 0 {
        held = false;
        details.push("NOT CHECKED: no diagnostic step was recorded".to_owned());
    }
    details.insert(
        0,
        format!(
            "{steps} diagnostic steps, {reclaimed} claimed more than once, each with a fault between its \
             first possible claim and its last claim"
        ),
    );
    Verdict {
        name: "no diagnostic step ran twice without a crash to explain it (claims)",
        held,
        details,
    }
}

/// Something that held a job's locks for `[start, end)`: one of its
/// steps, or the whole job.
struct Run<'a> {
    job: &'a Job,
    what: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// Compares every pair of runs of different jobs under conflicting locks
/// on one item; returns the pairs compared and the overlaps.
fn overlaps(by_item: &HashMap<&str, Vec<(bool, Run<'_>)>>) -> (u64, Vec<String>) {
    let (mut pairs, mut violations) = (0u64, Vec::new());
    for (item, runs) in by_item {
        for (i, (w1, a)) in runs.iter().enumerate() {
            for (w2, b) in &runs[i + 1..] {
                if a.job.id == b.job.id || !(*w1 || *w2) {
                    continue;
                }
                pairs += 1;
                if a.start < b.end && b.start < a.end {
                    violations.push(format!(
                        "{item}: {} of job {} ({} – {}) overlaps {} of job {} ({} – {})",
                        a.what, a.job.id, a.start, a.end, b.what, b.job.id, b.start, b.end
                    ));
                }
            }
        }
    }
    (pairs, violations)
}

fn lock_exclusion(e: &Evidence<'_>) -> Verdict {
    let now = Utc::now();
    // Steps: each from its first possible claim (for a step claimed
    // again, its predecessor's finish or its job's start, as the API
    // keeps only the last claim) to its finish; a `cancelling` step has
    // no finish yet and runs until now.
    let mut steps: HashMap<&str, Vec<(bool, Run<'_>)>> = HashMap::new();
    // Jobs: from their grant (their first step made ready) until they
    // released their locks (their finish, or a cancelling step's later
    // finish).
    let mut jobs: HashMap<&str, Vec<(bool, Run<'_>)>> = HashMap::new();
    let mut widened = 0u64;
    for job in &e.history.jobs {
        for (i, step) in job.steps.iter().enumerate() {
            let Some(last) = step.started_at else { continue };
            let start = if step.attempts > 1 {
                widened += 1;
                first_claim_bound(job, i).unwrap_or(last).min(last)
            } else {
                last
            };
            let end = if crate::history::is_final_step(&step.state) {
                step.finished_at.unwrap_or(now)
            } else {
                now
            };
            for (item, write) in &job.locks {
                steps.entry(item.as_str()).or_default().push((
                    *write,
                    Run {
                        job,
                        what: format!("{} step {i} (attempts {})", step.action, step.attempts),
                        start,
                        end,
                    },
                ));
            }
        }
        let start = job
            .granted_at()
            .or_else(|| job.steps.iter().filter_map(|s| s.started_at).min());
        if let Some(start) = start {
            for (item, write) in &job.locks {
                jobs.entry(item.as_str()).or_default().push((
                    *write,
                    Run {
                        job,
                        what: format!("job {:?} ({})", job.description, job.state),
                        start,
                        end: job.released_at(now),
                    },
                ));
            }
        }
    }
    let (step_pairs, mut violations) = overlaps(&steps);
    let (job_pairs, job_violations) = overlaps(&jobs);
    violations.extend(job_violations);
    let mut details = vec![format!(
        "{} locked items: {step_pairs} pairs of steps under conflicting locks compared ({widened} steps claimed \
         more than once widened to their first possible claim), and {job_pairs} pairs of jobs (grant to lock \
         release)",
        steps.len().max(jobs.len())
    )];
    let mut held = violations.is_empty();
    if step_pairs == 0 || job_pairs == 0 {
        held = false;
        details.push("NOT CHECKED: no two steps or jobs under conflicting locks to compare".to_owned());
    }
    details.extend(violations.into_iter().take(20));
    Verdict {
        name: "no two steps under conflicting locks ran at the same time",
        held,
        details,
    }
}

fn nothing_stuck(e: &Evidence<'_>) -> Verdict {
    let live: HashSet<&str> = e.live_workers.iter().map(String::as_str).collect();
    let finished = e
        .history
        .jobs
        .iter()
        .filter(|j| crate::workload::is_final(&j.state))
        .count();
    let cancelled_mid_step = e
        .history
        .jobs
        .iter()
        .filter(|j| j.state == "cancelled" && j.steps.iter().any(|s| s.started_at.is_some() && s.state == "cancelled"))
        .count();
    let mut details = vec![format!(
        "{} unfinished commands after the wait; {} jobs, {finished} finished ({cancelled_mid_step} cancelled \
         with a claimed step cancelled), every step of a finished job final; live workers: {}",
        e.unfinished.len(),
        e.history.jobs.len(),
        e.live_workers.join(", ")
    )];
    let mut held = e.unfinished.is_empty();
    if e.history.jobs.is_empty() {
        held = false;
        details.push("NOT CHECKED: no job was recorded".to_owned());
    }
    let in_flight = |s: &&Step| !crate::history::is_final_step(&s.state);
    for job in &e.history.jobs {
        let open = !crate::workload::is_final(&job.state);
        // A finished job's steps must all be final too: a step left
        // `cancelling` keeps the job's locks for good.
        if !open && !job.steps.iter().any(|s| in_flight(&s)) {
            continue;
        }
        held = false;
        let running: Vec<String> = job
            .steps
            .iter()
            .filter(in_flight)
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
    if total == 0 {
        details.push("NOT CHECKED: no answer was tallied".to_owned());
    }
    Verdict {
        name: "the API answered no 500",
        held: total > 0 && e.tally.server_errors.is_empty(),
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
            queued_at: None,
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
            finished_at: steps.last().and_then(|s| s.finished_at),
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

    /// Counters of one OST mounted at each of `mounts` (seconds).
    fn counters(mounts: &[i64]) -> Value {
        let times: Vec<String> = mounts.iter().map(|s| at(*s).to_rfc3339()).collect();
        json!({"devices": [{"label": "fs-OST0000", "formats": 1, "mounts": mounts.len(), "moves": 0,
                            "mounted_at": times}], "conf_params": {}})
    }

    fn verdicts(history: &History, before: &Value, after: &Value, faults: &[Injected]) -> Vec<Verdict> {
        let accepted: Vec<String> = history.commands.iter().map(|c| c.id.clone()).collect();
        let target_ids = HashMap::from([("fs-OST0000".to_owned(), "t1".to_owned())]);
        let tally = Tally {
            by_status: BTreeMap::from([(200, 1)]),
            ..Tally::default()
        };
        check(&Evidence {
            history,
            accepted: &accepted,
            counters_before: before,
            counters_after: after,
            target_ids: &target_ids,
            faults,
            tally: &tally,
            live_workers: &[],
            unfinished: &[],
        })
    }

    fn verdict<'a>(verdicts: &'a [Verdict], name: &str) -> &'a Verdict {
        verdicts.iter().find(|v| v.name.starts_with(name)).unwrap()
    }

    fn held(verdicts: &[Verdict], name: &str) -> bool {
        verdict(verdicts, name).held
    }

    fn kill(second: i64) -> Injected {
        Injected {
            kind: FaultKind::KillWorker,
            at: at(second),
            took: std::time::Duration::ZERO,
            error: None,
        }
    }

    #[test]
    fn a_mount_that_ran_twice_for_one_step_is_caught() {
        let format = job("f", &[], vec![step("format_target", "t1", 1, 0, 1)]);
        let mount = job("m", &[], vec![step("mount_target", "t1", 2, 2, 3)]);
        let h = history(vec![format, mount]);
        // The redelivered step found it mounted: one mount, fine.
        assert!(held(
            &verdicts(&h, &counters(&[]), &counters(&[2]), &[]),
            "no side effect"
        ));
        // It really mounted again: caught.
        assert!(!held(
            &verdicts(&h, &counters(&[]), &counters(&[2, 3]), &[]),
            "no side effect"
        ));
    }

    #[test]
    fn a_second_mount_cannot_hide_behind_a_step_that_ran_at_another_time() {
        let format = job("f", &[], vec![step("format_target", "t1", 1, 0, 1)]);
        // Killed before it mounted anything: it allows a mount by count.
        let killed = job("k", &[], vec![step("mount_target", "t1", 1, 2, 3)]);
        let mount = job("m", &[], vec![step("mount_target", "t1", 1, 10, 11)]);
        let h = history(vec![format, killed, mount]);
        // Two mounts by two steps, but both during the second one.
        let v = verdicts(&h, &counters(&[]), &counters(&[10, 11]), &[]);
        assert!(
            !held(&v, "no side effect"),
            "{:?}",
            verdict(&v, "no side effect").details
        );
        assert!(held(
            &verdicts(&h, &counters(&[]), &counters(&[2, 10]), &[]),
            "no side effect"
        ));
    }

    #[test]
    fn a_target_missing_from_the_counters_is_not_checked_and_fails() {
        let h = history(vec![job("d", &[], vec![step("noop", "t1", 1, 0, 1)])]);
        let empty = json!({"devices": [], "conf_params": {}});
        let v = verdicts(&h, &empty, &empty, &[]);
        assert!(!held(&v, "no side effect"));
        // And mounts without their times are not checked either.
        let untimed = json!({"devices": [{"label": "fs-OST0000", "formats": 0, "mounts": 1, "moves": 0}]});
        let mount = job("m", &[], vec![step("mount_target", "t1", 1, 0, 1)]);
        assert!(!held(
            &verdicts(&history(vec![mount]), &empty, &untimed, &[]),
            "no side effect"
        ));
    }

    #[test]
    fn overlapping_steps_under_a_write_lock_are_caught_and_readers_may_share() {
        let a = job("a", &[("target/t1", true)], vec![step("sleep", "t1", 1, 0, 10)]);
        let b = job("b", &[("target/t1", false)], vec![step("sleep", "t1", 1, 5, 12)]);
        let after = job("c", &[("target/t1", true)], vec![step("sleep", "t1", 1, 12, 13)]);
        let h = history(vec![a, b.clone(), after]);
        assert!(!held(
            &verdicts(&h, &counters(&[]), &counters(&[]), &[]),
            "no two steps"
        ));
        let reader = job("r", &[("target/t1", false)], vec![step("sleep", "t1", 1, 0, 10)]);
        let writer = job("w", &[("target/t1", true)], vec![step("sleep", "t1", 1, 13, 14)]);
        let h = history(vec![reader, b, writer]);
        assert!(held(&verdicts(&h, &counters(&[]), &counters(&[]), &[]), "no two steps"));
    }

    #[test]
    fn no_pair_under_conflicting_locks_is_not_checked_and_fails() {
        let a = job("a", &[("target/t1", false)], vec![step("sleep", "t1", 1, 0, 10)]);
        let b = job("b", &[("target/t1", false)], vec![step("sleep", "t1", 1, 5, 12)]);
        assert!(!held(
            &verdicts(&history(vec![a, b]), &counters(&[]), &counters(&[]), &[]),
            "no two steps"
        ));
    }

    #[test]
    fn an_earlier_claim_and_a_cancelling_step_hold_the_lock() {
        // Step 1 was last claimed at 8, but claimed before (attempts 2)
        // after step 0 finished at 2: another writer at 4..5 overlaps it.
        let mut a = job(
            "a",
            &[("target/t1", true)],
            vec![step("noop", "t1", 1, 0, 2), step("sleep", "t1", 2, 8, 9)],
        );
        let b = job("b", &[("target/t1", true)], vec![step("sleep", "t1", 1, 4, 5)]);
        let h = history(vec![a.clone(), b.clone()]);
        assert!(!held(
            &verdicts(&h, &counters(&[]), &counters(&[]), &[kill(3)]),
            "no two steps"
        ));
        // A job cancelled at 2 whose step stopped only at 6 (it was
        // `cancelling`) held the lock until 6.
        a.state = "cancelled".into();
        a.steps.truncate(1);
        a.steps[0].state = "cancelled".into();
        a.steps[0].finished_at = Some(at(6));
        a.finished_at = Some(at(2));
        let h = history(vec![a.clone(), b.clone()]);
        assert!(!held(
            &verdicts(&h, &counters(&[]), &counters(&[]), &[]),
            "no two steps"
        ));
        a.steps[0].finished_at = Some(at(3));
        let h = history(vec![a, b]);
        assert!(held(&verdicts(&h, &counters(&[]), &counters(&[]), &[]), "no two steps"));
    }

    #[test]
    fn a_job_holds_its_locks_from_its_grant_not_its_grant_transactions_start() {
        let a = job("a", &[("target/t1", true)], vec![step("sleep", "t1", 1, 0, 10)]);
        // Its grant transaction began at 9 (`started_at`, waiting for the
        // grant pass's lock), the grant came after a's release: fine.
        let mut b = job("b", &[("target/t1", true)], vec![step("sleep", "t1", 1, 11, 12)]);
        b.started_at = Some(at(9));
        b.steps[0].queued_at = Some(at(10));
        let h = history(vec![a.clone(), b.clone()]);
        assert!(held(&verdicts(&h, &counters(&[]), &counters(&[]), &[]), "no two steps"));
        // Its first step was made ready while a still held the lock.
        b.steps[0].queued_at = Some(at(9));
        let h = history(vec![a, b]);
        assert!(!held(
            &verdicts(&h, &counters(&[]), &counters(&[]), &[]),
            "no two steps"
        ));
    }

    #[test]
    fn a_step_left_cancelling_in_a_finished_job_is_stuck() {
        let mut a = job("a", &[], vec![step("sleep", "t1", 1, 0, 2)]);
        a.state = "cancelled".into();
        a.steps[0].state = "cancelling".into();
        a.steps[0].finished_at = None;
        let v = verdicts(&history(vec![a.clone()]), &counters(&[]), &counters(&[]), &[]);
        assert!(!held(&v, "nothing is stuck"));
        a.steps[0].state = "cancelled".into();
        let v = verdicts(&history(vec![a]), &counters(&[]), &counters(&[]), &[]);
        assert!(held(&v, "nothing is stuck"));
    }

    #[test]
    fn a_diagnostic_step_claimed_again_needs_a_fault_before_its_reclaim() {
        let h = history(vec![job("d", &[], vec![step("noop", "t1", 2, 3, 5)])]);
        assert!(!held(
            &verdicts(&h, &counters(&[]), &counters(&[]), &[]),
            "no diagnostic"
        ));
        assert!(held(
            &verdicts(&h, &counters(&[]), &counters(&[]), &[kill(2)]),
            "no diagnostic"
        ));
        // A fault after the re-claim explains nothing.
        assert!(!held(
            &verdicts(&h, &counters(&[]), &counters(&[]), &[kill(5)]),
            "no diagnostic"
        ));
    }

    #[test]
    fn no_diagnostic_step_is_not_checked_and_fails() {
        let h = history(vec![job("m", &[], vec![step("mount_target", "t1", 1, 0, 1)])]);
        assert!(!held(
            &verdicts(&h, &counters(&[]), &counters(&[0]), &[]),
            "no diagnostic"
        ));
    }
}
