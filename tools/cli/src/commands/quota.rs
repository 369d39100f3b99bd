//! `chroma quota list|set|clear|enable|grace`: Lustre quotas. Block limits
//! take a size with a binary suffix (`10G`, `512M`, `100k`; a bare number
//! is KiB, as `lfs setquota` reads it); inode limits a count; grace times
//! Lustre's time format (`1w2d3h4m5s`) or seconds.

use api_types::pages::Page;
use api_types::quotas::QuotaView;
use clap::Subcommand;
use serde_json::json;

use super::Ctx;
use crate::client::parse;
use crate::error::{CliError, Result};
use crate::{output, resolve};

/// What to do with quotas.
#[derive(Debug, Subcommand)]
pub enum QuotaCommand {
    /// List quotas with their usage as last read.
    List {
        /// Only the quotas of this file system (id or name).
        #[arg(long)]
        filesystem: Option<String>,
        /// Only those over a soft or hard limit.
        #[arg(long)]
        over: bool,
    },
    /// Set a user's, group's or project's limits on a file system.
    Set {
        /// File system id or name.
        filesystem: String,
        /// A uid.
        #[arg(long, conflicts_with_all = ["group", "project"], required_unless_present_any = ["group", "project"])]
        user: Option<i64>,
        /// A gid.
        #[arg(long, conflicts_with = "project")]
        group: Option<i64>,
        /// A project id.
        #[arg(long)]
        project: Option<i64>,
        /// Block soft limit (`10G`; a bare number is KiB).
        #[arg(long)]
        block_soft: Option<String>,
        /// Block hard limit.
        #[arg(long)]
        block_hard: Option<String>,
        /// Inode soft limit.
        #[arg(long)]
        inode_soft: Option<i64>,
        /// Inode hard limit.
        #[arg(long)]
        inode_hard: Option<i64>,
    },
    /// Clear a quota's limits (by its id).
    Clear {
        /// The quota's id.
        id: String,
    },
    /// Set which quota types a file system enforces.
    Enable {
        /// File system id or name.
        filesystem: String,
        /// Block quotas on the OSTs: letters of `ugp`, or `none`.
        #[arg(long, default_value = "ug")]
        ost: String,
        /// Inode quotas on the MDTs: letters of `ugp`, or `none`.
        #[arg(long, default_value = "ug")]
        mdt: String,
    },
    /// Set a file system's grace times for one quota type (how long usage
    /// may stay over a soft limit), or show them all without a time.
    Grace {
        /// File system id or name.
        filesystem: String,
        /// User quotas.
        #[arg(long, conflicts_with_all = ["group", "project"])]
        user: bool,
        /// Group quotas.
        #[arg(long, conflicts_with = "project")]
        group: bool,
        /// Project quotas.
        #[arg(long)]
        project: bool,
        /// Block grace time: `1w`, `2d12h`, or seconds.
        #[arg(long)]
        block: Option<String>,
        /// Inode grace time: `1w`, `2d12h`, or seconds.
        #[arg(long)]
        inode: Option<String>,
    },
}

/// A grace time in seconds: Lustre's format (`1w2d3h4m5s`, as `lfs
/// setquota -t` takes it) or a number of seconds.
pub fn grace_secs(flag: &str, text: &str) -> Result<i64> {
    lustre::quota::parse_grace(text)
        .and_then(|s| i64::try_from(s).ok())
        .ok_or_else(|| {
            CliError::Usage(format!(
                "{flag} {text:?} is not a grace time: give seconds or weeks, days, hours, minutes and seconds \
                 like 1w2d3h4m5s (at most {} seconds)",
                lustre::quota::MAX_GRACE_SECS
            ))
        })
}

/// A block size in KiB: a number of KiB, or with a `k`/`M`/`G`/`T`/`P`
/// suffix (binary).
pub fn kib(text: &str) -> Result<i64> {
    let bad = || {
        CliError::Usage(format!(
            "{text:?} is not a size (a number of KiB, or with k, M, G, T or P)"
        ))
    };
    let (digits, suffix) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, ""),
    };
    let n: i64 = digits.parse().map_err(|_| bad())?;
    let shift = match suffix {
        "" | "k" | "K" => 0,
        "m" | "M" => 10,
        "g" | "G" => 20,
        "t" | "T" => 30,
        "p" | "P" => 40,
        _ => return Err(bad()),
    };
    n.checked_mul(1 << shift).ok_or_else(bad)
}

