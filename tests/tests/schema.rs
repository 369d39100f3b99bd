//! `chroma-api migrate` as an operator runs it: several at once on an
//! empty database take turns (the schema's advisory lock), `--status`
//! lists every migration, `--down N` undoes only with `--yes`, and
//! `--help`/`--version` answer without touching anything.

use integration_tests::processes::binary_dir;
use integration_tests::{settings_env, test_settings};
use sea_orm::{ConnectionTrait, Database};
use secrecy::ExposeSecret;
use tokio::process::Command;

const NAME: &str = "schema_cli";

/// Runs `chroma-api ARGS` with the test's settings: (exit code, stdout, stderr).
async fn api(env: &[(String, String)], args: &[&str]) -> anyhow::Result<(i32, String, String)> {
    let out = Command::new(binary_dir()?.join("chroma-api"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("RUST_LOG", "warn")
        .output()
        .await?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

fn lines_with<'a>(text: &'a str, word: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.starts_with(word)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_run_once_under_a_lock_and_are_listed_and_undone() -> anyhow::Result<()> {
    let settings = test_settings(NAME, None)?;
    let url = settings.database_url.expose_secret().to_owned();
    let server = url.rsplit_once('/').map(|(s, _)| s.to_owned()).unwrap_or_default();
    let admin = Database::connect(format!("{server}/postgres")).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS chroma_test_{NAME} WITH (FORCE)"))
        .await?;
    let env = settings_env(&settings);

    // Four processes migrate the same empty database at once.
    let runs = futures::future::join_all((0..4).map(|_| api(&env, &["migrate"]))).await;
    for run in runs {
        let (code, _, err) = run?;
        assert_eq!(code, 0, "a concurrent migrate failed: {err}");
    }
    let (code, out, err) = api(&env, &["migrate", "--status"]).await?;
    assert_eq!(code, 0, "{err}");
    let applied = lines_with(&out, "applied");
    assert!(applied.len() > 30, "{out}");
    assert!(lines_with(&out, "pending").is_empty(), "{out}");
    let newest = applied
        .last()
        .map(|l| l.trim_start_matches("applied").trim().to_owned())
        .unwrap_or_default();

    // Without --yes, --down lists what it would undo and changes nothing.
    let (code, out, err) = api(&env, &["migrate", "--down", "1"]).await?;
    assert_ne!(code, 0, "--down without --yes must refuse");
    assert!(out.contains(&format!("would undo  {newest}")), "{out}");
    assert!(err.contains("--yes"), "{err}");
    let (_, status, _) = api(&env, &["migrate", "--status"]).await?;
    assert!(lines_with(&status, "pending").is_empty(), "{status}");

    let (code, out, err) = api(&env, &["migrate", "--down", "1", "--yes"]).await?;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), format!("undone  {newest}"));
    let (_, status, _) = api(&env, &["migrate", "--status"]).await?;
    assert_eq!(
        lines_with(&status, "pending"),
        vec![format!("pending  {newest}").as_str()]
    );

    // A bad N is refused by the parser, naming the option.
    let (code, _, err) = api(&env, &["migrate", "--down", "0", "--yes"]).await?;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--down"), "{err}");

    let (code, _, err) = api(&env, &["migrate"]).await?;
    assert_eq!(code, 0, "{err}");
    let (_, status, _) = api(&env, &["migrate", "--status"]).await?;
    assert!(lines_with(&status, "pending").is_empty(), "{status}");

    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS chroma_test_{NAME} WITH (FORCE)"))
        .await?;
    Ok(())
}

#[tokio::test]
async fn help_and_version_answer_without_starting() -> anyhow::Result<()> {
    // A database that does not exist: nothing may connect to it.
    let env = vec![(
        "DATABASE_URL".to_owned(),
        "postgres://nobody@127.0.0.1:1/none".to_owned(),
    )];
    let (code, out, err) = api(&env, &["--help"]).await?;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("migrate") && out.contains("create-user"), "{out}");
    let (code, out, _) = api(&env, &["migrate", "--help"]).await?;
    assert_eq!(code, 0);
    assert!(out.contains("--status") && out.contains("--down"), "{out}");
    let (code, out, _) = api(&env, &["--version"]).await?;
    assert_eq!(code, 0);
    assert_eq!(out.trim(), format!("chroma-api {}", env!("CARGO_PKG_VERSION")));
    Ok(())
}
