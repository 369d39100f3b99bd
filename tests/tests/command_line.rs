//! Every service binary as an operator first meets it: `--help` lists
//! every setting with its variable and default, `--version` names the
//! release, and a bad setting stops the start naming its variable, all
//! without touching the database.

use std::time::Duration;

use integration_tests::processes::binary_dir;
use tokio::process::Command;

const SERVICES: [&str; 5] = [
    "chroma-api",
    "chroma-scheduler",
    "chroma-worker",
    "chroma-monitor",
    "chroma-plugins",
];

/// What a run of a binary showed.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `binary ARGS` with only `env` (a database nothing listens on
/// unless `env` names another), within ten seconds: a binary that started
/// for real would still be waiting for that database.
async fn run(binary: &str, args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<Run> {
    let out = Command::new(binary_dir()?.join(binary))
        .args(args)
        .env_clear()
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env("AMQP_URL", "amqp://nobody:secret@127.0.0.1:1/%2f")
        .envs(env.iter().copied())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(10), out).await??;
    Ok(Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// The lines of `help` about `flag`: from the flag to the next one.
fn entry<'a>(help: &'a str, flag: &str) -> &'a str {
    let Some(start) = help.find(&format!("{flag} ")) else {
        return "";
    };
    let rest = &help[start..];
    let end = rest[flag.len()..].find("\n  -").map_or(rest.len(), |i| i + flag.len());
    &rest[..end]
}

#[tokio::test]
async fn worker_help_lists_its_settings_with_their_defaults() -> anyhow::Result<()> {
    let run = run("chroma-worker", &["--help"], &[]).await?;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let concurrency = entry(&run.stdout, "--worker-concurrency");
    assert!(
        concurrency.contains("[env: CHROMA_WORKER_CONCURRENCY=]") && concurrency.contains("[default: 4]"),
        "{}",
        run.stdout
    );
    for variable in [
        "DATABASE_URL",
        "CHROMA_WORKER_ID",
        "CHROMA_OPS_BIND",
        "CHROMA_SMTP_PASSWORD",
        "RUST_LOG",
    ] {
        assert!(
            run.stdout.contains(&format!("[env: {variable}")),
            "{variable}: {}",
            run.stdout
        );
    }
    // A secret that is set never prints.
    assert!(!run.stdout.contains("nobody:secret"), "{}", run.stdout);
    Ok(())
}

#[tokio::test]
async fn every_service_answers_version() -> anyhow::Result<()> {
    for binary in SERVICES {
        let run = run(binary, &["--version"], &[]).await?;
        assert_eq!(run.code, Some(0), "{binary}: {}", run.stderr);
        assert_eq!(run.stdout.trim(), format!("{binary} {}", env!("CARGO_PKG_VERSION")));
    }
    Ok(())
}

#[tokio::test]
async fn a_malformed_variable_stops_the_start_naming_it() -> anyhow::Result<()> {
    let run = run("chroma-scheduler", &[], &[("CHROMA_WORKER_CONCURRENCY", "zero")]).await?;
    assert_ne!(run.code, Some(0));
    assert!(
        run.stderr
            .contains("environment variable CHROMA_WORKER_CONCURRENCY is invalid: \"zero\""),
        "{}",
        run.stderr
    );
    Ok(())
}

#[tokio::test]
async fn a_blank_variable_counts_as_unset() -> anyhow::Result<()> {
    // The blank one takes its default; the start then stops at the next,
    // which is bad.
    let env = [("CHROMA_WORKER_CONCURRENCY", "  "), ("CHROMA_DELIVERY_LIMIT", "0")];
    let run = run("chroma-worker", &[], &env).await?;
    assert_ne!(run.code, Some(0));
    assert!(
        run.stderr.contains("CHROMA_DELIVERY_LIMIT") && !run.stderr.contains("CHROMA_WORKER_CONCURRENCY"),
        "{}",
        run.stderr
    );
    Ok(())
}

#[tokio::test]
async fn a_flag_wins_over_its_variable_before_or_after_a_subcommand() -> anyhow::Result<()> {
    let env = [("CHROMA_SESSION_HOURS", "soon")];
    for args in [
        &["--session-hours", "0", "migrate"][..],
        &["migrate", "--session-hours", "0"][..],
    ] {
        let run = run("chroma-api", args, &env).await?;
        assert_ne!(run.code, Some(0));
        assert!(
            run.stderr
                .contains("environment variable CHROMA_SESSION_HOURS is invalid: must be between 1 and 8784"),
            "{args:?}: {}",
            run.stderr
        );
    }
    Ok(())
}

#[tokio::test]
async fn an_unknown_flag_is_refused_before_anything_starts() -> anyhow::Result<()> {
    let run = run("chroma-monitor", &["--worker-concurency", "2"], &[]).await?;
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("--worker-concurrency"), "{}", run.stderr);
    Ok(())
}
