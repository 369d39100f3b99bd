//! `chroma pool list|create|add|remove|destroy`: OST pools. A pool is
//! named `FS.POOL` (or by its id); OSTs by name (`fs1-OST0001`, or
//! `OST0001` within the pool's file system) or id.

use api_types::ost_pools::OstPoolView;
use api_types::pages::Page;
use clap::Subcommand;
use serde_json::{json, Value};

use super::Ctx;
use crate::client::parse;
use crate::error::{CliError, Result};
use crate::{output, resolve};

/// What to do with OST pools.
#[derive(Debug, Subcommand)]
pub enum PoolCommand {
    /// List pools with their OSTs and space.
    List {
        /// Only the pools of this file system (id or name).
        #[arg(long)]
        filesystem: Option<String>,
    },
    /// Create a pool in a file system.
    Create {
        /// File system id or name.
        filesystem: String,
        /// The pool's name (1 to 15 letters, digits, `_` or `-`).
        name: String,
        /// OSTs to put in it.
        #[arg(long = "ost", value_name = "OST")]
        osts: Vec<String>,
    },
    /// Add OSTs to a pool.
    Add {
        /// FS.POOL or id.
        pool: String,
        #[arg(required = true)]
        osts: Vec<String>,
    },
    /// Remove OSTs from a pool.
    Remove {
        /// FS.POOL or id.
        pool: String,
        #[arg(required = true)]
        osts: Vec<String>,
    },
    /// Remove a pool's OSTs and destroy it.
    Destroy {
        /// FS.POOL or id.
        pool: String,
    },
}

/// Runs a pool subcommand.
pub async fn run(ctx: &Ctx, command: &PoolCommand) -> Result<()> {
    match command {
        PoolCommand::List { filesystem } => {
            let mut query = vec![("limit", "1000".to_owned())];
            if let Some(fs) = filesystem {
                query.push(("filesystem_id", resolve::filesystem_id(&ctx.client, fs).await?));
            }
            let value = ctx.client.get_query("/api/ost_pool", &query).await?;
            let pools = parse::<Page<OstPoolView>>(value.clone())?.objects;
            ctx.show(&value, || {
                output::print(table(&pools));
                Ok(())
            })
        }
        PoolCommand::Create { filesystem, name, osts } => {
            let filesystem_id = resolve::filesystem_id(&ctx.client, filesystem).await?;
            let fs_name = fs_name(ctx, &filesystem_id, filesystem).await?;
            let ost_ids = ost_ids(ctx, &fs_name, osts).await?;
            let body = json!({ "filesystem_id": filesystem_id, "name": name, "ost_ids": ost_ids });
            let response = ctx.client.post_planned("/api/ost_pool", &body, ctx.dry_run).await?;
            ctx.follow(response, &format!("Pool {fs_name}.{name} created."))
                .await
                .map(|_| ())
        }
        PoolCommand::Add { pool, osts } | PoolCommand::Remove { pool, osts } => {
            let current = find(ctx, pool).await?;
            let named = ost_ids(ctx, &current.filesystem_name, osts).await?;
            let mut members: Vec<String> = current.osts.iter().map(|o| o.id.to_string()).collect();
            let adding = matches!(command, PoolCommand::Add { .. });
            if adding {
                members.extend(
                    named
                        .into_iter()
                        .filter(|id| !current.osts.iter().any(|o| o.id.to_string() == *id)),
                );
            } else {
                members.retain(|id| !named.contains(id));
            }
            let path = format!("/api/ost_pool/{}", current.id);
            let response = ctx
                .client
                .patch(&path, &json!({ "ost_ids": members }), ctx.dry_run)
                .await?;
            let full = format!("{}.{}", current.filesystem_name, current.name);
            let done = if adding {
                format!("OSTs added to pool {full}.")
            } else {
                format!("OSTs removed from pool {full}.")
            };
            ctx.follow(response, &done).await.map(|_| ())
        }
        PoolCommand::Destroy { pool } => {
            let current = find(ctx, pool).await?;
            let path = format!("/api/ost_pool/{}", current.id);
            let response = ctx.client.delete_planned(&path, ctx.dry_run).await?;
            let full = format!("{}.{}", current.filesystem_name, current.name);
            ctx.follow(response, &format!("Pool {full} destroyed."))
                .await
                .map(|_| ())
        }
    }
}

/// The name of file system `id` (`key` when it is the name already).
async fn fs_name(ctx: &Ctx, id: &str, key: &str) -> Result<String> {
    if !resolve::is_id(key) {
        return Ok(key.to_owned());
    }
    let value: Value = ctx.client.get(&format!("/api/filesystem/{id}")).await?;
    Ok(value.get("name").and_then(Value::as_str).unwrap_or(key).to_owned())
}

/// The pool `key` names: an id, or `FS.POOL`.
async fn find(ctx: &Ctx, key: &str) -> Result<OstPoolView> {
    if resolve::is_id(key) {
        return parse(ctx.client.get(&format!("/api/ost_pool/{key}")).await?);
    }
    let Some((fs, name)) = key.split_once('.') else {
        return Err(CliError::Usage(format!("{key:?} is neither a pool id nor FS.POOL")));
    };
    let query = [
        ("filesystem_id", resolve::filesystem_id(&ctx.client, fs).await?),
        ("limit", "1000".to_owned()),
    ];
    let pools = parse::<Page<OstPoolView>>(ctx.client.get_query("/api/ost_pool", &query).await?)?.objects;
    pools
        .into_iter()
        .find(|p| p.filesystem_name == fs && p.name == name)
        .ok_or_else(|| CliError::NotFound(format!("no pool {key}")))
}

/// The ids of the OSTs `keys` name; `OSTxxxx` means the OST of that index
/// in file system `fs`.
async fn ost_ids(ctx: &Ctx, fs: &str, keys: &[String]) -> Result<Vec<String>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let targets = resolve::targets(&ctx.client).await?;
    keys.iter()
        .map(|key| {
            if resolve::is_id(key) {
                return Ok(key.clone());
            }
            let name = if key.contains('-') {
                key.clone()
            } else {
                format!("{fs}-{key}")
            };
            Ok(resolve::target(&targets, &name)?.id.to_string())
        })
        .collect()
}

/// Pools as a table.
fn table(pools: &[OstPoolView]) -> comfy_table::Table {
    let mut table = output::table(["POOL", "STATE", "OSTS", "SIZE", "FREE"]);
    let size = |bytes: Option<f64>| bytes.map_or_else(|| "-".to_owned(), |b| output::size(b.max(0.0) as u64));
    for pool in pools {
        let osts: Vec<String> = pool.osts.iter().map(|o| o.name.clone()).collect();
        table.add_row(vec![
            format!("{}.{}", pool.filesystem_name, pool.name),
            pool.state.clone(),
            output::list(&osts),
            size(pool.bytes_total),
            size(pool.bytes_free),
        ]);
    }
    table
}
