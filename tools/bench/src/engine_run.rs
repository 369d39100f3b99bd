//! The end-to-end benchmark: start a private stack, submit the commands,
//! wait until all finished, stop the stack, report, and clean up.

use anyhow::Context;
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use secrecy::ExposeSecret;
use setup::Settings;
use std::time::{Duration, Instant};

use crate::report::report;
use crate::stack::{self, Names, Stack};
use crate::stats;
use crate::submit::{self, Submission};
use crate::Args;

/// Runs the benchmark; the database and queues are removed afterwards
/// unless `--keep`, whatever the outcome.
pub async fn run(args: &Args) -> anyhow::Result<()> {
    let base = Settings::from_env()?;
    let names = Names::fresh(&base)?;
    let mut settings = names.apply(&base);
    settings.worker_concurrency = args.concurrency;
    let mode = match args.paced {
        Some(rate) => format!("paced at {rate} commands/s"),
        None => format!("all at once ({} in parallel)", args.parallel),
    };
    println!(
        "chroma-bench: {} commands × {} no-op steps, {} workers × concurrency {}, submitted {mode}",
        args.commands, args.steps, args.workers, args.concurrency
    );
    println!(
        "  database {}, queue prefix {}, db pool {} per process",
        names.database, names.prefix, settings.db_pool_size
    );
    let outcome = measure(args, &settings).await;
    let cleanup = if args.keep {
        println!("kept database {} and queues {}.*", names.database, names.prefix);
        Ok(())
    } else {
        clean_up(&settings, &names).await
    };
    outcome?;
    cleanup
}

async fn clean_up(settings: &Settings, names: &Names) -> anyhow::Result<()> {
    let queues = stack::remove_queues(settings).await;
    let database = stack::drop_database(names).await;
    if let Err(err) = &queues {
        eprintln!("error: cannot delete the bench queues {}.*: {err:#}", names.prefix);
    }
    if let Err(err) = &database {
        eprintln!("error: cannot drop the bench database {}: {err:#}", names.database);
    }
    queues.and(database)
}

async fn measure(args: &Args, settings: &Settings) -> anyhow::Result<()> {
    let stack = Stack::start(settings, args.workers, None).await?;
    let db = connect(settings).await?;
    let driven = drive(args, &db, stack.port, &stack.token).await;
    let stopping = Instant::now();
    stack.stop().await;
    let stopped_in = stopping.elapsed();
    let outcome = match driven {
        Ok(submission) => report(args, &db, &submission, stopped_in).await,
        Err(err) => Err(err),
    };
    db.close().await?;
    outcome
}

async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(settings.database_url.expose_secret().to_owned());
    options.max_connections(2).sqlx_logging(false);
    Database::connect(options)
        .await
        .context("cannot connect to the bench database")
}

/// Submits every command and waits until each one finished.
async fn drive(args: &Args, db: &DatabaseConnection, port: u16, token: &str) -> anyhow::Result<Submission> {
    let body = submit::command_body(args.steps)?;
    let total = i64::try_from(args.commands)?;
    let submission = submit::submit_all(port, token, body, args.commands, args.parallel, args.paced).await?;
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    loop {
        let finished = stats::finished_commands(db).await?;
        if finished >= total {
            break;
        }
        if Instant::now() >= deadline {
            let states = [
                stats::state_counts(db, stats::Table::Command).await?,
                stats::state_counts(db, stats::Table::Job).await?,
                stats::state_counts(db, stats::Table::Step).await?,
            ];
            anyhow::bail!(
                "only {finished} of {total} commands finished within {}s; {}",
                args.timeout,
                states.join("; ")
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(submission)
}
