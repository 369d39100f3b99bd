//! `chroma hsm status|enable|disable|archive|release|restore|remove|state FS …`
//! and `chroma hsm copytool list|add|start|stop|remove`: Lustre HSM. A file
//! is named by its path inside the file system (`/dir/file`).

use api_types::hsm::{CopytoolView, HsmFileState, HsmStatus};
use api_types::pages::Page;
use clap::Subcommand;
use serde_json::{json, Value};

use super::Ctx;
use crate::client::parse;
use crate::error::{CliError, Result};
use crate::{output, resolve};

/// What to do with HSM.
#[derive(Debug, Subcommand)]
pub enum HsmCommand {
    /// The coordinator, its agents and queue, and the copytools.
    Status { filesystem: String },
    /// Enable the coordinator on every MDT.
    Enable { filesystem: String },
    /// Disable the coordinator (requests wait until it is enabled again).
    Disable { filesystem: String },
    /// Archive a file (a job that follows the request to its end).
    Archive {
        filesystem: String,
        /// Path inside the file system (`/dir/file`).
        path: String,
        /// Archive id (default: the file's, else 1).
        #[arg(long)]
        archive: Option<i32>,
    },
    /// Release an archived file's data.
    Release { filesystem: String, path: String },
    /// Restore a released file.
    Restore { filesystem: String, path: String },
    /// Remove a file's copy from the archive (refused while it is released).
    Remove { filesystem: String, path: String },
    /// A file's HSM state as last read.
    State { filesystem: String, path: String },
    /// POSIX copytools.
    #[command(subcommand)]
    Copytool(CopytoolCommand),
}

/// What to do with copytools.
#[derive(Debug, Subcommand)]
pub enum CopytoolCommand {
    /// List copytools.
    List {
        #[arg(long)]
        filesystem: Option<String>,
    },
    /// Add and start a copytool on the host of a mounted client mount.
    Add {
        filesystem: String,
        /// The client host (name or id); the file system must be mounted there.
        host: String,
        #[arg(long, default_value_t = 1)]
        archive: i32,
        /// The archive root on the host (`--hsm-root`).
        #[arg(long)]
        path: String,
    },
    /// Start a copytool.
    Start { id: String },
    /// Stop a copytool.
    Stop { id: String },
    /// Stop and forget a copytool.
    Remove { id: String },
}

/// Runs an hsm subcommand.
pub async fn run(ctx: &Ctx, command: &HsmCommand) -> Result<()> {
    match command {
        HsmCommand::Status { filesystem } => {
            let id = resolve::filesystem_id(&ctx.client, filesystem).await?;
            let value = ctx.client.get(&format!("/api/filesystem/{id}/hsm")).await?;
            let status: HsmStatus = parse(value.clone())?;
            ctx.show(&value, || {
                output::print(output::details(vec![
                    ("Coordinator", status.control.clone()),
                    ("Agents", status.agents.len().to_string()),
                    ("Read", output::time(status.read_at)),
                ]));
                let mut actions = output::table(["FID", "ACTION", "ARCHIVE", "STATUS"]);
                for a in &status.actions {
                    actions.add_row(vec![
                        a.fid.clone(),
                        a.action.clone(),
                        a.archive_id.to_string(),
                        a.status.clone(),
                    ]);
                }
                output::print(actions);
                output::print(copytools(&status.copytools));
                Ok(())
            })
        }
        HsmCommand::Enable { filesystem } | HsmCommand::Disable { filesystem } => {
            let enable = matches!(command, HsmCommand::Enable { .. });
            let id = resolve::filesystem_id(&ctx.client, filesystem).await?;
            let control = if enable { "enabled" } else { "disabled" };
            let response = ctx
                .client
                .put_planned(
                    &format!("/api/filesystem/{id}/hsm"),
                    &json!({ "control": control }),
                    ctx.dry_run,
                )
                .await?;
            ctx.follow(response, &format!("HSM coordinator of {filesystem} {control}."))
                .await
                .map(|_| ())
        }
        HsmCommand::Archive {
            filesystem,
            path,
            archive,
        } => request(ctx, filesystem, "archive", path, *archive).await,
        HsmCommand::Release { filesystem, path } => request(ctx, filesystem, "release", path, None).await,
        HsmCommand::Restore { filesystem, path } => request(ctx, filesystem, "restore", path, None).await,
        HsmCommand::Remove { filesystem, path } => request(ctx, filesystem, "remove", path, None).await,
        HsmCommand::State { filesystem, path } => {
            let id = resolve::filesystem_id(&ctx.client, filesystem).await?;
            let value = ctx
                .client
                .get_query(&format!("/api/filesystem/{id}/hsm/state"), &[("path", path.clone())])
                .await?;
            let state: HsmFileState = parse(value.clone())?;
            ctx.show(&value, || {
                let mut line = format!("{}: ({:#010x})", state.path, state.flags);
                for s in &state.states {
                    line.push(' ');
                    line.push_str(s);
                }
                if state.archive_id != 0 {
                    line.push_str(&format!(", archive_id:{}", state.archive_id));
                }
                println!("{line}");
                Ok(())
            })
        }
        HsmCommand::Copytool(c) => copytool(ctx, c).await,
    }
}

