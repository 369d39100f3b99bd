//! `chroma data migrate|stripe FS PATH`: move a directory's files off
//! OSTs (or into a pool), and give a directory a default striping over a
//! pool; both run through a mounted client mount of the file system.

use clap::Subcommand;
use serde_json::json;

use super::Ctx;
use crate::error::Result;
use crate::resolve;

/// Data jobs on a file system's files.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Migrate the files under PATH off OSTs, or into a pool.
    Migrate {
        /// File system id or name.
        filesystem: String,
        /// A directory or file inside the file system.
        path: String,
        /// An OST to move objects off (`OST0001`, `fs1-OST0001` or an id).
        #[arg(long = "exclude-ost", value_name = "OST")]
        exclude: Vec<String>,
        /// A pool to move the files into.
        #[arg(long)]
        pool: Option<String>,
        /// Stripes per migrated file.
        #[arg(long)]
        stripe_count: Option<u32>,
    },
    /// Stripe new files under a directory over a pool.
    Stripe {
        filesystem: String,
        /// A directory inside the file system.
        path: String,
        #[arg(long)]
        pool: String,
        /// Stripes per new file, -1 for every OST of the pool.
        #[arg(long, allow_hyphen_values = true)]
        stripe_count: Option<i32>,
        /// Bytes per stripe (a multiple of 65536).
        #[arg(long)]
        stripe_size: Option<u64>,
    },
}

/// Runs a data subcommand.
pub async fn run(ctx: &Ctx, command: &DataCommand) -> Result<()> {
    match command {
        DataCommand::Migrate {
            filesystem,
            path,
            exclude,
            pool,
            stripe_count,
        } => {
            let id = resolve::filesystem_id(&ctx.client, filesystem).await?;
            let fs_name = if resolve::is_id(filesystem) {
                resolve::filesystem(&resolve::filesystems(&ctx.client).await?, filesystem)?
                    .name
                    .clone()
            } else {
                filesystem.clone()
            };
            let targets = resolve::targets(&ctx.client).await?;
            let mut ost_ids = Vec::new();
            for key in exclude {
                let name = if resolve::is_id(key) || key.contains('-') {
                    key.clone()
                } else {
                    format!("{fs_name}-{key}")
                };
                ost_ids.push(resolve::target(&targets, &name)?.id.to_string());
            }
            let body = json!({ "path": path, "exclude_ost_ids": ost_ids, "pool": pool, "stripe_count": stripe_count });
            let response = ctx
                .client
                .post_planned(&format!("/api/filesystem/{id}/migrate"), &body, ctx.dry_run)
                .await?;
            ctx.follow(response, &format!("Files of {path} migrated."))
                .await
                .map(|_| ())
        }
        DataCommand::Stripe {
            filesystem,
            path,
            pool,
            stripe_count,
            stripe_size,
        } => {
            let id = resolve::filesystem_id(&ctx.client, filesystem).await?;
            let body = json!({ "path": path, "pool": pool, "stripe_count": stripe_count, "stripe_size": stripe_size });
            let response = ctx
                .client
                .post_planned(&format!("/api/filesystem/{id}/stripe"), &body, ctx.dry_run)
                .await?;
            ctx.follow(response, &format!("New files under {path} go to pool {pool}."))
                .await
                .map(|_| ())
        }
    }
}
