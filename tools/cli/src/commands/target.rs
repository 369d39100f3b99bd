//! `chroma target list|show|add|start|stop|failover|failback|drain|undrain|remove`.

use api_types::hosts::HostView;
use api_types::pages::Page;
use api_types::targets::{AddTargetRequest, Backfstype, FormatOptions, TargetView};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use uuid::Uuid;

use super::Ctx;
use crate::client::parse;
use crate::error::{CliError, Result};
use crate::{output, resolve};

/// What to do with targets.
#[derive(Debug, Subcommand)]
pub enum TargetCommand {
    /// List MGTs, MDTs and OSTs.
    List {
        /// Only this file system's targets (id or name).
        #[arg(long)]
        filesystem: Option<String>,
        /// Only targets of this kind.
        #[arg(long, value_enum)]
        kind: Option<Kind>,
    },
    /// Show a target.
    Show {
        /// Id or name (fs1-OST0000).
        target: String,
    },
    /// Mount a target (and what it needs: LNet, its MGS).
    Start {
        /// Id or name (fs1-OST0000).
        target: String,
    },
    /// Unmount a target.
    Stop {
        /// Id or name (fs1-OST0000).
        target: String,
    },
    /// Move a mounted target to a failover host.
    Failover {
        /// Id or name (fs1-OST0000).
        target: String,
        /// The host to move it to (default: its first failover host).
        #[arg(long)]
        host: Option<String>,
    },
    /// Move a target back to its primary host.
    Failback {
        /// Id or name (fs1-OST0000).
        target: String,
    },
    /// Add an OST or MDT to a live file system (formatted, registered with
    /// its MGS and mounted while the file system stays available).
    Add(AddArgs),
    /// Stop new object creation on an OST from every MDT (before its files
    /// are migrated off it and it is removed).
    Drain {
        /// Id or name (fs1-OST0003).
        target: String,
    },
    /// Let the MDTs create objects on a drained OST again.
    Undrain {
        /// Id or name (fs1-OST0003).
        target: String,
    },
    /// Remove an OST from its live file system: deactivated for good, then
    /// unmounted and forgotten. Files with objects on it lose them unless
    /// migrated first; needs --yes.
    Remove {
        /// Id or name (fs1-OST0003).
        target: String,
    },
}

/// `chroma target add`: every field of the API's [`AddTargetRequest`].
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The file system (id or name).
    #[arg(long)]
    pub filesystem: String,
    /// `ost`, or `mdt` for one more MDT (DNE).
    #[arg(long, value_enum)]
    pub kind: AddKind,
    /// The volume (id, serial or HOST:PATH).
    #[arg(long)]
    pub volume: String,
    /// Its primary host (default: the first host that sees the volume).
    #[arg(long, value_name = "HOST")]
    pub primary: Option<String>,
    /// A failover host that sees the volume too (repeat for more; default:
    /// every other host that sees it).
    #[arg(long, value_name = "HOST")]
    pub failover: Vec<String>,
    /// No failover host, even where other hosts see the volume.
    #[arg(long, conflicts_with = "failover")]
    pub no_failover: bool,
    /// Its index (default: the lowest the file system never used); the
    /// MGS keeps 65535 for "none".
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=65534))]
    pub index: Option<u32>,
    /// Format over Lustre data already on the volume.
    #[arg(long)]
    pub reformat: bool,
    /// Its back end: ldiskfs on the volume, or zfs (a dataset in a pool
    /// built on the volume).
    #[arg(long, value_enum, default_value_t = Fstype::Ldiskfs, value_name = "FSTYPE")]
    pub backfstype: Fstype,
    /// ldiskfs: bytes per inode on disk (mke2fs -I).
    #[arg(long, value_name = "BYTES")]
    pub inode_size: Option<u32>,
    /// ldiskfs: one inode per this many bytes (mke2fs -i).
    #[arg(long, value_name = "BYTES")]
    pub bytes_per_inode: Option<u32>,
    /// ldiskfs: RAID chunk size in 4 KiB blocks (mke2fs -E stride=).
    #[arg(long, value_name = "BLOCKS")]
    pub raid_stride: Option<u32>,
    /// ldiskfs: full RAID stripe in 4 KiB blocks (mke2fs -E stripe_width=).
    #[arg(long, value_name = "BLOCKS")]
    pub raid_stripe_width: Option<u32>,
}

/// A target's back end, as `--backfstype` takes it.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Fstype {
    Ldiskfs,
    Zfs,
}

impl From<Fstype> for Backfstype {
    fn from(fstype: Fstype) -> Backfstype {
        match fstype {
            Fstype::Ldiskfs => Backfstype::Ldiskfs,
            Fstype::Zfs => Backfstype::Zfs,
        }
    }
}

/// A kind of target that can join a live file system.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AddKind {
    Mdt,
    Ost,
}

