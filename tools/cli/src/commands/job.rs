//! `chroma job show|cancel|pause|resume`.

use api_types::commands::JobView;
use clap::Subcommand;
use serde_json::json;

use super::Ctx;
use crate::client::parse;
use crate::error::Result;
use crate::progress::mark;
use crate::{output, resolve};

/// What to do with a job.
#[derive(Debug, Subcommand)]
pub enum JobCommand {
    /// Show a job with its steps, locks and what it waits for.
    Show {
        /// The job's id.
        id: String,
    },
    /// Cancel a job (a running step is interrupted; jobs waiting on it are cancelled).
    Cancel {
        /// The job's id.
        id: String,
    },
    /// Pause a running job (its running step finishes, no other starts).
    Pause {
        /// The job's id.
        id: String,
    },
    /// Resume a paused job.
    Resume {
        /// The job's id.
        id: String,
    },
}

/// Runs a job subcommand.
pub async fn run(ctx: &Ctx, command: &JobCommand) -> Result<()> {
    let (id, verb) = match command {
        JobCommand::Show { id } => {
            let id = resolve::require_id(id, "job")?;
            let response = ctx.client.get(&format!("/api/job/{id}")).await?;
            return ctx.show(&response, || {
                println!("{}", details(&parse(response.clone())?));
                Ok(())
            });
        }
        JobCommand::Cancel { id } => (id, "cancel"),
        JobCommand::Pause { id } => (id, "pause"),
        JobCommand::Resume { id } => (id, "resume"),
    };
    let id = resolve::require_id(id, "job")?;
    let response = ctx.client.post(&format!("/api/job/{id}/{verb}"), &json!({})).await?;
    ctx.show(&response, || {
        let job: JobView = parse(response.clone())?;
        println!("{} {}: {}", mark(&job.state), job.description, job.state);
        Ok(())
    })
}

/// One job in full.
pub fn details(j: &JobView) -> String {
    let locks: Vec<String> = j
        .locks
        .iter()
        .flatten()
        .map(|l| format!("{} ({})", l.item, if l.write { "write" } else { "read" }))
        .collect();
    let mut text = output::render(output::details(vec![
        ("Id", j.id.to_string()),
        ("Command", j.command.to_string()),
        ("Key", j.key.clone()),
        ("Description", j.description.clone()),
        ("State", j.state.clone()),
        ("Error", output::or_dash(j.error.as_deref())),
        ("Started", output::time(j.started_at)),
        ("Finished", output::time(j.finished_at)),
        ("Waits for", output::list(j.wait_for.as_deref().unwrap_or_default())),
        ("Locks", output::list(&locks)),
    ]));
    let mut steps = output::table(["#", "ACTION", "STATE", "ATTEMPTS", "WORKER", "ERROR"]);
    for s in j.steps.iter().flatten() {
        steps.add_row(vec![
            s.index.to_string(),
            s.action.clone(),
            s.state.clone(),
            s.attempts.to_string(),
            output::or_dash(s.worker.as_deref()),
            output::or_dash(s.error.as_deref()),
        ]);
    }
    text.push_str("\n\n");
    text.push_str(&output::render(steps));
    text
}
