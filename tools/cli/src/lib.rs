//! `chroma`, the command-line client of the Chroma API: log in, add
//! servers, create and run Lustre file systems, follow the work they start.
//!
//! Exit codes: 0 success; 1 the operation failed (the server refused, or a
//! command failed or was cancelled); 2 bad usage; 3 the server cannot be
//! reached or will not accept us (connection refused, 401, another API
//! version).
//!
//! Answers are read into the API's own types (`api_types`), the ones the
//! server builds them from; `--json` prints what the server sent, untouched.

pub mod client;
pub mod commands;
pub mod config;
pub mod error;
#[cfg(test)]
mod fixtures;
pub mod output;
pub mod progress;
pub mod resolve;
pub mod spec;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use commands::{
    alert::AlertCommand, command::CommandCommand, event::EventCommand, filesystem::FilesystemCommand, ha::HaCommand,
    host::HostCommand, job::JobCommand, login::LoginArgs, param::ParamCommand, target::TargetCommand,
    token::TokenCommand, volume::VolumeCommand, Ctx,
};
use error::Result;

/// Manage Lustre file systems through a Chroma server.
#[derive(Debug, Parser)]
#[command(name = "chroma", version, propagate_version = true)]
pub struct Cli {
    /// The Chroma server [default: the config file's, else http://127.0.0.1:8080].
    #[arg(long, global = true, env = "CHROMA_URL", help_heading = "Global options")]
    pub url: Option<String>,
    /// The API token [default: the config file's, from `chroma login`].
    #[arg(
        long,
        global = true,
        env = "CHROMA_TOKEN",
        hide_env_values = true,
        help_heading = "Global options"
    )]
    pub token: Option<String>,
    /// PEM file of certificate authorities to trust besides the public
    /// ones, for a server whose certificate is self-signed or from a
    /// private CA.
    #[arg(long, global = true, env = "CHROMA_CACERT", help_heading = "Global options")]
    pub cacert: Option<std::path::PathBuf>,
    /// Print the server's JSON response instead of tables.
    #[arg(long, global = true, help_heading = "Global options")]
    pub json: bool,
    /// Do not wait for the work a command starts.
    #[arg(long, global = true, help_heading = "Global options")]
    pub no_wait: bool,
    /// Go ahead when a change touches objects it does not name.
    #[arg(long, short = 'y', global = true, help_heading = "Global options")]
    pub yes: bool,
    /// Show the jobs a change would run, and change nothing.
    #[arg(long, global = true, help_heading = "Global options")]
    pub dry_run: bool,
    #[command(subcommand)]
    pub command: Noun,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Noun {
    /// Log in and save the session token in the config file.
    Login(LoginArgs),
    /// End the session and forget its token.
    Logout,
    /// Show who the token belongs to.
    Whoami,
    /// API tokens for scripts.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Servers.
    #[command(subcommand)]
    Host(HostCommand),
    /// High availability: Pacemaker clusters of servers that share storage.
    #[command(subcommand)]
    Ha(HaCommand),
    /// Block devices on the servers.
    #[command(subcommand)]
    Volume(VolumeCommand),
    /// Lustre file systems.
    #[command(subcommand, alias = "fs")]
    Filesystem(FilesystemCommand),
    /// MGTs, MDTs and OSTs.
    #[command(subcommand)]
    Target(TargetCommand),
    /// File system parameters (conf_params).
    #[command(subcommand)]
    Param(ParamCommand),
    /// OST pools.
    #[command(subcommand)]
    Pool(commands::pool::PoolCommand),
    /// FLR mirrors of a file: create, extend, resync, show.
    #[command(subcommand)]
    Mirror(commands::mirror::MirrorCommand),
    /// Data jobs: migrate files off OSTs, stripe a directory over a pool.
    #[command(subcommand)]
    Data(commands::data::DataCommand),
    /// Lustre quotas: limits, usage, enforcement.
    #[command(subcommand)]
    Quota(commands::quota::QuotaCommand),
    /// Lustre HSM: the coordinator, copytools, archive/release/restore.
    #[command(subcommand)]
    Hsm(commands::hsm::HsmCommand),
    /// Lustre client mounts on managed hosts.
    #[command(subcommand)]
    Client(commands::client::ClientCommand),
    /// Commands: the jobs one request started.
    #[command(subcommand)]
    Command(CommandCommand),
    /// Jobs.
    #[command(subcommand)]
    Job(JobCommand),
    /// Alerts.
    #[command(subcommand)]
    Alert(AlertCommand),
    /// The audit trail.
    #[command(subcommand)]
    Event(EventCommand),
}

