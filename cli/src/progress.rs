//! Waiting for a command: poll `GET /api/command/{id}` about every 300 ms,
//! show one line per job (a spinner while it runs) on stderr, and report
//! the outcome. Without a terminal, each job's changes print as lines.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::client::Client;
use crate::error::{CliError, Result};
use crate::model::{parse, Command, Job};

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
        bars: HashMap<String, ProgressBar>,
    },
    Lines {
        seen: HashMap<String, String>,
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

    fn update(&mut self, command: &Command) {
        match self {
            Tracker::Bars { multi, bars } => {
                for job in &command.jobs {
                    let bar = bars
                        .entry(job.id.clone())
                        .or_insert_with(|| multi.add(ProgressBar::new_spinner()));
                    show(bar, job);
                }
            }
            Tracker::Lines { seen } => {
                for job in &command.jobs {
                    if seen.get(&job.id) != Some(&job.state) {
                        eprintln!("{} {}: {}", mark(&job.state), job.description, job.state);
                        seen.insert(job.id.clone(), job.state.clone());
                    }
                }
            }
        }
    }
}

fn show(bar: &ProgressBar, job: &Job) {
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
pub async fn wait(client: &Client, id: &str) -> Result<Command> {
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
                let command: Command = parse(value)?;
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
pub fn outcome(command: &Command) -> Result<()> {
    if command.state == "succeeded" {
        return Ok(());
    }
    for line in failures(command) {
        eprintln!("{line}");
    }
    Err(CliError::CommandFailed {
        id: command.id.clone(),
        state: command.state.clone(),
    })
}

/// What went wrong, one line per failed job (with its failed steps' errors
/// when the job has none of its own).
pub fn failures(command: &Command) -> Vec<String> {
    let mut lines = Vec::new();
    for job in command.jobs.iter().filter(|j| j.state == "failed") {
        let mut errors: Vec<&str> = job.error.iter().map(String::as_str).collect();
        if errors.is_empty() {
            errors = job
                .steps
                .iter()
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
    use serde_json::json;

    #[test]
    fn failed_jobs_report_their_errors() {
        let command: Command = parse(json!({
        "id": "c1", "message": "Create fs1", "state": "failed",
        "jobs": [
            {"id": "j1", "description": "Format fs1-MDT0000", "state": "succeeded"},
            {"id": "j2", "description": "Format fs1-OST0000", "state": "failed", "error": "mkfs.lustre exited 1"},
            {"id": "j3", "description": "Mount fs1-OST0000", "state": "failed", "error": null,
             "steps": [{"index": 0, "action": "mount_target", "state": "failed", "error": "no such device"}]},
            {"id": "j4", "description": "Mount fs1-OST0001", "state": "cancelled"}
        ]}))
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
        assert_eq!(err.to_string(), "command c1 failed");
    }

    #[test]
    fn a_cancelled_command_fails_too() {
        let command: Command = parse(json!({"id": "c1", "state": "cancelled", "jobs": []})).unwrap();
        assert!(command.finished());
        assert_eq!(outcome(&command).unwrap_err().exit_code(), 1);
        let done: Command = parse(json!({"id": "c2", "state": "succeeded"})).unwrap();
        assert!(outcome(&done).is_ok());
    }
}
