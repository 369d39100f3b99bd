//! The `chroma` binary against a canned server speaking the API's envelope:
//! exit codes, the config file, waiting for commands, confirmations and
//! routes the server lacks. (The end-to-end test against the real stack
//! lives in the workspace's `tests` crate.)

#![expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]

use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};

const TOKEN: &str = "tok-123";
const FS_ID: &str = "0191d5c2-7a3e-7c3b-9f6e-1c2d3e4f5a6b";
const COMMAND_ID: &str = "0191d5c2-7a3e-7c3b-9f6e-00000000000c";
const JOB_ID: &str = "0191d5c2-7a3e-7c3b-9f6e-00000000001a";
const MGS_ID: &str = "0191d5c2-7a3e-7c3b-9f6e-00000000002b";
const USER_ID: &str = "0191d5c2-7a3e-7c3b-9f6e-00000000003c";
const TOKEN_ID: &str = "0191d5c2-7a3e-7c3b-9f6e-00000000004d";

struct Fake {
    api_version: String,
    /// Polls of the command so far; it succeeds on the third.
    polls: AtomicUsize,
    /// Whether the command fails rather than succeeds.
    fails: bool,
}

fn ok(status: u16, response: Value) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
        .json(json!({"success": true, "errors": [], "response": response}))
}

fn err(status: u16, code: &str, message: &str, field: Option<&str>) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).json(
        json!({"success": false, "errors": [{"code": code, "message": message, "field": field}], "response": null}),
    )
}

fn authorised(req: &HttpRequest) -> bool {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {TOKEN}"))
}

async fn route(req: HttpRequest, body: web::Bytes, fake: web::Data<Fake>) -> HttpResponse {
    let method = req.method().as_str().to_owned();
    let path = req.path().to_owned();
    let query = req.query_string().to_owned();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match (method.as_str(), path.as_str()) {
        ("GET", "/api/version") => return ok(200, json!({"api_version": fake.api_version, "server_version": "0.1.0"})),
        ("POST", "/api/session") => {
            return if body["password"] == "secret" {
                ok(
                    200,
                    json!({"token": TOKEN, "expires_at": "2026-11-27T10:00:00Z",
                           "user": {"id": USER_ID, "username": body["username"], "role": "superuser",
                                    "disabled": false, "created_at": "2026-11-26T09:00:00Z"}}),
                )
            } else {
                err(401, "unauthenticated", "wrong user name or password", None)
            };
        }
        _ => {}
    }
    if !authorised(&req) {
        return err(401, "unauthenticated", "log in first", None);
    }
    let filesystem = json!({"id": FS_ID, "name": "fs1", "state": "available", "managed": true, "mgs_id": MGS_ID,
                            "client_mount_source": null, "conf_params": {"sys.timeout": "40"},
                            "available_transitions": ["stopped"], "locks": [], "targets": [],
                            "quota_ost": "none", "quota_mdt": "none", "quota_grace": [],
                            "created_at": "2026-11-26T09:00:00Z"});
    match (method.as_str(), path.as_str()) {
        ("GET", "/api/session") => ok(
            200,
            json!({"user": {"id": USER_ID, "username": "admin", "role": "superuser", "disabled": false,
                            "created_at": "2026-11-26T09:00:00Z"},
                   "token_id": TOKEN_ID}),
        ),
        ("DELETE", "/api/session") => ok(200, json!({"logged_out": true})),
        ("GET", "/api/filesystem") => ok(
            200,
            json!({"objects": [filesystem], "meta": {"total_count": 1, "limit": 1, "offset": 0}}),
        ),
        ("GET", p) if p == format!("/api/filesystem/{FS_ID}") => ok(200, filesystem),
        ("PATCH", p) if p == format!("/api/filesystem/{FS_ID}") => {
            let jobs = json!([{"description": "Unmount fs1-OST0000", "object": "target/t1", "from": "mounted",
                               "to": "unmounted", "wait_for": [], "confirmation": "unmounts a target"}]);
            if query.contains("dry_run=true") {
                return ok(
                    200,
                    json!({"command": null, "dry_run": true, "requires_confirmation": true, "jobs": jobs}),
                );
            }
            if body["confirm"] != true {
                return err(
                    409,
                    "confirmation_required",
                    "this also unmounts fs1-OST0000",
                    Some("confirm"),
                );
            }
            ok(
                202,
                json!({"command": COMMAND_ID, "dry_run": false, "requires_confirmation": true, "jobs": jobs}),
            )
        }
        // Detection plans nothing: the answer names the command alone.
        ("POST", "/api/filesystem/detect") => ok(202, json!({"command": COMMAND_ID})),
        ("GET", p) if p == format!("/api/command/{COMMAND_ID}") => {
            let polls = fake.polls.fetch_add(1, Ordering::SeqCst) + 1;
            let (state, job_state, error) = match (polls, fake.fails) {
                (..=2, _) => ("running", "running", None),
                (_, false) => ("succeeded", "succeeded", None),
                (_, true) => ("failed", "failed", Some("umount: target is busy")),
            };
            ok(
                200,
                json!({"id": COMMAND_ID, "message": "Stop fs1", "state": state, "created_at": "2026-11-26T10:00:00Z",
                       "finished_at": null,
                       "jobs": [{"id": JOB_ID, "command": COMMAND_ID, "key": "target/t1", "description": "Unmount fs1-OST0000",
                                 "state": job_state, "error": error, "created_at": "2026-11-26T10:00:00Z",
                                 "started_at": null, "finished_at": null}]}),
            )
        }
        _ => err(404, "not_found", &format!("no such route: {method} {path}"), None),
    }
}

