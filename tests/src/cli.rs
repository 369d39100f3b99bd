//! Running the `chroma` CLI binary against a test's API, as an operator
//! would (`cargo build --bins` builds it beside the test executables).

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::TestEnv;

/// The `chroma` binary, next to the test executable's `deps/` directory.
pub fn chroma_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("chroma"))
        .ok_or_else(|| anyhow::anyhow!("cannot find the build directory from {}", exe.display()))?;
    anyhow::ensure!(
        path.exists(),
        "{} is missing: run `cargo build --bins` first",
        path.display()
    );
    Ok(path)
}

/// Runs `chroma ARGS` against `env`'s API with its configuration (login
/// token) in `config` and `stdin` as its input; (exit code, -1 when killed
/// by a signal; stdout; stderr). Gives up after three minutes.
pub async fn run_chroma(
    env: &TestEnv,
    config: &Path,
    args: &[&str],
    stdin: &str,
) -> anyhow::Result<(i32, String, String)> {
    let mut child = tokio::process::Command::new(chroma_binary()?)
        .args(args)
        .env("CHROMA_URL", &env.base)
        .env("CHROMA_CONFIG", config)
        .env_remove("CHROMA_TOKEN")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).await?;
    }
    let out = tokio::time::timeout(Duration::from_secs(180), child.wait_with_output()).await??;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}
