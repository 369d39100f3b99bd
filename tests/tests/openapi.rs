//! `GET /api/openapi.json` describes the server as it really is: every route
//! with its method and security, and a schema-driven fuzz of every
//! operation (schemathesis) finds no server error and no response that
//! breaks the document.
//!
//! schemathesis comes from PyPI: `scripts/test.sh` installs a pinned version
//! in `target/venv` and points `SCHEMATHESIS` at it; otherwise the one on
//! `PATH` is used. Without it this test fails, it never skips.

use integration_tests::TestEnv;
use reqwest::{Method, StatusCode};
use std::time::Duration;

/// Operations left out of the fuzz, because they would break the test's
/// own session rather than show anything about the server:
/// - `DELETE /api/session` revokes the token the fuzz runs with;
/// - `PATCH /api/user/{id}` could disable the superuser, demote them or
///   change their password (which ends their sessions);
/// - `GET /api/stream` never ends (Server-Sent Events), so every call would
///   run into the request timeout;
/// - `POST /api/host/scan` connects to whatever address it is given, and a
///   random name waits on DNS until the resolver gives up.
const NOT_FUZZED: [&str; 4] = ["delete_session", "patch_user_id", "get_stream", "post_host_scan"];

/// Test cases per operation: enough to reach past validation on every
/// route, few enough that the whole fuzz takes a couple of minutes.
const EXAMPLES: &str = "100";

/// The whole fuzz must finish within this.
const FUZZ_TIMEOUT: Duration = Duration::from_secs(240);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_lists_every_route_with_its_security() -> anyhow::Result<()> {
    let env = TestEnv::start("openapi_doc").await?;
    // Public: no token needed.
    let (status, doc) = env.call(Method::GET, "/api/openapi.json", None, None).await?;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["version"], api::routes::version::API_VERSION);
    for (method, path, access) in api::routes::endpoints() {
        let operation = &doc["paths"][format!("/api{path}")][method.as_str().to_ascii_lowercase()];
        assert!(operation.is_object(), "{method} /api{path} is not in the document");
        let secured = operation["security"].as_array().is_some_and(|s| !s.is_empty());
        assert_eq!(
            secured,
            access != api::auth::Access::Public,
            "{method} /api{path}: security {}",
            operation["security"]
        );
        assert!(
            operation["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} /api{path} has no responses"
        );
    }
    // The same document under /api/v1.
    let (status, v1) = env.call(Method::GET, "/api/v1/openapi.json", None, None).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v1, doc);
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_driven_fuzz_finds_no_server_error_and_no_schema_break() -> anyhow::Result<()> {
    let env = TestEnv::start("openapi_fuzz").await?;
    let mut program = std::env::var("SCHEMATHESIS").unwrap_or_else(|_| "schemathesis".into());
    // It runs in a scratch directory: a relative path must not depend on that.
    if program.contains('/') {
        if let Ok(path) = std::fs::canonicalize(&program) {
            program = path.to_string_lossy().into_owned();
        }
    }
    let mut command = tokio::process::Command::new(&program);
    command
        .arg("run")
        .arg(format!("{}/api/openapi.json", env.base))
        .args(["--header", &format!("Authorization: Bearer {}", env.token)])
        .args(["--checks", "not_a_server_error,response_schema_conformance"])
        .args(["--max-examples", EXAMPLES])
        .args(["--request-timeout", "30"])
        // One worker: hypothesis on CPython 3.11 can fail parsing in two
        // threads at once ("AST constructor recursion depth mismatch").
        .args(["--workers", "1"])
        // Nothing kept between runs: no database of examples, and what it
        // caches goes to a scratch directory rather than the source tree.
        .args(["--generation-database", "none"]);
    for operation in NOT_FUZZED {
        command.args(["--exclude-operation-id", operation]);
    }
    let scratch = std::env::temp_dir().join(format!("chroma-schemathesis-{}", env.name));
    std::fs::create_dir_all(&scratch)?;
    command.current_dir(&scratch).env("NO_COLOR", "1").kill_on_drop(true);
    let started = std::time::Instant::now();
    let output = match tokio::time::timeout(FUZZ_TIMEOUT, command.output()).await {
        Err(_) => panic!("{program} did not finish within {FUZZ_TIMEOUT:?}"),
        Ok(Err(e)) => panic!(
            "cannot run {program:?} ({e}): install schemathesis (scripts/test.sh puts it in target/venv) \
             and set SCHEMATHESIS to its path, or put it on PATH"
        ),
        Ok(Ok(output)) => output,
    };
    let elapsed = started.elapsed();
    let report = format!(
        "{program} exited with {} after {elapsed:.0?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(output.status.success(), "{report}");
    if std::env::var("TEST_LOG").is_ok() {
        eprintln!("{report}");
    }
    // The session the fuzz ran with is still good: nothing it did logged
    // the superuser out.
    let (status, _) = env.get("/api/session").await?;
    assert_eq!(status, StatusCode::OK);
    env.stop().await
}