/// A kind of target.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    Mgt,
    Mdt,
    Ost,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Mgt => "mgt",
            Kind::Mdt => "mdt",
            Kind::Ost => "ost",
        }
    }
}

/// Runs a target subcommand.
pub async fn run(ctx: &Ctx, command: &TargetCommand) -> Result<()> {
    match command {
        TargetCommand::List { filesystem, kind } => {
            let mut query = Vec::new();
            if let Some(fs) = filesystem {
                query.push(("filesystem_id", resolve::filesystem_id(&ctx.client, fs).await?));
            }
            if let Some(kind) = kind {
                query.push(("kind", kind.as_str().to_owned()));
            }
            let response = ctx.client.get_query("/api/target", &query).await?;
            ctx.show(&response, || {
                let page: Page<TargetView> = parse(response.clone())?;
                output::print(table(&page.objects));
                Ok(())
            })
        }
        TargetCommand::Show { target } => {
            let id = resolve::target_id(&ctx.client, target).await?;
            let response = ctx.client.get(&format!("/api/target/{id}")).await?;
            if ctx.json {
                output::json(&response);
                return Ok(());
            }
            let hosts = resolve::hosts(&ctx.client).await?;
            println!("{}", details(&parse(response)?, &hosts));
            Ok(())
        }
        TargetCommand::Start { target } => set(ctx, target, "mounted").await,
        TargetCommand::Stop { target } => set(ctx, target, "unmounted").await,
        TargetCommand::Failover { target, host } => {
            let id = resolve::target_id(&ctx.client, target).await?;
            let mut body = json!({ "confirm": ctx.yes });
            if let Some(host) = host {
                body["host_id"] = json!(resolve::host_id(&ctx.client, host).await?);
            }
            let path = format!("/api/target/{id}/failover");
            let response = ctx.client.post_planned(&path, &body, ctx.dry_run).await?;
            ctx.follow(response, &format!("{target} failed over."))
                .await
                .map(|_| ())
        }
        TargetCommand::Add(args) => add(ctx, args).await,
        TargetCommand::Drain { target } => drain(ctx, target, true).await,
        TargetCommand::Undrain { target } => drain(ctx, target, false).await,
        TargetCommand::Remove { target } => set(ctx, target, "removed").await,
        TargetCommand::Failback { target } => {
            let id = resolve::target_id(&ctx.client, target).await?;
            let path = format!("/api/target/{id}/failback");
            let response = ctx.client.post_planned(&path, &json!({}), ctx.dry_run).await?;
            ctx.follow(response, &format!("{target} is back on its primary host."))
                .await
                .map(|_| ())
        }
    }
}

async fn add(ctx: &Ctx, args: &AddArgs) -> Result<()> {
    let request = add_request(ctx, args).await?;
    let body =
        serde_json::to_value(&request).map_err(|e| CliError::Local(format!("cannot encode the request: {e}")))?;
    let response = ctx.client.post_planned("/api/target", &body, ctx.dry_run).await?;
    let name = response
        .pointer("/target/name")
        .and_then(serde_json::Value::as_str)
        .map_or_else(|| format!("The new {}", request.kind), str::to_owned);
    ctx.follow(response, &format!("{name} is added to {}.", args.filesystem))
        .await
        .map(|_| ())
}

/// The API's request for `args`, with names resolved to ids.
async fn add_request(ctx: &Ctx, args: &AddArgs) -> Result<AddTargetRequest> {
    let volume_id = if resolve::is_id(&args.volume) {
        args.volume.clone()
    } else {
        resolve::volume(&resolve::volumes(&ctx.client).await?, &args.volume)?
            .id
            .to_string()
    };
    let primary_host_id = match &args.primary {
        Some(host) => Some(id(&resolve::host_id(&ctx.client, host).await?)?),
        None => None,
    };
    let failover_host_ids = if args.no_failover {
        Some(Vec::new())
    } else if args.failover.is_empty() {
        None
    } else {
        let mut ids = Vec::new();
        for host in &args.failover {
            ids.push(id(&resolve::host_id(&ctx.client, host).await?)?);
        }
        Some(ids)
    };
    let format = FormatOptions {
        inode_size: args.inode_size,
        bytes_per_inode: args.bytes_per_inode,
        raid_stride: args.raid_stride,
        raid_stripe_width: args.raid_stripe_width,
    };
    Ok(AddTargetRequest {
        filesystem_id: id(&resolve::filesystem_id(&ctx.client, &args.filesystem).await?)?,
        kind: match args.kind {
            AddKind::Mdt => "mdt",
            AddKind::Ost => "ost",
        }
        .to_owned(),
        volume_id: id(&volume_id)?,
        primary_host_id,
        failover_host_ids,
        index: args.index,
        reformat: args.reformat,
        format: (!format.is_empty()).then_some(format),
        backfstype: args.backfstype.into(),
    })
}

