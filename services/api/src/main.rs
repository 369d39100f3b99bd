//! `chroma-api`: serves the REST API; `chroma-api migrate` applies, shows
//! or undoes schema migrations; `chroma-api create-user` creates a user,
//! reading the password from the first line of standard input.

use anyhow::Context;
use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use std::io::BufRead;

/// Chroma's REST API and web console. Every setting is a flag or its
/// environment variable (README, "Configuration"), given before or after
/// the subcommand.
#[derive(Debug, Parser)]
#[command(name = "chroma-api", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    settings: setup::SettingsArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (what runs with no subcommand).
    Serve,
    /// Apply pending schema migrations and exit (several processes may
    /// run this at once: they take turns).
    Migrate {
        /// List every migration and whether it is applied; change nothing.
        #[arg(long, conflicts_with = "down")]
        status: bool,
        /// Undo the last N applied migrations (their data is lost); with
        /// --yes only, else the ones it would undo are listed.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        down: Option<u32>,
        /// Confirm --down.
        #[arg(long, requires = "down")]
        yes: bool,
    },
    /// Create a user; the password is read from standard input.
    CreateUser {
        /// Make the user a superuser.
        #[arg(long, conflicts_with = "role")]
        superuser: bool,
        /// The user's role: readonly (the default), fsadmin or superuser.
        #[arg(long)]
        role: Option<String>,
        /// The user's name.
        name: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // --help and --version answer here, before anything starts. The
    // settings are global, so `chroma-api migrate --database-url URL` works.
    let command = setup::args::blank_variables_unset(Cli::command().mut_args(|arg| arg.global(true)));
    let cli = Cli::from_arg_matches(&command.get_matches()).unwrap_or_else(|e| e.exit());
    setup::process::make_undumpable();
    let settings = setup::Settings::try_from(cli.settings)?;
    setup::telemetry::init_with(&settings.log_filter, settings.log_json);
    match cli.command {
        Some(Command::Migrate { status, down, yes }) => migrate(&settings, status, down, yes).await,
        Some(Command::CreateUser { superuser, role, name }) => {
            let role = match (superuser, role) {
                (true, _) => api::auth::Role::Superuser,
                (false, Some(role)) => role.parse().map_err(anyhow::Error::msg)?,
                (false, None) => api::auth::Role::Readonly,
            };
            create_user(&settings, &name, role).await
        }
        None | Some(Command::Serve) => {
            let shutdown = setup::shutdown::on_signal();
            api::Application::build(settings)
                .await?
                .run_until_stopped(shutdown)
                .await
        }
    }
}

async fn migrate(settings: &setup::Settings, status: bool, down: Option<u32>, yes: bool) -> anyhow::Result<()> {
    if status {
        for m in api::schema::status(settings).await? {
            println!("{}  {}", if m.applied { "applied" } else { "pending" }, m.name);
        }
        return Ok(());
    }
    let Some(steps) = down else {
        return api::migrate(settings).await;
    };
    if !yes {
        let applied: Vec<_> = api::schema::status(settings)
            .await?
            .into_iter()
            .filter(|m| m.applied)
            .collect();
        for m in applied.iter().rev().take(steps as usize) {
            println!("would undo  {}", m.name);
        }
        anyhow::bail!("undoing migrations drops what they hold; run again with --yes to undo these");
    }
    for name in api::schema::downgrade(settings, steps).await? {
        println!("undone  {name}");
    }
    Ok(())
}

async fn create_user(settings: &setup::Settings, name: &str, role: api::auth::Role) -> anyhow::Result<()> {
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("failed to read the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']);
    api::migrate(settings).await?;
    let db = store::connect(settings)
        .await
        .context("failed to connect to the database")?;
    let user = api::create_user(&db, name, password, role).await?;
    println!("created {} user {}", user.role, user.username);
    Ok(())
}
