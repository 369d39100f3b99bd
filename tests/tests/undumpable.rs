//! Every Chroma service makes itself undumpable at start-up, so another
//! process of the same user — a plugin, where Chroma does not run as root —
//! cannot read its `/proc/PID/environ`, where `DATABASE_URL` and `AMQP_URL`
//! carry passwords (docs/plugins.md, "What a plugin can reach").
//!
//! The tests run as root, and root may read any process's environment, so
//! each service binary runs here as `nobody` and the reader as `nobody` too.

use std::io::Read as _;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context as _;
use integration_tests::processes::binary_dir;
use nix::unistd::User;

const SERVICES: [&str; 5] = [
    "chroma-api",
    "chroma-scheduler",
    "chroma-worker",
    "chroma-monitor",
    "chroma-plugins",
];

/// The password the services are given; no reader may see it.
const SECRET: &str = "undumpable-secret-7f3a";

/// A child process, killed and reaped when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `program` as `user` with only `env`.
fn spawn_as(user: &User, program: &Path, args: &[&str], env: &[(&str, String)], log: &Path) -> anyhow::Result<Running> {
    let child = Command::new(program)
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .uid(user.uid.as_raw())
        .gid(user.gid.as_raw())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log)?)
        .spawn()
        .with_context(|| format!("failed to start {}", program.display()))?;
    Ok(Running(child))
}

/// What `user` reads of `/proc/PID/environ`: the environment, or the
/// reader's error.
fn read_environ_as(user: &User, pid: u32) -> anyhow::Result<Result<String, String>> {
    let out = Command::new("cat")
        .arg(format!("/proc/{pid}/environ"))
        .env_clear()
        .uid(user.uid.as_raw())
        .gid(user.gid.as_raw())
        .output()?;
    Ok(if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

#[tokio::test]
async fn no_process_of_the_same_user_reads_a_services_environment() -> anyhow::Result<()> {
    let nobody = User::from_name("nobody")?.context("there is no user nobody")?;
    let bins = binary_dir()?;
    let logs = bins.join("..").join("test-logs");
    std::fs::create_dir_all(&logs)?;

    // The reader can read an ordinary process of its user: what the
    // services refuse is theirs to refuse.
    let env = [("CHROMA_SECRET", SECRET.to_owned())];
    let plain = spawn_as(
        &nobody,
        Path::new("/bin/sleep"),
        &["30"],
        &env,
        &logs.join("undumpable-sleep.log"),
    )?;
    let seen = read_environ_as(&nobody, plain.0.id())?;
    assert!(
        seen.as_ref().is_ok_and(|e| e.contains(SECRET)),
        "the reader cannot read an ordinary process of its own user: {seen:?}"
    );

    for binary in SERVICES {
        let path = bins.join(binary);
        anyhow::ensure!(
            path.exists(),
            "{} is missing: run `cargo build --workspace --bins` before the tests",
            path.display()
        );
        // A database and broker that accept connections and never answer:
        // the service waits there, well past its first line.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let env = [
            ("DATABASE_URL", format!("postgres://chroma:{SECRET}@{addr}/chroma")),
            ("AMQP_URL", format!("amqp://chroma:{SECRET}@{addr}/%2f")),
            ("CHROMA_BIND", "127.0.0.1:0".to_owned()),
            ("RUST_LOG", "info".to_owned()),
        ];
        let log = logs.join(format!("undumpable-{binary}-{}.log", uuid::Uuid::new_v4().simple()));
        let mut service = spawn_as(&nobody, &path, &[], &env, &log)?;
        let _connection = tokio::time::timeout(Duration::from_secs(20), listener.accept())
            .await
            .with_context(|| format!("{binary} never connected; see {}", log.display()))??;

        let seen = read_environ_as(&nobody, service.0.id())?;
        anyhow::ensure!(
            service.0.try_wait()?.is_none(),
            "{binary} exited while the test read it; see {}",
            log.display()
        );
        match seen {
            Ok(environment) => {
                let leaked = environment.contains(SECRET);
                anyhow::bail!("a process of {binary}'s user read its environment (password included: {leaked})")
            }
            Err(error) => assert!(
                error.contains("Permission denied"),
                "reading {binary}'s environment failed, but not for want of permission: {error}"
            ),
        }
        let mut text = String::new();
        std::fs::File::open(&log)?.read_to_string(&mut text)?;
        assert!(
            !text.contains("cannot make this process undumpable"),
            "{binary}: {text}"
        );
    }
    Ok(())
}
