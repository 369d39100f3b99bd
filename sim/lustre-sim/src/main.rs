//! `lustre-sim`: serves simulated Lustre servers over SSH, shows their state
//! and injects faults into a running simulator.

use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use lustre_sim::layout::SiteSpec;
use lustre_sim::{Cluster, FaultCommand, Layout, SimConfig};

/// Simulated Lustre servers behind a real SSH server.
#[derive(Debug, Parser)]
#[command(name = "lustre-sim", version)]
struct Cli {
    /// Directory holding the cluster state, host keys and faults (every
    /// command but `gen-cluster` needs it).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Host names for the default layout (four devices each; hosts after the
    /// first pair up and share devices).
    #[arg(long, value_delimiter = ',')]
    hosts: Vec<String>,
    /// Layout of --hosts: `default` (four devices per host, one path each)
    /// or `multipath` (two SCSI paths per shared LUN under a dm-multipath
    /// map, and an OS disk per host).
    #[arg(long, default_value = "default")]
    layout: String,
    /// JSON layout file, instead of --hosts.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Hosts without Pacemaker or corosync installed (comma list).
    #[arg(long, value_delimiter = ',')]
    no_pacemaker: Vec<String>,
    /// Hosts without Lustre installed: its utilities and modules (comma list).
    #[arg(long, value_delimiter = ',')]
    no_lustre: Vec<String>,
    /// Host i listens on base-port + i (0: any free port).
    #[arg(long, default_value_t = 2200)]
    base_port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// OpenSSH authorized_keys file for logins.
    #[arg(long)]
    authorized_keys: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the cluster (the default).
    Serve,
    /// Print the cluster state as JSON.
    Show,
    /// Print the side-effect counters as JSON: per device its formats,
    /// mounts and moves (failovers and failbacks), and the `lctl
    /// conf_param` records written.
    Counters,
    /// Inject a fault: HOST down | up | reboot | slow MS | unkillable | killable |
    /// fail-next COMMAND | failover TARGET |
    /// fail-start RESOURCE |
    /// log PRIORITY IDENTIFIER MESSAGE… | fill TARGET PERCENT|off.
    Fault {
        /// Host name.
        host: String,
        /// The fault.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        fault: Vec<String>,
    },
    /// Print the layout of a large site as a `--config` file: MDS and OSS
    /// hosts in failover pairs sharing their devices, with realistic
    /// command latencies (see `lustre_sim::layout::site`).
    GenCluster {
        /// OSS failover pairs.
        #[arg(long, default_value_t = 50)]
        oss_pairs: usize,
        /// Devices each OSS sees (its pair's shared devices).
        #[arg(long, default_value_t = 40)]
        devices_per_oss: usize,
        /// MDS hosts (paired in order).
        #[arg(long, default_value_t = 4)]
        mds: usize,
        /// Devices each MDS sees (its pair's shared devices).
        #[arg(long, default_value_t = 4)]
        devices_per_mds: usize,
        /// Leave the latencies out: every command answers at once.
        #[arg(long)]
        no_latencies: bool,
    },
    /// Run one command of HOST against the saved state and exit with its
    /// status: `exec HOST -- COMMAND ARGS…` (see `lustre_sim::oneshot`).
    Exec {
        /// Host name.
        host: String,
        /// The command and its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<String>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    setup::telemetry::init();
    let cli = Cli::parse();
    if let Some(Command::GenCluster {
        oss_pairs,
        devices_per_oss,
        mds,
        devices_per_mds,
        no_latencies,
    }) = cli.command
    {
        let spec = SiteSpec {
            mds,
            devices_per_mds,
            oss_pairs,
            devices_per_oss,
            latencies: !no_latencies,
        };
        let layout = Layout::site(&spec);
        println!(
            "{}",
            serde_json::to_string_pretty(&layout).context("failed to print the layout")?
        );
        return Ok(());
    }
    let state_dir = cli.state_dir.clone().context("--state-dir is required")?;
    match cli.command {
        Some(Command::GenCluster { .. }) => Ok(()),
        Some(Command::Show) => {
            let state = lustre_sim::show(&state_dir)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&state).context("failed to print state")?
            );
            Ok(())
        }
        Some(Command::Counters) => {
            let counters = lustre_sim::state::counters(&state_dir)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&counters).context("failed to print counters")?
            );
            Ok(())
        }
        Some(Command::Fault { ref host, ref fault }) => {
            lustre_sim::inject_fault(&state_dir, host, FaultCommand::parse(fault)?)?;
            Ok(())
        }
        Some(Command::Exec { ref host, ref command }) => {
            let layout = match (&cli.config, cli.hosts.is_empty()) {
                (None, false) => Some(Layout::named(&cli.layout, &cli.hosts)?),
                _ => lustre_sim::oneshot::layout_from(cli.config.as_deref(), &cli.hosts)?,
            };
            let out = lustre_sim::oneshot::exec(&state_dir, layout.as_ref(), host, command)?;
            std::process::exit(lustre_sim::oneshot::print(&out))
        }
        Some(Command::Serve) | None => serve(cli, state_dir).await,
    }
}

async fn serve(cli: Cli, state_dir: PathBuf) -> anyhow::Result<()> {
    let layout = match (&cli.config, cli.hosts.is_empty()) {
        (Some(path), _) => Some(Layout::from_file(path)?),
        (None, false) => Some(Layout::named(&cli.layout, &cli.hosts)?),
        (None, true) => None,
    };
    let layout = layout.map(|l| l.without_pacemaker(&cli.no_pacemaker)).transpose()?;
    let layout = layout.map(|l| l.without_lustre(&cli.no_lustre)).transpose()?;
    let authorized_keys = cli.authorized_keys.context("--authorized-keys is required to serve")?;
    let config = SimConfig {
        state_dir,
        layout,
        base_port: cli.base_port,
        bind: cli.bind,
        authorized_keys,
    };
    let cluster = Cluster::start(config).await?;
    for host in &cluster.hosts {
        println!("{} {} {}", host.name, host.addr, host.fingerprint);
    }
    stopped().await?;
    tracing::info!("stopping");
    cluster.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn stopped() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("failed to install the SIGTERM handler")?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.context("failed to wait for Ctrl-C"),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await.context("failed to wait for Ctrl-C")
}