/// Serves the fake API on a free port in the background; answers its URL.
fn serve(api_version: &str, fails: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let fake = web::Data::new(Fake {
        api_version: api_version.to_owned(),
        polls: AtomicUsize::new(0),
        fails,
    });
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            HttpServer::new(move || App::new().app_data(fake.clone()).default_service(web::to(route)))
                .workers(1)
                .listen(listener)
                .unwrap()
                .run()
                .await
                .unwrap();
        });
    });
    url
}

struct Run {
    dir: Arc<tempfile::TempDir>,
    url: String,
}

impl Run {
    fn new(url: String) -> Self {
        Self {
            dir: Arc::new(tempfile::tempdir().unwrap()),
            url,
        }
    }

    fn config(&self) -> std::path::PathBuf {
        self.dir.path().join("chroma").join("cli.json")
    }

    fn chroma(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chroma"))
            .args(args)
            .env("CHROMA_URL", &self.url)
            .env("CHROMA_CONFIG", self.config())
            .env_remove("CHROMA_TOKEN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    fn login(&self) {
        let out = self.chroma(&["login", "--username", "admin", "--password-stdin"], "secret\n");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn login_saves_a_private_token_and_logout_forgets_it() {
    let run = Run::new(serve("1", false));
    let wrong = run.chroma(&["login", "--username", "admin", "--password-stdin"], "nope\n");
    assert_eq!(wrong.status.code(), Some(3));
    assert!(text(&wrong.stderr).contains("wrong user name or password"));

    run.login();
    let saved: Value = serde_json::from_slice(&std::fs::read(run.config()).unwrap()).unwrap();
    assert_eq!(saved["token"], TOKEN);
    assert_eq!(saved["url"], run.url.as_str());
    let mode = std::fs::metadata(run.config()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    let who = run.chroma(&["whoami"], "");
    assert_eq!(text(&who.stdout).trim(), format!("admin (superuser) on {}", run.url));

    let out = run.chroma(&["logout"], "");
    assert_eq!(out.status.code(), Some(0));
    let saved: Value = serde_json::from_slice(&std::fs::read(run.config()).unwrap()).unwrap();
    assert!(saved.get("token").is_none());
    let after = run.chroma(&["filesystem", "list"], "");
    assert_eq!(after.status.code(), Some(3));
    assert!(text(&after.stderr).contains("chroma login"));
}

#[test]
fn lists_print_tables_or_the_raw_response() {
    let run = Run::new(serve("1", false));
    run.login();
    let table = run.chroma(&["filesystem", "list"], "");
    assert_eq!(table.status.code(), Some(0), "{}", text(&table.stderr));
    assert!(text(&table.stdout).starts_with("ID"));
    assert!(text(&table.stdout).contains("fs1"));

    let raw = run.chroma(&["--json", "filesystem", "list"], "");
    let value: Value = serde_json::from_slice(&raw.stdout).unwrap();
    assert_eq!(value["objects"][0]["name"], "fs1");

    let param = run.chroma(&["param", "get", "fs1", "sys.timeout"], "");
    assert_eq!(text(&param.stdout).trim(), "40");
    let missing = run.chroma(&["param", "get", "fs1", "llite.max_cached_mb"], "");
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn a_change_needing_confirmation_asks_for_yes_then_waits() {
    let run = Run::new(serve("1", false));
    run.login();
    let refused = run.chroma(&["filesystem", "stop", "fs1"], "");
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("this also unmounts fs1-OST0000") && stderr.contains("--yes"),
        "{stderr}"
    );

    let plan = run.chroma(&["filesystem", "stop", "fs1", "--dry-run"], "");
    assert_eq!(plan.status.code(), Some(0));
    assert!(text(&plan.stdout).contains("Unmount fs1-OST0000"));

    let done = run.chroma(&["filesystem", "stop", "fs1", "--yes"], "");
    assert_eq!(done.status.code(), Some(0), "{}", text(&done.stderr));
    assert!(text(&done.stdout).contains("File system fs1 stopped."));
    assert!(text(&done.stderr).contains("Unmount fs1-OST0000: succeeded"));
}

#[test]
fn detection_waits_for_the_command_it_started() {
    let run = Run::new(serve("1", false));
    run.login();
    let out = run.chroma(&["filesystem", "detect"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Detection finished"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_failed_command_prints_its_job_errors_and_exits_1() {
    let run = Run::new(serve("1", true));
    run.login();
    let out = run.chroma(&["filesystem", "stop", "fs1", "--yes"], "");
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("Unmount fs1-OST0000 failed: umount: target is busy"),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("command {COMMAND_ID} failed")), "{stderr}");
}

#[test]
fn no_wait_returns_at_once() {
    let run = Run::new(serve("1", false));
    run.login();
    let out = run.chroma(&["filesystem", "stop", "fs1", "--yes", "--no-wait"], "");
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains(COMMAND_ID));
}

#[test]
fn routes_the_server_lacks_are_not_supported() {
    let run = Run::new(serve("1", false));
    run.login();
    let events = run.chroma(&["event", "list"], "");
    assert_eq!(events.status.code(), Some(1));
    assert!(text(&events.stderr).contains("not supported by this server yet"));
    let set = run.chroma(&["param", "set", "fs1", "sys.timeout=50"], "");
    assert_eq!(set.status.code(), Some(1));
    assert!(text(&set.stderr).contains("not supported by this server yet"));
}

#[test]
fn unknown_names_fail_with_1_and_bad_usage_with_2() {
    let run = Run::new(serve("1", false));
    run.login();
    let unknown = run.chroma(&["filesystem", "show", "fs9"], "");
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("no file system \"fs9\" (file systems: fs1)"));
    let usage = run.chroma(&["filesystem", "create", "--name", "fs2", "--mdt", "X"], "");
    assert_eq!(usage.status.code(), Some(2));
    let bad_id = run.chroma(&["command", "show", "not-an-id"], "");
    assert_eq!(bad_id.status.code(), Some(2));
}

#[test]
fn another_api_version_or_no_server_exits_3() {
    let run = Run::new(serve("2", false));
    let out = run.chroma(&["filesystem", "list"], "");
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("server speaks API version 2; this chroma CLI speaks 1 — upgrade the CLI"));

    // A port nobody listens on.
    let free = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let run = Run::new(format!("http://{free}"));
    let out = run.chroma(&["filesystem", "list"], "");
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("cannot reach the Chroma server"));
}
