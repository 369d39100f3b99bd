//! `chroma mirror create|extend|resync|verify|show FS PATH`: FLR mirrors
//! of a file, run through a mounted client mount of the file system. PATH
//! is inside the file system (`/dir/file`).

use api_types::data::LayoutView;
use clap::Subcommand;
use serde_json::json;

use super::Ctx;
use crate::client::parse;
use crate::error::Result;
use crate::{output, resolve};

/// What to do with a file's mirrors.
#[derive(Debug, Subcommand)]
pub enum MirrorCommand {
    /// Create a new file with a mirror on each pool (at least two).
    Create {
        /// File system id or name.
        filesystem: String,
        /// Path inside the file system.
        path: String,
        /// A pool per mirror, each its own.
        #[arg(long = "pool", value_name = "POOL", required = true)]
        pools: Vec<String>,
    },
    /// Add a mirror on each pool to an existing file.
    Extend {
        filesystem: String,
        path: String,
        #[arg(long = "pool", value_name = "POOL", required = true)]
        pools: Vec<String>,
    },
    /// Bring the file's stale mirrors up to date.
    Resync { filesystem: String, path: String },
    /// Read the file's layout again.
    Verify { filesystem: String, path: String },
    /// Show the file's mirrors as last read.
    Show { filesystem: String, path: String },
}

/// Runs a mirror subcommand.
pub async fn run(ctx: &Ctx, command: &MirrorCommand) -> Result<()> {
    let (action, filesystem, path, pools) = match command {
        MirrorCommand::Create {
            filesystem,
            path,
            pools,
        } => ("create", filesystem, path, &pools[..]),
        MirrorCommand::Extend {
            filesystem,
            path,
            pools,
        } => ("extend", filesystem, path, &pools[..]),
        MirrorCommand::Resync { filesystem, path } => ("resync", filesystem, path, &[][..]),
        MirrorCommand::Verify { filesystem, path } => ("verify", filesystem, path, &[][..]),
        MirrorCommand::Show { filesystem, path } => {
            let id = resolve::filesystem_id(&ctx.client, filesystem).await?;
            return show(ctx, &id, path).await;
        }
    };
    let id = resolve::filesystem_id(&ctx.client, filesystem).await?;
    let mirrors: Vec<_> = pools.iter().map(|p| json!({ "pool": p })).collect();
    let body = json!({ "path": path, "action": action, "mirrors": mirrors });
    let response = ctx
        .client
        .post_planned(&format!("/api/filesystem/{id}/mirror"), &body, ctx.dry_run)
        .await?;
    let finished = ctx
        .follow(response, &format!("Mirror {action} of {path} done."))
        .await?;
    if finished && !ctx.json {
        show(ctx, &id, path).await?;
    }
    Ok(())
}

async fn show(ctx: &Ctx, fs_id: &str, path: &str) -> Result<()> {
    let value = ctx
        .client
        .get_query(&format!("/api/filesystem/{fs_id}/layout"), &[("path", path.to_owned())])
        .await?;
    let layout: LayoutView = parse(value.clone())?;
    ctx.show(&value, || {
        println!(
            "{} (layout generation {}, read {})",
            layout.path,
            layout.layout_gen,
            output::time(Some(layout.read_at))
        );
        let mut table = output::table(["MIRROR", "STATE", "POOL", "STRIPES", "OSTS"]);
        for m in &layout.mirrors {
            let osts: Vec<String> = m.ost_indexes.iter().map(|i| format!("OST{i:04x}")).collect();
            table.add_row(vec![
                m.id.to_string(),
                if m.stale {
                    "stale".to_owned()
                } else {
                    "in sync".to_owned()
                },
                output::or_dash(m.pool.as_deref()),
                m.stripe_count.to_string(),
                output::list(&osts),
            ]);
        }
        output::print(table);
        Ok(())
    })
}