/// Runs a quota subcommand.
pub async fn run(ctx: &Ctx, command: &QuotaCommand) -> Result<()> {
    match command {
        QuotaCommand::List { filesystem, over } => {
            let mut query = Vec::new();
            if let Some(fs) = filesystem {
                query.push(("filesystem_id", resolve::filesystem_id(&ctx.client, fs).await?));
            }
            if *over {
                query.push(("over", "true".to_owned()));
            }
            query.push(("limit", "1000".to_owned()));
            let value = ctx.client.get_query("/api/quota", &query).await?;
            let quotas = parse::<Page<QuotaView>>(value.clone())?.objects;
            ctx.show(&value, || {
                output::print(table(&quotas));
                Ok(())
            })
        }
        QuotaCommand::Set {
            filesystem,
            user,
            group,
            project,
            block_soft,
            block_hard,
            inode_soft,
            inode_hard,
        } => {
            let (kind, id) = match (user, group, project) {
                (Some(u), _, _) => ("user", *u),
                (_, Some(g), _) => ("group", *g),
                (_, _, Some(p)) => ("project", *p),
                _ => return Err(CliError::Usage("give --user, --group or --project".into())),
            };
            let filesystem_id = resolve::filesystem_id(&ctx.client, filesystem).await?;
            let size = |s: &Option<String>| s.as_deref().map(kib).transpose();
            // Limits not given are not sent: the API keeps them, as `lfs
            // setquota` does.
            let mut body = json!({ "filesystem_id": filesystem_id, "kind": kind, "id": id });
            for (name, value) in [
                ("block_soft", size(block_soft)?),
                ("block_hard", size(block_hard)?),
                ("inode_soft", *inode_soft),
                ("inode_hard", *inode_hard),
            ] {
                if let Some(v) = value {
                    body[name] = json!(v);
                }
            }
            let response = ctx.client.post_planned("/api/quota", &body, ctx.dry_run).await?;
            ctx.follow(response, &format!("Quota of {kind} {id} set on {filesystem}."))
                .await
                .map(|_| ())
        }
        QuotaCommand::Clear { id } => {
            let response = ctx
                .client
                .delete_planned(&format!("/api/quota/{id}"), ctx.dry_run)
                .await?;
            ctx.follow(response, "Quota cleared.").await.map(|_| ())
        }
        QuotaCommand::Enable { filesystem, ost, mdt } => {
            let filesystem_id = resolve::filesystem_id(&ctx.client, filesystem).await?;
            let response = ctx
                .client
                .put_planned(
                    &format!("/api/filesystem/{filesystem_id}/quota"),
                    &json!({ "ost": ost, "mdt": mdt }),
                    ctx.dry_run,
                )
                .await?;
            ctx.follow(
                response,
                &format!("Quota enforcement on {filesystem}: ost={ost}, mdt={mdt}."),
            )
            .await
            .map(|_| ())
        }
        QuotaCommand::Grace {
            filesystem,
            user,
            group,
            project,
            block,
            inode,
        } => {
            let block = block.as_deref().map(|t| grace_secs("--block", t)).transpose()?;
            let inode = inode.as_deref().map(|t| grace_secs("--inode", t)).transpose()?;
            let filesystem_id = resolve::filesystem_id(&ctx.client, filesystem).await?;
            if block.is_none() && inode.is_none() {
                return show_grace(ctx, &filesystem_id).await;
            }
            let kind = match (user, group, project) {
                (true, _, _) => "user",
                (_, true, _) => "group",
                (_, _, true) => "project",
                _ => return Err(CliError::Usage("give --user, --group or --project".into())),
            };
            let mut body = json!({ "kind": kind });
            for (name, value) in [("block_secs", block), ("inode_secs", inode)] {
                if let Some(v) = value {
                    body[name] = json!(v);
                }
            }
            let response = ctx
                .client
                .put_planned(
                    &format!("/api/filesystem/{filesystem_id}/quota/grace"),
                    &body,
                    ctx.dry_run,
                )
                .await?;
            ctx.follow(response, &format!("Grace times of {kind} quotas set on {filesystem}."))
                .await
                .map(|_| ())
        }
    }
}

/// The grace times a file system's view shows, as a table.
async fn show_grace(ctx: &Ctx, filesystem_id: &str) -> Result<()> {
    let value = ctx.client.get(&format!("/api/filesystem/{filesystem_id}")).await?;
    let fs = parse::<api_types::filesystems::FilesystemView>(value.clone())?;
    ctx.show(&value, || {
        let mut table = output::table(["KIND", "BLOCK GRACE", "INODE GRACE", "READ"]);
        let time = |s: i64| lustre::quota::format_grace(u64::try_from(s).unwrap_or(0));
        for g in &fs.quota_grace {
            table.add_row(vec![
                g.kind.clone(),
                time(g.block_secs),
                time(g.inode_secs),
                g.read_at.to_rfc3339(),
            ]);
        }
        output::print(table);
        Ok(())
    })
}

/// Quotas as a table.
fn table(quotas: &[QuotaView]) -> comfy_table::Table {
    let mut table = output::table([
        "ID",
        "FILESYSTEM",
        "KIND",
        "QID",
        "USED",
        "SOFT",
        "HARD",
        "FILES",
        "ISOFT",
        "IHARD",
        "GRACE",
        "OVER",
    ]);
    let size = |k: Option<i64>| k.map_or_else(|| "-".to_owned(), |k| output::size((k.max(0) as u64) * 1024));
    let count = |n: Option<i64>| n.map_or_else(|| "-".to_owned(), |n| n.to_string());
    for q in quotas {
        let over = match (q.over_hard, q.over_soft) {
            (true, _) => "hard",
            (false, true) => "soft",
            _ => "-",
        };
        table.add_row(vec![
            q.id.to_string(),
            q.filesystem_name.clone(),
            q.kind.clone(),
            q.qid.to_string(),
            size(q.block_used),
            size(Some(q.block_soft)),
            size(Some(q.block_hard)),
            count(q.inode_used),
            q.inode_soft.to_string(),
            q.inode_hard.to_string(),
            output::or_dash(q.block_grace_left.as_deref()),
            over.to_owned(),
        ]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::{grace_secs, kib};

    #[test]
    fn grace_times_take_lustres_format_or_seconds() {
        assert_eq!(grace_secs("--block", "1w").ok(), Some(604_800));
        assert_eq!(grace_secs("--block", "2d12h").ok(), Some(216_000));
        assert_eq!(grace_secs("--inode", "90").ok(), Some(90));
        assert!(grace_secs("--inode", "1y").is_err());
        assert!(grace_secs("--inode", "-5").is_err());
    }

    #[test]
    fn sizes_are_kib() {
        assert_eq!(kib("100").ok(), Some(100));
        assert_eq!(kib("10G").ok(), Some(10 << 20));
        assert_eq!(kib("512M").ok(), Some(512 << 10));
        assert!(kib("1.5G").is_err());
        assert!(kib("x").is_err());
    }
}
