//! `chroma client list|mount|unmount|remount|remove`: Lustre client
//! mounts on managed hosts. A mount is named by its id or `HOST:MOUNTPOINT`
//! (host by name, address or id).

use api_types::client_mounts::ClientMountView;
use api_types::pages::Page;
use clap::Subcommand;
use serde_json::json;

use super::Ctx;
use crate::client::parse;
use crate::error::{CliError, Result};
use crate::{output, resolve};

/// What to do with client mounts.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// List client mounts.
    List {
        /// Only the mounts on this host (name, address or id).
        #[arg(long)]
        host: Option<String>,
        /// Only the mounts of this file system (name or id).
        #[arg(long)]
        filesystem: Option<String>,
    },
    /// Mount a file system on a managed host (kept in its /etc/fstab).
    Mount {
        /// Host name, address or id.
        host: String,
        /// File system name or id.
        filesystem: String,
        /// Absolute path on the host.
        mountpoint: String,
        /// Lustre client mount options (`flock,user_xattr`).
        #[arg(short = 'o', long = "options")]
        options: Option<String>,
    },
    /// Unmount a client mount (it is kept, unmounted).
    Unmount {
        /// ID or HOST:MOUNTPOINT.
        mount: String,
    },
    /// Mount an unmounted client mount again.
    Remount {
        /// ID or HOST:MOUNTPOINT.
        mount: String,
    },
    /// Unmount, drop the fstab line and forget a client mount.
    Remove {
        /// ID or HOST:MOUNTPOINT.
        mount: String,
    },
}

/// Runs a client subcommand.
pub async fn run(ctx: &Ctx, command: &ClientCommand) -> Result<()> {
    match command {
        ClientCommand::List { host, filesystem } => {
            let mut query = Vec::new();
            if let Some(host) = host {
                query.push(("host_id", resolve::host_id(&ctx.client, host).await?));
            }
            if let Some(fs) = filesystem {
                query.push(("filesystem_id", resolve::filesystem_id(&ctx.client, fs).await?));
            }
            query.push(("limit", "1000".to_owned()));
            let value = ctx.client.get_query("/api/client_mount", &query).await?;
            let mounts = parse::<Page<ClientMountView>>(value.clone())?.objects;
            ctx.show(&value, || {
                output::print(table(&mounts));
                Ok(())
            })
        }
        ClientCommand::Mount {
            host,
            filesystem,
            mountpoint,
            options,
        } => {
            let body = json!({
                "host_id": resolve::host_id(&ctx.client, host).await?,
                "filesystem_id": resolve::filesystem_id(&ctx.client, filesystem).await?,
                "mountpoint": mountpoint,
                "options": options,
            });
            let response = ctx.client.post_planned("/api/client_mount", &body, ctx.dry_run).await?;
            ctx.follow(response, &format!("{filesystem} mounted on {host} at {mountpoint}."))
                .await
                .map(|_| ())
        }
        ClientCommand::Unmount { mount } | ClientCommand::Remount { mount } => {
            let found = find(ctx, mount).await?;
            let (state, done) = match command {
                ClientCommand::Unmount { .. } => ("unmounted", "unmounted from"),
                _ => ("mounted", "mounted on"),
            };
            let path = format!("/api/client_mount/{}", found.id);
            let response = ctx.client.patch(&path, &json!({ "state": state }), ctx.dry_run).await?;
            let message = format!(
                "{} {done} {} at {}.",
                found.filesystem_name, found.host_name, found.mountpoint
            );
            ctx.follow(response, &message).await.map(|_| ())
        }
        ClientCommand::Remove { mount } => {
            let found = find(ctx, mount).await?;
            let path = format!("/api/client_mount/{}", found.id);
            let response = ctx.client.delete_planned(&path, ctx.dry_run).await?;
            let message = format!("Client mount {} on {} removed.", found.mountpoint, found.host_name);
            ctx.follow(response, &message).await.map(|_| ())
        }
    }
}

/// The live mount `key` names: an id, or `HOST:MOUNTPOINT`.
async fn find(ctx: &Ctx, key: &str) -> Result<ClientMountView> {
    if resolve::is_id(key) {
        return parse(ctx.client.get(&format!("/api/client_mount/{key}")).await?);
    }
    let Some((host, mountpoint)) = key.split_once(":/") else {
        return Err(CliError::Usage(format!(
            "{key:?} is neither a client mount id nor HOST:MOUNTPOINT"
        )));
    };
    let host_id = resolve::host_id(&ctx.client, host).await?;
    let mountpoint = format!("/{mountpoint}");
    let query = [("host_id", host_id), ("limit", "1000".to_owned())];
    let mounts = parse::<Page<ClientMountView>>(ctx.client.get_query("/api/client_mount", &query).await?)?.objects;
    mounts
        .into_iter()
        .find(|m| m.mountpoint == mountpoint)
        .ok_or_else(|| CliError::NotFound(format!("no client mount {key}")))
}

/// Client mounts as a table.
fn table(mounts: &[ClientMountView]) -> comfy_table::Table {
    let mut table = output::table(["ID", "HOST", "FILESYSTEM", "MOUNTPOINT", "STATE", "OPTIONS", "SOURCE"]);
    for m in mounts {
        table.add_row(vec![
            m.id.to_string(),
            m.host_name.clone(),
            m.filesystem_name.clone(),
            m.mountpoint.clone(),
            m.state.clone(),
            output::or_dash(Some(m.options.as_str()).filter(|o| !o.is_empty())),
            output::or_dash(m.source.as_deref()),
        ]);
    }
    table
}
