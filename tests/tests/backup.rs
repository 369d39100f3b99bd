//! Backup and restore as an operator runs them: `scripts/backup.sh` takes
//! the database, Chroma's SSH key pair and its configuration into one
//! archive; after the database, the key and the configuration are lost,
//! `scripts/restore.sh` brings them back and Chroma answers as before —
//! the same users, the same servers, and the servers still let it in with
//! the restored key. A restore over a database that holds data, or while
//! services are connected to it, is refused and changes nothing.

use integration_tests::processes::binary_dir;
use integration_tests::{login, TestEnv};
use migrations::MigratorTrait;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::process::Command;

const LONG: Duration = Duration::from_secs(60);
/// In the env file's DATABASE_URL: PostgreSQL here trusts local
/// connections, so any password logs in, and none may be printed.
const DB_PASSWORD: &str = "not-to-be-printed-7f3a";
const OPERATOR_PASSWORD: &str = "an operator's long password";

/// Runs `scripts/NAME ARGS` with the built chroma-api: (exit code, stdout,
/// stderr).
async fn script(name: &str, args: &[&str]) -> anyhow::Result<(i32, String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts").join(name);
    let out = Command::new(path)
        .args(args)
        .env("CHROMA_API", binary_dir()?.join("chroma-api"))
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("CHROMA_SSH_KEY")
        .output()
        .await?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// The files of an installation under the test's directory: an env file
/// as /etc/chroma/chroma.env holds it, and a plugins.d beside it.
struct Installation {
    env_file: PathBuf,
    plugins: PathBuf,
    backups: PathBuf,
}

fn installation(env: &TestEnv) -> anyhow::Result<Installation> {
    let dir = env
        .settings
        .ssh_key_path
        .parent()
        .unwrap_or(Path::new("/tmp"))
        .to_path_buf();
    let etc = dir.join("etc");
    let plugins = etc.join("plugins.d");
    std::fs::create_dir_all(&plugins)?;
    let url = secrecy::ExposeSecret::expose_secret(&env.settings.database_url).replacen(
        "postgres@",
        &format!("postgres:{DB_PASSWORD}@"),
        1,
    );
    let env_file = etc.join("chroma.env");
    std::fs::write(
        &env_file,
        format!(
            "# the test's settings\nDATABASE_URL={url}\nCHROMA_SSH_KEY={}\nCHROMA_QUEUE_PREFIX={}\n",
            env.settings.ssh_key_path.display(),
            env.settings.queue_prefix
        ),
    )?;
    std::fs::set_permissions(&env_file, std::fs::Permissions::from_mode(0o600))?;
    std::fs::write(plugins.join("linux.json"), "{\"name\": \"linux\"}\n")?;
    let backups = dir.join("backups");
    std::fs::create_dir_all(&backups)?;
    Ok(Installation {
        env_file,
        plugins,
        backups,
    })
}

/// Drops the test's database as a lost server would lose it.
async fn drop_database(env: &TestEnv) -> anyhow::Result<()> {
    let server = std::env::var("TEST_DATABASE_SERVER").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let admin = sea_orm::Database::connect(format!("{server}/postgres")).await?;
    sea_orm::ConnectionTrait::execute_unprepared(
        &admin,
        &format!("DROP DATABASE chroma_test_{} WITH (FORCE)", env.name),
    )
    .await?;
    admin.close().await?;
    Ok(())
}

/// The hosts as the API lists them: (id, nodename, fingerprint, state).
async fn hosts(env: &TestEnv) -> anyhow::Result<Vec<(Value, Value, Value, Value)>> {
    let (status, envelope) = env.get("/api/host").await?;
    anyhow::ensure!(status == StatusCode::OK, "GET /api/host answered {status}: {envelope}");
    let mut hosts: Vec<_> = envelope["response"]["objects"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|h| {
            (
                h["id"].clone(),
                h["nodename"].clone(),
                h["fingerprint"].clone(),
                h["state"].clone(),
            )
        })
        .collect();
    hosts.sort_by_key(|h| h.1.to_string());
    Ok(hosts)
}

async fn public_key(env: &TestEnv) -> anyhow::Result<Value> {
    let (status, envelope) = env.get("/api/ssh_key").await?;
    anyhow::ensure!(
        status == StatusCode::OK,
        "GET /api/ssh_key answered {status}: {envelope}"
    );
    Ok(envelope["response"].clone())
}

async fn add_operator(env: &TestEnv, name: &str) -> anyhow::Result<()> {
    let body = json!({"username": name, "password": OPERATOR_PASSWORD, "role": "fsadmin"});
    let (status, envelope) = env.post("/api/user", &body).await?;
    anyhow::ensure!(
        status == StatusCode::CREATED,
        "creating {name} answered {status}: {envelope}"
    );
    Ok(())
}

fn mode(path: &Path) -> anyhow::Result<u32> {
    Ok(std::fs::metadata(path)?.permissions().mode() & 0o777)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_backup_shows_the_same_users_and_servers_and_still_reaches_them() -> anyhow::Result<()> {
    let mut env = TestEnv::start("backup").await?;
    env.scheduler().await?;
    env.worker(2).await?;
    let (cluster, _) = env.simulated_cluster(&["mds1", "oss1"]).await?;
    let ids = env.add_hosts(&cluster).await?;
    add_operator(&env, "operator").await?;
    let hosts_before = hosts(&env).await?;
    assert_eq!(hosts_before.len(), 2);
    let key_before = public_key(&env).await?;
    let private_before = std::fs::read(&env.settings.ssh_key_path)?;
    let install = installation(&env)?;
    let env_file_before = std::fs::read(&install.env_file)?;

    // Stop, back up.
    env.stop_services().await?;
    let env_file = install.env_file.to_string_lossy().into_owned();
    let output = install.backups.to_string_lossy().into_owned();
    let (code, out, err) = script("backup.sh", &["--env-file", &env_file, "--output", &output]).await?;
    assert_eq!(code, 0, "backup failed: {err}");
    assert!(
        !out.contains(DB_PASSWORD) && !err.contains(DB_PASSWORD),
        "the password was printed: {err}"
    );
    let archive = PathBuf::from(out.trim());
    assert_eq!(mode(&archive)?, 0o600, "the archive must be readable by its owner only");
    let listing = std::process::Command::new("tar").arg("-tf").arg(&archive).output()?;
    let listing = String::from_utf8_lossy(&listing.stdout);
    for entry in ["MANIFEST", "database.dump", "ssh/id_ed25519", "ssh/id_ed25519.pub"] {
        assert!(listing.lines().any(|l| l == entry), "{entry} missing from {listing}");
    }
    let manifest = std::process::Command::new("tar")
        .arg("-xOf")
        .arg(&archive)
        .arg("MANIFEST")
        .output()?;
    let manifest = String::from_utf8_lossy(&manifest.stdout);
    let newest = migrations::Migrator::migrations()
        .last()
        .map(|m| m.name().to_owned())
        .unwrap_or_default();
    assert!(manifest.contains(&format!("\nschema={newest}\n")), "{manifest}");
    assert!(
        manifest.contains(&format!("\nchroma_version={}\n", env!("CARGO_PKG_VERSION"))),
        "{manifest}"
    );
    assert!(!manifest.contains(DB_PASSWORD), "{manifest}");

    // The disaster: the database, the key pair and plugins.d are gone; the
    // env file was edited since.
    drop_database(&env).await?;
    std::fs::remove_file(&env.settings.ssh_key_path)?;
    let _ = std::fs::remove_file(env.settings.ssh_key_path.with_extension("pub"));
    std::fs::remove_dir_all(&install.plugins)?;
    std::fs::write(
        &install.env_file,
        [&env_file_before[..], b"# edited after the backup\n"].concat(),
    )?;

    let archive_arg = archive.to_string_lossy().into_owned();
    let (code, out, err) = script("restore.sh", &["--env-file", &env_file, &archive_arg]).await?;
    assert_eq!(code, 0, "restore failed: {err}");
    assert!(
        !out.contains(DB_PASSWORD) && !err.contains(DB_PASSWORD),
        "the password was printed: {err}"
    );
    assert_eq!(std::fs::read(&env.settings.ssh_key_path)?, private_before);
    assert_eq!(mode(&env.settings.ssh_key_path)?, 0o600);
    assert_eq!(std::fs::read(&install.env_file)?, env_file_before);
    assert!(install.plugins.join("linux.json").is_file(), "plugins.d not restored");

    // Chroma answers as before.
    env.start_api().await?;
    env.scheduler().await?;
    env.worker(2).await?;
    login(&env.base, "operator", OPERATOR_PASSWORD).await?;
    assert_eq!(hosts(&env).await?, hosts_before);
    assert_eq!(public_key(&env).await?, key_before);
    // The servers trust only the key of the backup: probing them again
    // works only with it.
    for id in &ids {
        let (status, envelope) = env.post(&format!("/api/host/{id}/probe"), &json!({})).await?;
        assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
        let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
        let done = env.finished(&command, LONG).await?;
        assert_eq!(
            done["state"], "succeeded",
            "probing over SSH with the restored key: {done}"
        );
    }
    drop(cluster);
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_over_data_or_live_services_is_refused_and_changes_nothing() -> anyhow::Result<()> {
    let mut env = TestEnv::start("restore_refused").await?;
    chroma_ssh::KeyPair::load_or_create(&env.settings.ssh_key_path)?;
    let install = installation(&env)?;
    let env_file = install.env_file.to_string_lossy().into_owned();
    let output = install.backups.to_string_lossy().into_owned();
    // A backup taken while the services run: the dump is one snapshot.
    let (code, out, err) = script("backup.sh", &["--env-file", &env_file, "--output", &output]).await?;
    assert_eq!(code, 0, "backup failed: {err}");
    let archive = out.trim().to_owned();

    // Since the backup: a new user, a new key, an edited env file.
    add_operator(&env, "later").await?;
    std::fs::remove_file(&env.settings.ssh_key_path)?;
    let _ = std::fs::remove_file(env.settings.ssh_key_path.with_extension("pub"));
    chroma_ssh::KeyPair::load_or_create(&env.settings.ssh_key_path)?;
    let key_now = std::fs::read(&env.settings.ssh_key_path)?;
    let env_file_now = [std::fs::read(&install.env_file)?, b"# edited\n".to_vec()].concat();
    std::fs::write(&install.env_file, &env_file_now)?;

    // The API holds connections: refused even with --replace.
    let (code, _, err) = script("restore.sh", &["--env-file", &env_file, "--replace", &archive]).await?;
    assert_ne!(code, 0, "a restore under running services must refuse");
    assert!(
        err.contains("connected") && err.contains("Nothing was changed"),
        "{err}"
    );

    // Stopped, the database still holds data: refused without --replace.
    env.stop_services().await?;
    let (code, _, err) = script("restore.sh", &["--env-file", &env_file, &archive]).await?;
    assert_ne!(code, 0, "a restore over data must refuse without --replace");
    assert!(
        err.contains("not empty") && err.contains("--replace") && err.contains("Nothing was changed"),
        "{err}"
    );
    assert_eq!(std::fs::read(&env.settings.ssh_key_path)?, key_now);
    assert_eq!(std::fs::read(&install.env_file)?, env_file_now);
    env.start_api().await?;
    login(&env.base, "later", OPERATOR_PASSWORD).await?;

    // With --replace, the backup wins; what it replaced is kept aside.
    // (--force: the stopped APIs' change listeners stay connected in this
    // process, where a stopped service's would be gone.)
    env.stop_services().await?;
    let (code, _, err) = script(
        "restore.sh",
        &["--env-file", &env_file, "--replace", "--force", &archive],
    )
    .await?;
    assert_eq!(code, 0, "restore --replace failed: {err}");
    assert_ne!(std::fs::read(&env.settings.ssh_key_path)?, key_now);
    let kept = std::fs::read_dir(env.settings.ssh_key_path.parent().unwrap_or(Path::new("/")))?
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("id_ed25519.before-restore-")
        })
        .map(|e| std::fs::read(e.path()))
        .collect::<Result<Vec<_>, _>>()?;
    assert_eq!(kept, vec![key_now], "the replaced key must be kept aside");
    env.start_api().await?;
    let err = login(&env.base, "later", OPERATOR_PASSWORD).await.err();
    assert!(err.is_some(), "a user made after the backup survived --replace");
    env.stop().await
}
