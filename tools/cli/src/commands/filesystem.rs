//! `chroma filesystem create|list|show|start|stop|remove|detect|writeconf|failback`.

use api_types::filesystems::FilesystemView;
use api_types::hosts::HostView;
use api_types::pages::Page;
use api_types::volumes::VolumeView;
use clap::{ArgGroup, Args, Subcommand};
use serde_json::{json, Value};

use super::Ctx;
use crate::client::parse;
use crate::error::Result;
use crate::spec::{params_object, Param, TargetSpec};
use crate::{output, resolve};

/// What to do with file systems.
#[derive(Debug, Subcommand)]
pub enum FilesystemCommand {
    /// Create a file system: format its targets, register and start them.
    Create(CreateArgs),
    /// List file systems.
    List,
    /// Show a file system and its targets.
    Show {
        /// Id or name.
        filesystem: String,
    },
    /// Start a file system (MGS first).
    Start {
        /// Id or name.
        filesystem: String,
    },
    /// Stop a file system (OSTs, then MDTs; the MGS stays).
    Stop {
        /// Id or name.
        filesystem: String,
    },
    /// Forget a file system and its targets (the data stays on the volumes).
    Remove {
        /// Id or name.
        filesystem: String,
    },
    /// Find file systems Chroma did not create on managed servers (watched, never changed).
    Detect,
    /// Regenerate the configuration with the servers' current NIDs (after an
    /// LNet change): stop, writeconf every MDT and OST, start again.
    Writeconf {
        /// Id or name.
        filesystem: String,
    },
    /// Move every target Pacemaker runs away from its primary host back
    /// there (after a failover storm), one job per target, in parallel.
    Failback {
        /// Id or name.
        filesystem: String,
    },
}

/// `chroma filesystem create`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("mgs_choice").required(true).args(["mgt", "mgs"])))]
pub struct CreateArgs {
    /// The file system's name (1-8 letters, digits, `_`).
    #[arg(long)]
    pub name: String,
    /// A new MGT: VOLUME[:PRIMARY_HOST[:FAILOVER_HOST…]].
    #[arg(long, value_parser = TargetSpec::parse, value_name = "SPEC")]
    pub mgt: Option<TargetSpec>,
    /// An existing MGS target to register with (id or name).
    #[arg(long, value_name = "MGS_TARGET")]
    pub mgs: Option<String>,
    /// An MDT: VOLUME[:PRIMARY_HOST[:FAILOVER_HOST…]] (repeat for more).
    #[arg(long, required = true, value_parser = TargetSpec::parse, value_name = "SPEC")]
    pub mdt: Vec<TargetSpec>,
    /// An OST: VOLUME[:PRIMARY_HOST[:FAILOVER_HOST…]] (repeat for more).
    #[arg(long, value_parser = TargetSpec::parse, value_name = "SPEC")]
    pub ost: Vec<TargetSpec>,
    /// A conf_param to apply, KEY=VALUE (repeatable), e.g. sys.timeout=40.
    #[arg(long, value_parser = Param::parse, value_name = "KEY=VALUE")]
    pub param: Vec<Param>,
    /// Format over Lustre data already on the volumes.
    #[arg(long)]
    pub reformat: bool,
    /// Back end of the new targets: ldiskfs on the volume, or zfs (a
    /// dataset in a pool built on the volume, imported where it mounts).
    #[arg(long, value_parser = ["ldiskfs", "zfs"], default_value = "ldiskfs", value_name = "FSTYPE")]
    pub backfstype: String,
}

/// Runs a file system subcommand.
pub async fn run(ctx: &Ctx, command: &FilesystemCommand) -> Result<()> {
    match command {
        FilesystemCommand::Create(args) => create(ctx, args).await,
        FilesystemCommand::List => {
            let response = ctx.client.get("/api/filesystem").await?;
            ctx.show(&response, || {
                let page: Page<FilesystemView> = parse(response.clone())?;
                output::print(table(&page.objects));
                Ok(())
            })
        }
        FilesystemCommand::Show { filesystem } => {
            let id = resolve::filesystem_id(&ctx.client, filesystem).await?;
            let response = ctx.client.get(&format!("/api/filesystem/{id}")).await?;
            ctx.show(&response, || {
                println!("{}", details(&parse(response.clone())?));
                Ok(())
            })
        }
        FilesystemCommand::Start { filesystem } => set(ctx, filesystem, "available", "started").await,
        FilesystemCommand::Stop { filesystem } => set(ctx, filesystem, "stopped", "stopped").await,
        FilesystemCommand::Remove { filesystem } => set(ctx, filesystem, "removed", "removed").await,
        FilesystemCommand::Writeconf { filesystem } => {
            let id = resolve::filesystem_id(&ctx.client, filesystem).await?;
            let body = json!({ "confirm": ctx.yes });
            let path = format!("/api/filesystem/{id}/writeconf");
            let response = ctx.client.post_planned(&path, &body, ctx.dry_run).await?;
            let done = format!("File system {filesystem} runs with its servers' current NIDs.");
            ctx.follow(response, &done).await.map(|_| ())
        }
        FilesystemCommand::Failback { filesystem } => {
            let id = resolve::filesystem_id(&ctx.client, filesystem).await?;
            let path = format!("/api/filesystem/{id}/failback");
            let response = ctx.client.post_planned(&path, &json!({}), ctx.dry_run).await?;
            let done = format!("Every target of {filesystem} is on its primary host.");
            ctx.follow(response, &done).await.map(|_| ())
        }
        FilesystemCommand::Detect => {
            let response = ctx.client.post("/api/filesystem/detect", &json!({})).await?;
            ctx.follow_started(response, "Detection finished; see `chroma filesystem list`.")
                .await
                .map(|_| ())
        }
    }
}