/// A resolved object id as the API's types hold it.
fn id(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|_| CliError::Usage(format!("{text:?} is not an id (a UUID)")))
}

async fn drain(ctx: &Ctx, target: &str, drained: bool) -> Result<()> {
    let id = resolve::target_id(&ctx.client, target).await?;
    let (verb, done) = if drained {
        (
            "drain",
            format!("{target} is drained: no new objects are created on it."),
        )
    } else {
        ("undrain", format!("{target} takes new objects again."))
    };
    let path = format!("/api/target/{id}/{verb}");
    let response = ctx.client.post_planned(&path, &json!({}), ctx.dry_run).await?;
    ctx.follow(response, &done).await.map(|_| ())
}

async fn set(ctx: &Ctx, target: &str, state: &str) -> Result<()> {
    let id = resolve::target_id(&ctx.client, target).await?;
    let done = format!("{target} is {state}.");
    ctx.change(&format!("/api/target/{id}"), json!({ "state": state }), &done)
        .await
}

/// Where a target runs: its active host, marked when failed over.
fn running_on(t: &TargetView) -> String {
    match (&t.active_host, t.failed_over) {
        (Some(host), true) => format!("{host} (failed over)"),
        (Some(host), false) => host.clone(),
        (None, _) => "-".to_owned(),
    }
}

/// Targets as a table.
pub fn table(targets: &[TargetView]) -> comfy_table::Table {
    let mut table = output::table([
        "ID",
        "NAME",
        "KIND",
        "FILESYSTEM",
        "STATE",
        "VOLUME",
        "PRIMARY",
        "ACTIVE",
    ]);
    for t in targets {
        table.add_row(vec![
            t.id.to_string(),
            t.name.clone(),
            t.kind.clone(),
            output::or_dash(t.filesystem.as_deref()),
            t.state.clone(),
            t.volume_serial.clone(),
            output::or_dash(t.primary_host.as_deref()),
            running_on(t),
        ]);
    }
    table
}

/// One target in full; `hosts` name its failover hosts.
pub fn details(t: &TargetView, hosts: &[HostView]) -> String {
    let failover: Vec<String> = t
        .failover_host_ids
        .iter()
        .map(|id| {
            hosts
                .iter()
                .find(|h| &h.id == id)
                .and_then(|h| h.nodename.clone())
                .unwrap_or_else(|| id.to_string())
        })
        .collect();
    let mut text = output::render(output::details(vec![
        ("Id", t.id.to_string()),
        ("Name", t.name.clone()),
        ("Kind", t.kind.clone()),
        ("File system", output::or_dash(t.filesystem.as_deref())),
        ("State", t.state.clone()),
        (
            "Drained",
            if t.drained { "yes (no new objects)" } else { "no" }.to_owned(),
        ),
        (
            "Managed",
            if t.managed { "yes" } else { "no (watched only)" }.to_owned(),
        ),
        ("Volume", format!("{} ({})", t.volume_serial, t.volume_id)),
        (
            "Back end",
            match &t.zpool {
                Some(pool) => format!("zfs (pool {pool})"),
                None => output::or_dash(Some(t.backfstype.as_str()).filter(|b| !b.is_empty())),
            },
        ),
        ("Primary host", output::or_dash(t.primary_host.as_deref())),
        ("Failover hosts", output::list(&failover)),
        ("Active host", running_on(t)),
        (
            "HA",
            match &t.ha_resource {
                Some(resource) => format!("Pacemaker resource {resource}"),
                None => "none (mounted by Chroma directly)".to_owned(),
            },
        ),
        ("Can become", output::list(&t.available_transitions)),
    ]));
    for lock in &t.locks {
        text.push_str(&format!("\nBusy: {} (command {})", lock.description, lock.command_id));
    }
    text
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;
    use crate::fixtures::{id, page, target};

    #[test]
    fn a_failed_over_target_says_so() {
        let page: Page<TargetView> = parse(page(vec![
            target(
                json!({"id": id(1), "name": "fs1-OST0000", "kind": "ost", "filesystem": "fs1", "state": "mounted",
             "volume_serial": "OST0", "primary_host": "oss1", "active_host": "oss2", "failed_over": true}),
            ),
            target(
                json!({"id": id(2), "name": "MGS", "kind": "mgt", "filesystem": null, "state": "unmounted",
             "volume_serial": "MGT0", "primary_host": "mds1", "active_host": null, "failed_over": false}),
            ),
        ]))
        .unwrap();
        assert_eq!(
            output::render(table(&page.objects)),
            format!(
                "ID{:36}NAME         KIND  FILESYSTEM  STATE      VOLUME  PRIMARY  ACTIVE\n\
                 {}  fs1-OST0000  ost   fs1         mounted    OST0    oss1     oss2 (failed over)\n\
                 {}  MGS          mgt   -           unmounted  MGT0    mds1     -",
                "",
                id(1),
                id(2)
            )
        );
    }
}