async fn request(ctx: &Ctx, filesystem: &str, action: &str, path: &str, archive: Option<i32>) -> Result<()> {
    let id = resolve::filesystem_id(&ctx.client, filesystem).await?;
    let mut body = json!({ "action": action, "path": path });
    if let Some(archive) = archive {
        body["archive_id"] = json!(archive);
    }
    let response = ctx
        .client
        .post_planned(&format!("/api/filesystem/{id}/hsm/request"), &body, ctx.dry_run)
        .await?;
    ctx.follow(response, &format!("{path}: {action} done."))
        .await
        .map(|_| ())
}

async fn copytool(ctx: &Ctx, command: &CopytoolCommand) -> Result<()> {
    match command {
        CopytoolCommand::List { filesystem } => {
            let mut query = Vec::new();
            if let Some(fs) = filesystem {
                query.push(("filesystem_id", resolve::filesystem_id(&ctx.client, fs).await?));
            }
            query.push(("limit", "1000".to_owned()));
            let value = ctx.client.get_query("/api/copytool", &query).await?;
            let tools = parse::<Page<CopytoolView>>(value.clone())?.objects;
            ctx.show(&value, || {
                output::print(copytools(&tools));
                Ok(())
            })
        }
        CopytoolCommand::Add {
            filesystem,
            host,
            archive,
            path,
        } => {
            let fs_id = resolve::filesystem_id(&ctx.client, filesystem).await?;
            let query = [("filesystem_id", fs_id.clone()), ("limit", "1000".to_owned())];
            let mounts = parse::<Page<Value>>(ctx.client.get_query("/api/client_mount", &query).await?)?.objects;
            let mount = mounts
                .iter()
                .find(|m| m["host_name"] == json!(host) || m["host_id"] == json!(host))
                .ok_or_else(|| CliError::NotFound(format!("{filesystem} has no client mount on {host}")))?;
            let body = json!({ "client_mount_id": mount["id"], "archive_id": archive, "archive_path": path });
            let response = ctx.client.post_planned("/api/copytool", &body, ctx.dry_run).await?;
            ctx.follow(response, &format!("Copytool for archive {archive} started on {host}."))
                .await
                .map(|_| ())
        }
        CopytoolCommand::Start { id } | CopytoolCommand::Stop { id } => {
            let id = resolve::require_id(id, "copytool")?;
            let state = if matches!(command, CopytoolCommand::Start { .. }) {
                "started"
            } else {
                "stopped"
            };
            let response = ctx
                .client
                .patch(&format!("/api/copytool/{id}"), &json!({ "state": state }), ctx.dry_run)
                .await?;
            ctx.follow(response, &format!("Copytool {id} {state}."))
                .await
                .map(|_| ())
        }
        CopytoolCommand::Remove { id } => {
            let id = resolve::require_id(id, "copytool")?;
            let response = ctx
                .client
                .delete_planned(&format!("/api/copytool/{id}"), ctx.dry_run)
                .await?;
            ctx.follow(response, &format!("Copytool {id} removed."))
                .await
                .map(|_| ())
        }
    }
}

/// Copytools as a table.
fn copytools(tools: &[CopytoolView]) -> comfy_table::Table {
    let mut table = output::table(["ID", "FILESYSTEM", "HOST", "ARCHIVE", "PATH", "STATE", "PID"]);
    for t in tools {
        table.add_row(vec![
            t.id.to_string(),
            t.filesystem_name.clone(),
            t.host_name.clone(),
            t.archive_id.to_string(),
            t.archive_path.clone(),
            t.state.clone(),
            t.pid.map_or_else(|| "-".into(), |p| p.to_string()),
        ]);
    }
    table
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[test]
    fn hsm_commands_parse_as_documented() {
        for args in [
            &["chroma", "hsm", "status", "fs1"][..],
            &["chroma", "hsm", "enable", "fs1"],
            &["chroma", "hsm", "archive", "fs1", "/d/f", "--archive", "2"],
            &["chroma", "hsm", "release", "fs1", "/d/f"],
            &["chroma", "hsm", "state", "fs1", "/d/f"],
            &[
                "chroma",
                "hsm",
                "copytool",
                "add",
                "fs1",
                "cli1",
                "--path",
                "/srv/archive",
            ],
            &["chroma", "hsm", "copytool", "list"],
        ] {
            assert!(crate::Cli::try_parse_from(args).is_ok(), "{args:?}");
        }
        // The archive root is required; restore names no archive.
        assert!(crate::Cli::try_parse_from(["chroma", "hsm", "copytool", "add", "fs1", "cli1"]).is_err());
        assert!(crate::Cli::try_parse_from(["chroma", "hsm", "restore", "fs1", "/d/f", "--archive", "1"]).is_err());
        assert!(crate::Cli::try_parse_from(["chroma", "hsm", "remove", "fs1", "/d/f"]).is_ok());
    }
}
