//! One module per noun; each has its subcommands and runs them. What they
//! share: the context (client and global flags) and how a request that
//! starts work is followed.

pub mod alert;
pub mod alert_delivery;
pub mod client;
pub mod command;
pub mod data;
pub mod event;
pub mod filesystem;
pub mod ha;
pub mod host;
pub mod hsm;
pub mod job;
pub mod login;
pub mod mirror;
pub mod param;
pub mod pool;
pub mod quota;
pub mod target;
pub mod token;
pub mod volume;

use std::path::PathBuf;

use api_types::planning::Planned;
use serde_json::Value;

use crate::client::{parse, started_command, Client};
use crate::error::{CliError, Result};
use crate::output;
use crate::progress;

/// What every command runs with.
pub struct Ctx {
    pub client: Client,
    /// Print the server's `response` as JSON instead of tables.
    pub json: bool,
    /// Wait for started commands to finish.
    pub wait: bool,
    /// Send `"confirm": true`.
    pub yes: bool,
    /// Ask for the plan only.
    pub dry_run: bool,
    pub config_path: PathBuf,
}

impl Ctx {
    /// Prints `value` as JSON when `--json`, otherwise calls `human`.
    pub fn show(&self, value: &Value, human: impl FnOnce() -> Result<()>) -> Result<()> {
        if self.json {
            output::json(value);
            Ok(())
        } else {
            human()
        }
    }

    /// Sends a planned state change (`PATCH` with `confirm` from `--yes`,
    /// `?dry_run` from `--dry-run`) and follows what it starts.
    pub async fn change(&self, path: &str, mut body: Value, done: &str) -> Result<()> {
        if let Some(fields) = body.as_object_mut() {
            fields.insert("confirm".into(), Value::Bool(self.yes));
        }
        let response = self.client.patch(path, &body, self.dry_run).await?;
        self.follow(response, done).await.map(|_| ())
    }

    /// Follows the answer to a request that plans or starts work: prints
    /// the plan of a dry run, or waits for the command (unless
    /// `--no-wait`) and reports how it ended. `done` says what succeeded.
    /// True when a command was waited for and succeeded.
    pub async fn follow(&self, response: Value, done: &str) -> Result<bool> {
        if self.json {
            output::json(&response);
        }
        let planned: Planned = parse(response.clone())?;
        if planned.dry_run {
            if !self.json {
                print_plan(&planned);
            }
            return Ok(false);
        }
        self.wait_for_started(&response, done).await
    }

    /// Follows the answer to a request that starts a command without
    /// planning one (detection): waits for it unless `--no-wait`.
    pub async fn follow_started(&self, response: Value, done: &str) -> Result<bool> {
        if self.json {
            output::json(&response);
        }
        self.wait_for_started(&response, done).await
    }

    async fn wait_for_started(&self, response: &Value, done: &str) -> Result<bool> {
        let Some(id) = started_command(response) else {
            if !self.json {
                println!("Nothing to do: already so.");
            }
            return Ok(false);
        };
        if !self.wait {
            if !self.json {
                println!("Started command {id}; follow it with `chroma command show {id}`.");
            }
            return Ok(false);
        }
        let command = progress::wait(&self.client, &id).await?;
        progress::outcome(&command)?;
        if !self.json {
            println!("{done}");
        }
        Ok(true)
    }
}

/// Prints the jobs a dry run planned.
pub fn print_plan(planned: &Planned) {
    if planned.jobs.is_empty() {
        println!("Nothing to do: already so.");
        return;
    }
    println!("{}", plan_table(planned));
    if planned.requires_confirmation {
        println!("\nThis changes objects the request does not name; run it with --yes to go ahead.");
    }
}

/// The planned jobs as a table.
pub fn plan_table(planned: &Planned) -> String {
    let mut table = output::table(["#", "JOB", "CHANGE", "AFTER", "CONFIRM"]);
    for (i, job) in planned.jobs.iter().enumerate() {
        let after: Vec<String> = job.wait_for.iter().map(|w| (w + 1).to_string()).collect();
        table.add_row(vec![
            (i + 1).to_string(),
            job.description.clone(),
            format!("{} → {}", job.from, job.to),
            output::list(&after),
            output::or_dash(job.confirmation.as_deref()),
        ]);
    }
    output::render(table)
}

/// Turns a 404 from a route this server may not have yet into a clear
/// "not supported" error.
pub fn unsupported(what: &str) -> impl Fn(CliError) -> CliError + '_ {
    move |err| match err {
        CliError::Server { status: 404, .. } => CliError::NotSupported(what.to_owned()),
        other => other,
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;
    use api_types::envelope::ErrorBody;
    use serde_json::json;

    #[test]
    fn a_plan_shows_order_and_confirmations() {
        let planned: Planned = parse(json!({
        "command": null, "dry_run": true, "requires_confirmation": true,
        "jobs": [
            {"description": "Unmount fs1-OST0000", "object": "target/t1", "from": "mounted", "to": "unmounted",
             "wait_for": [], "confirmation": "unmounts fs1-OST0000"},
            {"description": "Stop LNet on oss1", "object": "lnet/h1", "from": "lnet_up", "to": "lnet_down",
             "wait_for": [0], "confirmation": null}
        ]}))
        .unwrap();
        assert_eq!(
            plan_table(&planned),
            "#  JOB                  CHANGE               AFTER  CONFIRM\n\
             1  Unmount fs1-OST0000  mounted → unmounted  -      unmounts fs1-OST0000\n\
             2  Stop LNet on oss1    lnet_up → lnet_down  1      -"
        );
    }

    #[test]
    fn a_missing_route_is_not_supported() {
        let missing = CliError::Server {
            status: 404,
            errors: vec![ErrorBody {
                code: "not_found".into(),
                message: "no such route: GET /api/event".into(),
                field: None,
            }],
        };
        let err = unsupported("chroma event list")(missing);
        assert_eq!(err.to_string(), "chroma event list is not supported by this server yet");
        assert_eq!(err.exit_code(), 1);
    }
}
