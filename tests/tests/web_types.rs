//! The console's API types, `web/src/api/schema.ts`, are generated from
//! the OpenAPI document (`GET /api/openapi.json`) by openapi-typescript,
//! pinned in `web/package.json`. This test generates them again from the
//! document this build serves and fails when the committed file differs,
//! so a change to the API's shape cannot leave the console's types behind.
//! `scripts/web-types.sh` regenerates the file (it runs this test with
//! `UPDATE_WEB_TYPES=1`, which writes instead of comparing).
//!
//! The generator runs on Node.js from `web/node_modules`, which
//! `scripts/web.sh` installs (`scripts/test.sh` runs it first).

use anyhow::Context;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// The command that brings the committed file up to date.
const REGENERATE: &str = "scripts/web-types.sh";

/// How openapi-typescript is run. `--empty-objects-unknown`: an object the
/// document leaves without properties (`#[schema(value_type = Object)]`)
/// may hold anything, so `Record<string, unknown>`, not the default
/// `Record<string, never>`.
const GENERATOR_FLAGS: [&str; 1] = ["--empty-objects-unknown"];

#[test]
fn the_console_types_are_generated_from_the_openapi_document() -> anyhow::Result<()> {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web");
    let committed = web.join("src/api/schema.ts");
    let generated = generate(&web, api::routes::openapi::document())?;
    if std::env::var_os("UPDATE_WEB_TYPES").is_some() {
        std::fs::write(&committed, &generated).with_context(|| format!("failed to write {}", committed.display()))?;
        return Ok(());
    }
    let current = std::fs::read_to_string(&committed)
        .with_context(|| format!("failed to read {}: run {REGENERATE}", committed.display()))?;
    if let Some((line, want, have)) = first_difference(&generated, &current) {
        anyhow::bail!(
            "web/src/api/schema.ts is stale: it no longer matches GET /api/openapi.json; \
             run {REGENERATE} and commit the result\n  line {line}, generated: {want}\n  line {line}, committed: {have}"
        );
    }
    Ok(())
}

/// openapi-typescript's output for `document`, read from its standard
/// input, exactly as `scripts/web-types.sh` writes it.
fn generate(web: &Path, document: &str) -> anyhow::Result<String> {
    let cli = web.join("node_modules/openapi-typescript/bin/cli.js");
    anyhow::ensure!(
        cli.is_file(),
        "openapi-typescript is not installed in web/node_modules: run scripts/web.sh (scripts/test.sh does)"
    );
    let mut child = Command::new("node")
        .arg(&cli)
        .args(GENERATOR_FLAGS)
        .current_dir(web)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("failed to run node (Node.js, which scripts/web.sh installs)")?;
    let mut stdin = child.stdin.take().context("the generator's standard input")?;
    stdin
        .write_all(document.as_bytes())
        .context("failed to send the document to openapi-typescript")?;
    drop(stdin);
    let output = child
        .wait_with_output()
        .context("failed to wait for openapi-typescript")?;
    anyhow::ensure!(
        output.status.success(),
        "openapi-typescript failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).context("openapi-typescript wrote something other than UTF-8")
}

/// The first line (1-based) where `want` and `have` differ, with both
/// versions of it; `None` when they are equal.
fn first_difference<'a>(want: &'a str, have: &'a str) -> Option<(usize, &'a str, &'a str)> {
    if want == have {
        return None;
    }
    let mut want_lines = want.lines();
    let mut have_lines = have.lines();
    for line in 1.. {
        match (want_lines.next(), have_lines.next()) {
            (Some(w), Some(h)) if w == h => continue,
            (None, None) => return Some((line, "(end of file)", "(end of file, line endings differ)")),
            (w, h) => return Some((line, w.unwrap_or("(end of file)"), h.unwrap_or("(end of file)"))),
        }
    }
    None
}
