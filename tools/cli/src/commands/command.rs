//! `chroma command list|show|wait|cancel`.

use api_types::commands::CommandView;
use api_types::pages::Page;
use clap::Subcommand;
use serde_json::json;

use super::Ctx;
use crate::client::parse;
use crate::error::Result;
use crate::progress::{self, mark};
use crate::{output, resolve};

/// What to do with commands.
#[derive(Debug, Subcommand)]
pub enum CommandCommand {
    /// List commands, newest first.
    List {
        /// Only commands in this state (pending, running, succeeded, failed, cancelled).
        #[arg(long)]
        state: Option<String>,
        /// How many to show.
        #[arg(long, default_value_t = 20)]
        limit: u64,
        /// How many to skip.
        #[arg(long, default_value_t = 0)]
        offset: u64,
    },
    /// Show a command with its jobs.
    Show {
        /// The command's id.
        id: String,
    },
    /// Wait for a command to finish, showing its jobs.
    Wait {
        /// The command's id.
        id: String,
    },
    /// Cancel every unfinished job of a command.
    Cancel {
        /// The command's id.
        id: String,
    },
}

/// Runs a command subcommand.
pub async fn run(ctx: &Ctx, command: &CommandCommand) -> Result<()> {
    match command {
        CommandCommand::List { state, limit, offset } => {
            let mut query = vec![("limit", limit.to_string()), ("offset", offset.to_string())];
            if let Some(state) = state {
                query.push(("state", state.clone()));
            }
            let response = ctx.client.get_query("/api/command", &query).await?;
            ctx.show(&response, || {
                let page: Page<CommandView> = parse(response.clone())?;
                output::print(table(&page.objects));
                let shown = page.meta.offset + page.objects.len() as u64;
                if shown < page.meta.total_count {
                    println!(
                        "({} of {}; see more with --offset {shown})",
                        page.objects.len(),
                        page.meta.total_count
                    );
                }
                Ok(())
            })
        }
        CommandCommand::Show { id } => {
            let id = resolve::require_id(id, "command")?;
            let response = ctx.client.get(&format!("/api/command/{id}")).await?;
            ctx.show(&response, || {
                println!("{}", details(&parse(response.clone())?));
                Ok(())
            })
        }
        CommandCommand::Wait { id } => {
            let id = resolve::require_id(id, "command")?;
            let command = progress::wait(&ctx.client, id).await?;
            if ctx.json {
                output::json(&ctx.client.get(&format!("/api/command/{id}")).await?);
            }
            progress::outcome(&command)?;
            if !ctx.json {
                println!("Command {id} succeeded.");
            }
            Ok(())
        }
        CommandCommand::Cancel { id } => {
            let id = resolve::require_id(id, "command")?;
            let response = ctx
                .client
                .post(&format!("/api/command/{id}/cancel"), &json!({}))
                .await?;
            ctx.show(&response, || {
                println!("Cancelled command {id}.");
                Ok(())
            })
        }
    }
}

/// How many of a command's jobs succeeded, of all.
fn progress_of(c: &CommandView) -> String {
    let done = c.jobs.iter().filter(|j| j.state == "succeeded").count();
    format!("{done}/{}", c.jobs.len())
}

/// Commands as a table.
pub fn table(commands: &[CommandView]) -> comfy_table::Table {
    let mut table = output::table(["ID", "STATE", "JOBS", "CREATED", "MESSAGE"]);
    for c in commands {
        table.add_row(vec![
            c.id.to_string(),
            c.state.clone(),
            progress_of(c),
            output::time(Some(c.created_at)),
            c.message.clone(),
        ]);
    }
    table
}

/// One command with its jobs and what failed.
pub fn details(c: &CommandView) -> String {
    let mut text = output::render(output::details(vec![
        ("Id", c.id.to_string()),
        ("Message", c.message.clone()),
        ("State", c.state.clone()),
        ("Created", output::time(Some(c.created_at))),
        ("Finished", output::time(c.finished_at)),
    ]));
    let mut jobs = output::table(["", "JOB", "STATE", "STARTED", "FINISHED", "ID"]);
    for j in &c.jobs {
        jobs.add_row(vec![
            mark(&j.state).to_owned(),
            j.description.clone(),
            j.state.clone(),
            output::time(j.started_at),
            output::time(j.finished_at),
            j.id.to_string(),
        ]);
    }
    text.push_str("\n\n");
    text.push_str(&output::render(jobs));
    let failures = progress::failures(c);
    if !failures.is_empty() {
        text.push_str("\n\n");
        text.push_str(&failures.join("\n"));
    }
    text
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;
    use crate::fixtures::{command, id, job, page};

    #[test]
    fn commands_show_job_progress() {
        let page: Page<CommandView> = parse(page(vec![command(json!(
            {"id": id(1), "message": "Create fs1", "state": "running", "created_at": "2026-11-26T10:00:00.5Z",
             "jobs": [job(json!({"id": id(11), "state": "succeeded"})), job(json!({"id": id(12), "state": "running"}))]}
        ))]))
        .unwrap();
        assert_eq!(
            output::render(table(&page.objects)),
            format!(
                "ID{:36}STATE    JOBS  CREATED              MESSAGE\n\
                 {}  running  1/2   2026-11-26 10:00:00  Create fs1",
                "",
                id(1)
            )
        );
    }
}