async fn set(ctx: &Ctx, filesystem: &str, state: &str, verb: &str) -> Result<()> {
    let id = resolve::filesystem_id(&ctx.client, filesystem).await?;
    let done = format!("File system {filesystem} {verb}.");
    ctx.change(&format!("/api/filesystem/{id}"), json!({ "state": state }), &done)
        .await
}

async fn create(ctx: &Ctx, args: &CreateArgs) -> Result<()> {
    let volumes = resolve::volumes(&ctx.client).await?;
    let hosts = resolve::hosts(&ctx.client).await?;
    let mgs_id = match &args.mgs {
        Some(mgs) => Some(resolve::target_id(&ctx.client, mgs).await?),
        None => None,
    };
    let body = create_body(args, mgs_id.as_deref(), &volumes, &hosts)?;
    let response = ctx.client.post_planned("/api/filesystem", &body, ctx.dry_run).await?;
    let id = response
        .pointer("/filesystem/id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let done = format!("File system {} is available.", args.name);
    if ctx.follow(response, &done).await? && !ctx.json {
        // Its NIDs are known only now that LNet is up.
        if let Some(id) = id {
            let created: FilesystemView = parse(ctx.client.get(&format!("/api/filesystem/{id}")).await?)?;
            if let Some(source) = created.client_mount_source {
                println!("Clients mount it with: mount -t lustre {source} /mnt/{}", created.name);
            }
        }
    }
    Ok(())
}

/// The `POST /api/filesystem` body, names resolved against the lists.
pub fn create_body(
    args: &CreateArgs,
    mgs_id: Option<&str>,
    volumes: &[VolumeView],
    hosts: &[HostView],
) -> Result<Value> {
    let with_backend = |mut target: Value| {
        if args.backfstype != "ldiskfs" {
            target["backfstype"] = json!(args.backfstype);
        }
        target
    };
    let mgt = match (mgs_id, &args.mgt) {
        (Some(id), _) => json!({ "mgs_id": id }),
        (None, Some(spec)) => with_backend(spec.resolve(volumes, hosts, args.reformat)?),
        (None, None) => {
            return Err(crate::error::CliError::Usage(
                "give --mgt VOLUME or --mgs MGS_TARGET".into(),
            ));
        }
    };
    let targets = |specs: &[TargetSpec]| -> Result<Vec<Value>> {
        specs
            .iter()
            .map(|s| s.resolve(volumes, hosts, args.reformat).map(with_backend))
            .collect()
    };
    let mut body = json!({
        "name": args.name,
        "mgt": mgt,
        "mdts": targets(&args.mdt)?,
        "osts": targets(&args.ost)?,
    });
    if !args.param.is_empty() {
        body["conf_params"] = params_object(&args.param)?;
    }
    Ok(body)
}

/// File systems as a table.
pub fn table(filesystems: &[FilesystemView]) -> comfy_table::Table {
    let mut table = output::table(["ID", "NAME", "STATE", "MANAGED", "TARGETS", "CLIENT MOUNT SOURCE"]);
    for f in filesystems {
        table.add_row(vec![
            f.id.to_string(),
            f.name.clone(),
            f.state.clone(),
            if f.managed { "yes" } else { "watched" }.to_owned(),
            f.targets.len().to_string(),
            output::or_dash(f.client_mount_source.as_deref()),
        ]);
    }
    table
}

/// One file system with its targets and parameters.
pub fn details(f: &FilesystemView) -> String {
    let mut text = output::render(output::details(vec![
        ("Id", f.id.to_string()),
        ("Name", f.name.clone()),
        ("State", f.state.clone()),
        (
            "Managed",
            if f.managed { "yes" } else { "no (watched only)" }.to_owned(),
        ),
        ("Mount source", output::or_dash(f.client_mount_source.as_deref())),
        ("Can become", output::list(&f.available_transitions)),
    ]));
    for lock in &f.locks {
        text.push_str(&format!("\nBusy: {} (command {})", lock.description, lock.command_id));
    }
    text.push_str("\n\n");
    text.push_str(&output::render(super::target::table(&f.targets)));
    if let Some(params) = f.conf_params.as_object().filter(|p| !p.is_empty()) {
        text.push_str("\n\n");
        text.push_str(&output::render(super::param::table(params)));
    }
    text
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;
    use crate::fixtures::{host, id, page, volume};
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: CreateArgs,
    }

    fn lists() -> (Vec<VolumeView>, Vec<HostView>) {
        let volumes: Page<VolumeView> = parse(page(vec![
            volume(json!({"id": id(1), "serial": "MGT0", "nodes": [{"host_id": id(11), "host": "mds1", "path": "/dev/sdb"}]})),
            volume(json!({"id": id(2), "serial": "MDT0", "nodes": [{"host_id": id(11), "host": "mds1", "path": "/dev/sdc"}]})),
            volume(json!({"id": id(3), "serial": "OST0", "nodes": [{"host_id": id(12), "host": "oss1", "path": "/dev/sdb"},
                                                      {"host_id": id(13), "host": "oss2", "path": "/dev/sdb"}]}))
        ]))
        .unwrap();
        let hosts: Page<HostView> = parse(page(vec![
            host(json!({"id": id(11), "address": "10.0.0.1", "nodename": "mds1", "state": "managed"})),
            host(json!({"id": id(12), "address": "10.0.0.2", "nodename": "oss1", "state": "managed"})),
            host(json!({"id": id(13), "address": "10.0.0.3", "nodename": "oss2", "state": "managed"})),
        ]))
        .unwrap();
        (volumes.objects, hosts.objects)
    }

    #[test]
    fn create_builds_the_request_from_names() {
        let args = Wrapper::try_parse_from([
            "x",
            "--name",
            "fs1",
            "--mgt",
            "MGT0",
            "--mdt",
            "MDT0",
            "--ost",
            "OST0:oss1:oss2",
            "--param",
            "sys.timeout=40",
        ])
        .unwrap()
        .args;
        let (volumes, hosts) = lists();
        assert_eq!(
            create_body(&args, None, &volumes, &hosts).unwrap(),
            json!({
                "name": "fs1",
                "mgt": {"volume_id": id(1)},
                "mdts": [{"volume_id": id(2)}],
                "osts": [{"volume_id": id(3), "primary_host_id": id(12), "failover_host_ids": [id(13)]}],
                "conf_params": {"sys.timeout": "40"}
            })
        );
    }

    #[test]
    fn create_registers_with_an_existing_mgs() {
        let args = Wrapper::try_parse_from(["x", "--name", "fs2", "--mgs", "MGS", "--mdt", "MDT0"])
            .unwrap()
            .args;
        let (volumes, hosts) = lists();
        let body = create_body(&args, Some("t1"), &volumes, &hosts).unwrap();
        assert_eq!(body["mgt"], json!({"mgs_id": "t1"}));
        assert_eq!(body["osts"], json!([]));
        assert!(body.get("conf_params").is_none());
    }

    #[test]
    fn create_on_zfs_names_the_back_end_of_every_new_target() {
        let args = Wrapper::try_parse_from([
            "x",
            "--name",
            "fs1",
            "--mgt",
            "MGT0",
            "--mdt",
            "MDT0",
            "--ost",
            "OST0",
            "--backfstype",
            "zfs",
        ])
        .unwrap()
        .args;
        let (volumes, hosts) = lists();
        let body = create_body(&args, None, &volumes, &hosts).unwrap();
        assert_eq!(body["mgt"]["backfstype"], "zfs");
        assert_eq!(body["osts"][0]["backfstype"], "zfs");
        let bad = Wrapper::try_parse_from(["x", "--name", "f", "--mgt", "A", "--mdt", "C", "--backfstype", "xfs"]);
        assert_eq!(bad.unwrap_err().exit_code(), 2);
    }

    #[test]
    fn create_needs_exactly_one_mgs_and_an_mdt() {
        let both = Wrapper::try_parse_from(["x", "--name", "f", "--mgt", "A", "--mgs", "B", "--mdt", "C"]);
        assert_eq!(both.unwrap_err().exit_code(), 2);
        let neither = Wrapper::try_parse_from(["x", "--name", "f", "--mdt", "C"]);
        assert_eq!(neither.unwrap_err().exit_code(), 2);
        let no_mdt = Wrapper::try_parse_from(["x", "--name", "f", "--mgt", "A"]);
        assert_eq!(no_mdt.unwrap_err().exit_code(), 2);
        let bad_spec = Wrapper::try_parse_from(["x", "--name", "f", "--mgt", "A", "--mdt", ":h"]);
        assert_eq!(bad_spec.unwrap_err().exit_code(), 2);
    }
}
