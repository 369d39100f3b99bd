//! `chroma-api`: serves the REST API. `chroma-api migrate` only applies
//! pending migrations; `chroma-api create-user [--superuser | --role ROLE]
//! NAME` creates a user, reading the password from the first line of
//! standard input.

use anyhow::Context;
use std::io::BufRead;

const USAGE: &str = "usage: chroma-api [serve] | migrate | create-user [--superuser | --role ROLE] NAME  \
                     (the password is read from standard input)";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    setup::process::make_undumpable();
    setup::telemetry::init();
    let settings = setup::Settings::from_env()?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("migrate") => api::migrate(&settings).await,
        Some("create-user") => create_user(&settings, &args[1..]).await,
        None | Some("serve") => {
            let shutdown = setup::shutdown::on_signal();
            api::Application::build(settings)
                .await?
                .run_until_stopped(shutdown)
                .await
        }
        Some(other) => anyhow::bail!("unknown subcommand {other:?}; {USAGE}"),
    }
}

async fn create_user(settings: &setup::Settings, args: &[String]) -> anyhow::Result<()> {
    let mut role = api::auth::Role::Readonly;
    let mut name = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--superuser" => role = api::auth::Role::Superuser,
            "--role" => {
                let value = rest.next().context(USAGE)?;
                role = value.parse().map_err(anyhow::Error::msg)?;
            }
            other if other.starts_with('-') => anyhow::bail!("unknown option {other:?}; {USAGE}"),
            other => name = Some(other.to_owned()),
        }
    }
    let name = name.context(USAGE)?;
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
    let user = api::create_user(&db, &name, password, role).await?;
    println!("created {} user {}", user.role, user.username);
    Ok(())
}
