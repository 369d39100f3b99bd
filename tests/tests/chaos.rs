//! The chaos suite at CI size: `chroma-chaos` runs a short stream of
//! diagnostic and Lustre commands on its own private stack (PostgreSQL,
//! RabbitMQ, lustre-sim, API, scheduler, workers) while it injects every
//! kind of fault several times, then checks its invariants. The test fails
//! when the program exits non-zero (an invariant broke, or the stack could
//! not start). Full size by hand: see docs/chaos.md.

use integration_tests::processes::binary_dir;
use std::process::Stdio;
use std::time::Duration;

/// Longer than a CI-size run takes on a busy two-core machine.
const RUN_TIMEOUT: Duration = Duration::from_secs(1_200);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_keeps_its_invariants_under_faults() -> anyhow::Result<()> {
    let dir = binary_dir()?;
    let program = dir.join("chroma-chaos");
    anyhow::ensure!(
        program.exists(),
        "{} is missing: run `cargo build --workspace --bins` before the tests",
        program.display()
    );
    let mut child = tokio::process::Command::new(&program)
        .args([
            "--commands",
            "120",
            "--fault-interval",
            "2.5",
            "--rounds",
            "2",
            "--in-flight",
            "6",
            "--workers",
            "2",
            "--settle-timeout",
            "240",
            "--seed",
            "7",
        ])
        .arg("--bin-dir")
        .arg(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let output = tokio::time::timeout(RUN_TIMEOUT, async {
        let (out, err) = tokio::join!(read_all(stdout), read_all(stderr));
        let status = child.wait().await?;
        anyhow::Ok((status, out, err))
    })
    .await;
    let (status, out, err) = match output {
        Ok(result) => result?,
        Err(_) => anyhow::bail!("chroma-chaos did not finish within {RUN_TIMEOUT:?}"),
    };
    if std::env::var_os("TEST_LOG").is_some() || !status.success() {
        println!("{out}");
        eprintln!("{err}");
    }
    anyhow::ensure!(status.success(), "chroma-chaos failed ({status}):\n{out}\n{err}");
    anyhow::ensure!(out.contains("chaos: every invariant held"), "{out}");
    Ok(())
}

async fn read_all<R: tokio::io::AsyncRead + Unpin>(pipe: Option<R>) -> String {
    use tokio::io::AsyncReadExt as _;
    let mut text = String::new();
    if let Some(mut pipe) = pipe {
        let _ = pipe.read_to_string(&mut text).await;
    }
    text
}
