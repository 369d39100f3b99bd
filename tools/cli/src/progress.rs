//! Waiting for a command: poll `GET /api/command/{id}` about every 300 ms,
//! show one line per job (a spinner while it runs) on stderr, and report
//! the outcome. Without a terminal, each job's changes print as lines.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use api_types::commands::{CommandView, JobView};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::client::{parse, Client};
use crate::error::{CliError, Result};

const POLL: Duration = Duration::from_millis(300);
/// Polls that may fail in a row (the API restarting) before giving up.
const MAX_FAILED_POLLS: u32 = 20;

/// The mark for a job in `state`.
pub fn mark(state: &str) -> &'static str {
    match state {
        "succeeded" => "✔",
        "failed" => "✘",
        "cancelled" => "⊘",
        "paused" => "‖",
        "running" => "▶",
        _ => "·",
    }
}

fn finished(state: &str) -> bool {
    matches!(state, "succeeded" | "failed" | "cancelled")
}

/// Shows jobs as they change.
enum Tracker {
    Bars {
        multi: MultiProgress,
        bars: HashMap<uuid::Uuid, ProgressBar>,
    },
    Lines {
        seen: HashMap<uuid::Uuid, String>,
    },
}

impl Tracker {
    fn new() -> Self {
        if std::io::stderr().is_terminal() {
            Tracker::Bars {
                multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                bars: HashMap::new(),
            }
        } else {
            Tracker::Lines { seen: HashMap::new() }
        }
    }

    fn update(&mut self, command: &CommandView) {
        match self {
            Tracker::Bars { multi, bars } => {
                for job in &command.jobs {
                    let bar = bars
                        .entry(job.id)
                        .or_insert_with(|| multi.add(ProgressBar::new_spinner()));
                    show(bar, job);
                }
            }
            Tracker::Lines { seen } => {
                for job in &command.jobs {
                    if seen.get(&job.id) != Some(&job.state) {
                        eprintln!("{} {}: {}", mark(&job.state), job.description, job.state);
                        seen.insert(job.id, job.state.clone());
                    }
                }
            }
        }
    }
}

fn show(bar: &ProgressBar, job: &JobView) {
    if bar.is_finished() {
        return;
    }
    let message = format!("{}  {}", job.description, job.state);
    if finished(&job.state) {
        bar.set_style(still(mark(&job.state)));
        bar.finish_with_message(message);
    } else if job.state == "running" {
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
            bar.set_style(style);
        }
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(100));
    } else {
        bar.disable_steady_tick();
        bar.set_style(still(mark(&job.state)));
        bar.set_message(message);
    }
}

fn still(mark: &str) -> ProgressStyle {
    ProgressStyle::with_template(&format!("{mark} {{msg}}")).unwrap_or_else(|_| ProgressStyle::default_spinner())
}

/// Polls command `id` until it finishes, showing its jobs; Ctrl-C stops
/// waiting (the command goes on).
pub async fn wait(client: &Client, id: &str) -> Result<CommandView> {
    let mut tracker = Tracker::new();
    let path = format!("/api/command/{id}");
    let mut failed_polls = 0;
    loop {
        let answer = tokio::select! {
            answer = client.get(&path) => answer,
            _ = tokio::signal::ctrl_c() => {
                return Err(CliError::Local(format!(
                    "stopped waiting; command {id} goes on (`chroma command show {id}`, `chroma command cancel {id}`)"
                )));
            }
        };
        match answer {
            Ok(value) => {
                failed_polls = 0;
                let command: CommandView = parse(value)?;
                tracker.update(&command);
                if command.finished() {
                    return Ok(command);
                }
            }
            Err(CliError::Unreachable { .. }) if failed_polls < MAX_FAILED_POLLS => failed_polls += 1,
            Err(CliError::Server { status, .. }) if status >= 502 && failed_polls < MAX_FAILED_POLLS => {
                failed_polls += 1;
            }
            Err(other) => return Err(other),
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Succeeds if the command succeeded; otherwise prints each failed job's
/// error on stderr and fails.
pub fn outcome(command: &CommandView) -> Result<()> {
    if command.state == "succeeded" {
        return Ok(());
    }
    for line in failures(command) {
        eprintln!("{line}");
    }
    Err(CliError::CommandFailed {
        id: command.id.to_string(),
        state: command.state.clone(),
    })
}

/// What went wrong, one line per failed job (with its failed steps' errors
/// when the job has none of its own).
pub fn failures(command: &CommandView) -> Vec<String> {
    let mut lines = Vec::new();
    for job in command.jobs.iter().filter(|j| j.state == "failed") {
        let mut errors: Vec<&str> = job.error.iter().map(String::as_str).collect();
        if errors.is_empty() {
            errors = job
                .steps
                .iter()
                .flatten()
                .filter(|s| s.state == "failed")
                .filter_map(|s| s.error.as_deref())
                .collect();
        }
        if errors.is_empty() {
            lines.push(format!("✘ {} failed", job.description));
        }
        for error in errors {
            lines.push(format!("✘ {} failed: {error}", job.description));
        }
    }
    lines
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;
    use crate::fixtures::{command, id, job, step};
    use serde_json::json;

    #[test]
    fn failed_jobs_report_their_errors() {
        let command: CommandView = parse(command(json!({
        "id": id(1), "message": "Create fs1", "state": "failed",
        "jobs": [
            job(json!({"id": id(11), "description": "Format fs1-MDT0000", "state": "succeeded"})),
            job(json!({"id": id(12), "description": "Format fs1-OST0000", "state": "failed", "error": "mkfs.lustre exited 1"})),
            job(json!({"id": id(13), "description": "Mount fs1-OST0000", "state": "failed", "error": null,
             "steps": [step(json!({"index": 0, "action": "mount_target", "state": "failed", "error": "no such device"}))]})),
            job(json!({"id": id(14), "description": "Mount fs1-OST0001", "state": "cancelled"}))
        ]})))
        .unwrap();
        assert_eq!(
            failures(&command),
            vec![
                "✘ Format fs1-OST0000 failed: mkfs.lustre exited 1",
                "✘ Mount fs1-OST0000 failed: no such device",
            ]
        );
        let err = outcome(&command).unwrap_err();
        assert_eq!(err.exit_code(), 1);
        assert_eq!(err.to_string(), format!("command {} failed", id(1)));
    }

    #[test]
    fn a_cancelled_command_fails_too() {
        let cancelled: CommandView = parse(command(json!({"id": id(1), "state": "cancelled", "jobs": []}))).unwrap();
        assert!(cancelled.finished());
        assert_eq!(outcome(&cancelled).unwrap_err().exit_code(), 1);
        let done: CommandView = parse(command(json!({"id": id(2), "state": "succeeded"}))).unwrap();
        assert!(outcome(&done).is_ok());
    }
}