/// Runs `chroma` with `args` (the first being the program name), printing
/// errors on stderr, and answers the exit code.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and --version go to stdout with 0; usage errors to
            // stderr with 2.
            e.print().ok();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: failed to start: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(execute(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit()
        }
    }
}

/// Runs a parsed command line.
pub async fn execute(cli: Cli) -> Result<()> {
    let config_path = config::path()?;
    let saved = config::load(&config_path)?;
    let (url, token) = config::effective(cli.url.as_deref(), cli.token.as_deref(), &saved);
    // Logging in replaces whatever token there was.
    let token = if matches!(cli.command, Noun::Login(_)) {
        None
    } else {
        token
    };
    let client = client::Client::new(&url, token)?;
    let client = match &cli.cacert {
        Some(path) => client.trusting(path)?,
        None => client,
    };
    let ctx = Ctx {
        client,
        json: cli.json,
        wait: !cli.no_wait,
        yes: cli.yes,
        dry_run: cli.dry_run,
        config_path,
    };
    dispatch(&ctx, &cli.command).await
}

async fn dispatch(ctx: &Ctx, noun: &Noun) -> Result<()> {
    match noun {
        Noun::Login(args) => commands::login::login(ctx, args).await,
        Noun::Logout => commands::login::logout(ctx).await,
        Noun::Whoami => commands::login::whoami(ctx).await,
        Noun::Token(c) => commands::token::run(ctx, c).await,
        Noun::Host(c) => commands::host::run(ctx, c).await,
        Noun::Ha(c) => commands::ha::run(ctx, c).await,
        Noun::Volume(c) => commands::volume::run(ctx, c).await,
        Noun::Filesystem(c) => commands::filesystem::run(ctx, c).await,
        Noun::Target(c) => commands::target::run(ctx, c).await,
        Noun::Param(c) => commands::param::run(ctx, c).await,
        Noun::Pool(c) => commands::pool::run(ctx, c).await,
        Noun::Mirror(c) => commands::mirror::run(ctx, c).await,
        Noun::Data(c) => commands::data::run(ctx, c).await,
        Noun::Quota(c) => commands::quota::run(ctx, c).await,
        Noun::Client(c) => commands::client::run(ctx, c).await,
        Noun::Hsm(c) => commands::hsm::run(ctx, c).await,
        Noun::Command(c) => commands::command::run(ctx, c).await,
        Noun::Job(c) => commands::job::run(ctx, c).await,
        Noun::Alert(c) => commands::alert::run(ctx, c).await,
        Noun::Event(c) => commands::event::run(ctx, c).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_go_anywhere() {
        let Ok(cli) = Cli::try_parse_from(["chroma", "filesystem", "stop", "fs1", "--yes", "--dry-run", "--json"])
        else {
            panic!("did not parse")
        };
        assert!(cli.yes && cli.dry_run && cli.json && !cli.no_wait);
    }

    #[test]
    fn bad_usage_exits_2() {
        let Err(e) = Cli::try_parse_from(["chroma", "filesystem", "frobnicate"]) else {
            panic!("parsed")
        };
        assert_eq!(e.exit_code(), 2);
    }
}
