//! One running plugin: its process, and JSON-RPC calls to it over stdio.
//!
//! A call writes one request line and reads the plugin's answer line, within
//! the method's time limit. A plugin that does not answer in time, writes a
//! line that is not JSON or answers with the wrong shape is killed: the
//! caller restarts it. A JSON-RPC error answer leaves it running.
//!
//! A plugin reaches nothing of Chroma's secrets ([`crate::sandbox`]): a
//! cleared environment, an undumpable parent, and where Chroma runs as
//! root, a user of its own with its own copy of the SSH key, handed over
//! at `initialize`.

use std::io;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::task::JoinHandle;

use crate::protocol::{
    Manifest, RpcError, CONFIGURE, DETECT, INITIALIZE, JSONRPC_VERSION, MAX_LINE_BYTES, MONITOR, SHUTDOWN,
};
use crate::sandbox::{self, KeyCopy, PluginUser};

/// Time limits per method (docs/plugins.md).
pub const INITIALIZE_LIMIT: Duration = Duration::from_secs(10);
pub const DETECT_LIMIT: Duration = Duration::from_secs(60);
pub const MONITOR_LIMIT: Duration = Duration::from_secs(30);
pub const CONFIGURE_LIMIT: Duration = Duration::from_secs(300);
pub const SHUTDOWN_LIMIT: Duration = Duration::from_secs(5);

/// The time limit of a protocol method, `None` for a method the protocol does not have.
pub fn time_limit(method: &str) -> Option<Duration> {
    match method {
        INITIALIZE => Some(INITIALIZE_LIMIT),
        DETECT => Some(DETECT_LIMIT),
        MONITOR => Some(MONITOR_LIMIT),
        CONFIGURE => Some(CONFIGURE_LIMIT),
        SHUTDOWN => Some(SHUTDOWN_LIMIT),
        _ => None,
    }
}

/// The only variables of Chroma's own environment a plugin sees (besides its
/// manifest's `env`): Chroma's holds secrets such as the database URL.
const INHERITED_ENV: [&str; 9] = [
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR",
];

/// Standard error is logged in pieces of at most this many bytes.
const STDERR_LINE_BYTES: usize = 64 * 1024;

/// How long a plugin that closed its standard output has to exit before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// Why a call to a plugin failed. Every variant but `Rpc` means the process
/// is gone (or was killed) and must be restarted.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("cannot start {program}: {source}")]
    Spawn { program: String, source: io::Error },
    #[error("{method}: the plugin exited ({})", exit_text(.status))]
    Exited { method: String, status: Option<ExitStatus> },
    #[error("{method}: no answer within {}", duration_text(*.limit))]
    Timeout { method: String, limit: Duration },
    #[error("line {line} of {method}: not JSON ({reason}): {excerpt}")]
    NotJson {
        method: String,
        line: u64,
        reason: String,
        excerpt: String,
    },
    #[error("line {line} of {method}: {reason}")]
    BadResponse { method: String, line: u64, reason: String },
    #[error("{method}: the plugin answered error {code}: {message}")]
    Rpc { method: String, code: i64, message: String },
    #[error("{method}: the plugin was stopped after an earlier error")]
    Stopped { method: String },
}

impl PluginError {
    /// Whether the plugin must be restarted: anything but an error answer.
    pub fn is_fatal(&self) -> bool {
        !matches!(self, PluginError::Rpc { .. })
    }
}

fn exit_text(status: &Option<ExitStatus>) -> String {
    status.map_or_else(|| "status unknown".to_owned(), |s| s.to_string())
}

fn duration_text(limit: Duration) -> String {
    if limit.subsec_millis() == 0 {
        format!("{} s", limit.as_secs())
    } else {
        format!("{} ms", limit.as_millis())
    }
}

/// A running plugin. Dropping it kills the process.
#[derive(Debug)]
pub struct PluginProcess {
    name: String,
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr: Option<JoinHandle<()>>,
    group: ProcessGroup,
    next_id: u64,
    /// Lines read from standard output so far.
    lines: u64,
    /// False once a call failed in a way that leaves the conversation out of step.
    usable: bool,
    /// The user it runs as, when not Chroma's own.
    user: Option<PluginUser>,
    /// Its copy of the SSH key, when it runs as another user.
    key: Option<KeyCopy>,
}

impl PluginProcess {
    /// Starts the manifest's command without a shell. Must run inside a
    /// Tokio runtime: standard error is logged by a task.
    pub fn spawn(manifest: &Manifest) -> Result<Self, PluginError> {
        let spawn_error = |source| PluginError::Spawn {
            program: manifest.command.first().cloned().unwrap_or_default(),
            source,
        };
        let (program, args) = manifest
            .command
            .split_first()
            .ok_or_else(|| spawn_error(io::Error::new(io::ErrorKind::InvalidInput, "the command is empty")))?;
        let user = sandbox::plugin_user().map_err(|e| spawn_error(io::Error::other(e)))?;
        setup::process::make_undumpable();
        let mut command = Command::new(program);
        command.args(args).env_clear();
        for key in INHERITED_ENV {
            if let Some(value) = std::env::var_os(key) {
                command.env(key, value);
            }
        }
        if let Some(user) = &user {
            // Without supplementary groups: std drops them when root sets a uid.
            command
                .uid(user.uid)
                .gid(user.gid)
                .env("HOME", &user.home)
                .env("USER", &user.name)
                .env("LOGNAME", &user.name);
        }
        command
            .envs(&manifest.env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so that killing it also kills what it started.
            .process_group(0)
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(spawn_error)?;
        let missing = || spawn_error(io::Error::other("a standard stream was not piped"));
        let stdin = child.stdin.take().ok_or_else(missing)?;
        let stdout = child.stdout.take().ok_or_else(missing)?;
        let stderr = child.stderr.take().ok_or_else(missing)?;
        let group = ProcessGroup(child.id().and_then(|pid| i32::try_from(pid).ok()));
        let name = manifest.name.clone();
        let stderr = tokio::spawn(async move { log_stderr(name, BufReader::new(stderr)).await });
        let as_user = user.as_ref().map(|u| u.name.as_str());
        tracing::info!(plugin = %manifest.name, pid = child.id(), user = as_user, "plugin started");
        Ok(Self {
            name: manifest.name.clone(),
            child,
            stdin,
            stdout: BufReader::new(stdout),
            stderr: Some(stderr),
            group,
            next_id: 1,
            lines: 0,
            usable: true,
            user,
            key: None,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The process id, `None` once it has been waited for.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Sends one request and waits up to `limit` for its answer: the
    /// `result`, or an error. On any error but `Rpc` the process is killed
    /// and later calls fail with `Stopped`. Dropping the future mid-call
    /// also leaves the process unusable.
    #[tracing::instrument(skip_all, fields(plugin = %self.name, method = %method))]
    pub async fn call(&mut self, method: &str, params: Value, limit: Duration) -> Result<Value, PluginError> {
        if !self.usable {
            return Err(PluginError::Stopped {
                method: method.to_owned(),
            });
        }
        self.usable = false;
        let params = self.hand_over_key(method, params);
        let result = match tokio::time::timeout(limit, self.exchange(method, params)).await {
            Ok(result) => result,
            Err(_) => Err(PluginError::Timeout {
                method: method.to_owned(),
                limit,
            }),
        };
        match &result {
            Ok(_) | Err(PluginError::Rpc { .. }) => self.usable = true,
            Err(error) => {
                tracing::warn!(plugin = %self.name, "{error}; stopping the plugin");
                self.kill().await;
            }
        }
        result
    }

    /// At `initialize`, a plugin running as another user is given its own
    /// copy of the SSH key: it cannot read Chroma's.
    fn hand_over_key(&mut self, method: &str, mut params: Value) -> Value {
        let Some(user) = self.user.as_ref().filter(|_| method == INITIALIZE) else {
            return params;
        };
        let Some(key) = params
            .get("ssh_key")
            .and_then(Value::as_str)
            .map(std::path::PathBuf::from)
        else {
            return params;
        };
        match KeyCopy::new(&key, user) {
            Ok(copy) => {
                params["ssh_key"] = json!(copy.path());
                self.key = Some(copy);
            }
            // A missing key stays missing; the plugin says what it needs.
            Err(e) => {
                tracing::warn!(plugin = %self.name, key = %key.display(), "cannot copy the SSH key for the plugin: {e}")
            }
        }
        params
    }

    async fn exchange(&mut self, method: &str, params: Value) -> Result<Value, PluginError> {
        let id = self.next_id;
        self.next_id += 1;
        let mut request = json!({"jsonrpc": JSONRPC_VERSION, "id": id, "method": method, "params": params}).to_string();
        request.push('\n');
        let written = async {
            self.stdin.write_all(request.as_bytes()).await?;
            self.stdin.flush().await
        };
        if written.await.is_err() {
            return Err(self.exited(method).await);
        }

        let mut line = Vec::new();
        let read = read_line_limited(&mut self.stdout, &mut line, MAX_LINE_BYTES).await;
        let bad = |number, reason: String| PluginError::BadResponse {
            method: method.to_owned(),
            line: number,
            reason,
        };
        match read {
            Ok(Line::Eof) | Err(_) => return Err(self.exited(method).await),
            Ok(Line::TooLong) => return Err(bad(self.lines + 1, "longer than 16 MiB".to_owned())),
            Ok(Line::Complete) => self.lines += 1,
        }
        let number = self.lines;
        let value: Value = serde_json::from_slice(&line).map_err(|e| PluginError::NotJson {
            method: method.to_owned(),
            line: number,
            reason: e.to_string(),
            excerpt: excerpt(&line),
        })?;
        match answer(value, id) {
            Ok(result) => Ok(result),
            Err(Answer::Error(RpcError { code, message, .. })) => Err(PluginError::Rpc {
                method: method.to_owned(),
                code,
                message,
            }),
            Err(Answer::Bad(reason)) => Err(bad(number, reason)),
        }
    }

    /// The error for a plugin that stopped talking: waits briefly for its exit status.
    async fn exited(&mut self, method: &str) -> PluginError {
        let status = match tokio::time::timeout(EXIT_GRACE, self.child.wait()).await {
            Ok(status) => status.ok(),
            Err(_) => {
                self.kill().await;
                None
            }
        };
        PluginError::Exited {
            method: method.to_owned(),
            status,
        }
    }

    /// Kills the process and reaps it; later calls fail with `Stopped`.
    pub async fn kill(&mut self) {
        self.usable = false;
        self.group.kill();
        // Fails only if it has already exited and been reaped.
        let _ = self.child.kill().await;
    }

    /// Asks the plugin to shut down, gives it up to 5 s in all to answer
    /// and exit, then kills it. The error, if any, says how it misbehaved.
    pub async fn shutdown(mut self) -> Result<(), PluginError> {
        let started = tokio::time::Instant::now();
        let answer = self.call(SHUTDOWN, json!({}), SHUTDOWN_LIMIT).await.map(drop);
        let remaining = SHUTDOWN_LIMIT.saturating_sub(started.elapsed());
        let PluginProcess {
            name,
            mut child,
            stdin,
            stderr,
            group,
            ..
        } = self;
        // A plugin that reads until end of input stops now.
        drop(stdin);
        match tokio::time::timeout(remaining, child.wait()).await {
            Ok(Ok(status)) => tracing::info!(plugin = %name, %status, "plugin stopped"),
            Ok(Err(_)) | Err(_) => {
                tracing::warn!(plugin = %name, "plugin did not exit within {}; killing it", duration_text(SHUTDOWN_LIMIT));
                let _ = child.kill().await;
            }
        }
        // Whatever it started and left behind.
        drop(group);
        if let Some(task) = stderr {
            // Its last words, unless a grandchild holds standard error open.
            let _ = tokio::time::timeout(Duration::from_secs(1), task).await;
        }
        answer
    }
}

/// The plugin's process group (its id is the plugin's pid), killed when dropped.
#[derive(Debug)]
struct ProcessGroup(Option<i32>);

impl ProcessGroup {
    fn kill(&self) {
        if let Some(pgid) = self.0 {
            // Fails only when no process of the group is left. The group id
            // cannot be reused while any member lives.
            let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pgid), nix::sys::signal::Signal::SIGKILL);
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

enum Answer {
    Error(RpcError),
    Bad(String),
}

/// The `result` of a JSON-RPC response to request `id`.
fn answer(value: Value, id: u64) -> Result<Value, Answer> {
    let bad = |reason: String| Err(Answer::Bad(reason));
    let Value::Object(mut object) = value else {
        return bad(format!("not a JSON-RPC response: {}", short(&value.to_string())));
    };
    if object.get("jsonrpc").and_then(Value::as_str) != Some(JSONRPC_VERSION) {
        return bad(format!(
            "not a JSON-RPC 2.0 response: jsonrpc is {}",
            object.get("jsonrpc").map_or("missing".to_owned(), Value::to_string)
        ));
    }
    let answered = object.remove("id").unwrap_or(Value::Null);
    let result = object.remove("result");
    let error = object.remove("error");
    // An error with a null id is about a request the plugin could not read.
    let ours = answered.as_u64() == Some(id) || (answered.is_null() && error.is_some());
    if !ours {
        return bad(format!("answers request {answered}, but the request was {id}"));
    }
    match (result, error) {
        (Some(result), None) => Ok(result),
        (None, Some(error)) => match serde_json::from_value::<RpcError>(error) {
            Ok(error) => Err(Answer::Error(error)),
            Err(e) => bad(format!("not a JSON-RPC error: {e}")),
        },
        (Some(_), Some(_)) => bad("a JSON-RPC response has a result or an error, not both".to_owned()),
        (None, None) => bad("not a JSON-RPC response: no result and no error".to_owned()),
    }
}

async fn log_stderr<R: AsyncBufRead + Unpin>(name: String, mut reader: R) {
    let mut line = Vec::new();
    loop {
        line.clear();
        match read_line_limited(&mut reader, &mut line, STDERR_LINE_BYTES).await {
            Ok(Line::Eof) => break,
            Ok(Line::Complete | Line::TooLong) => {
                let text = String::from_utf8_lossy(&line);
                tracing::warn!(plugin = %name, "{}", text.trim_end_matches('\r'));
            }
            Err(error) => {
                tracing::warn!(plugin = %name, "cannot read the plugin's standard error: {error}");
                break;
            }
        }
    }
}

enum Line {
    /// Nothing more to read.
    Eof,
    /// A line, without its `\n` (the last may lack one).
    Complete,
    /// The first `max` bytes of a longer line; the rest is still unread.
    TooLong,
}

/// Reads one line into `buf` (without `\n`), never holding more than `max` bytes.
async fn read_line_limited<R: AsyncBufRead + Unpin>(reader: &mut R, buf: &mut Vec<u8>, max: usize) -> io::Result<Line> {
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(if buf.is_empty() { Line::Eof } else { Line::Complete });
        }
        let newline = available.iter().position(|&b| b == b'\n');
        let content = newline.unwrap_or(available.len());
        if buf.len() + content > max {
            let take = max - buf.len();
            buf.extend_from_slice(&available[..take]);
            reader.consume(take);
            return Ok(Line::TooLong);
        }
        buf.extend_from_slice(&available[..content]);
        match newline {
            Some(_) => {
                reader.consume(content + 1);
                return Ok(Line::Complete);
            }
            None => reader.consume(content),
        }
    }
}

/// The start of a line, for an error message.
fn excerpt(line: &[u8]) -> String {
    short(&String::from_utf8_lossy(line))
}

fn short(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        return format!("{text:?}");
    }
    let start: String = text.chars().take(MAX).collect();
    format!("{start:?}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate;
    use std::path::PathBuf;

    /// Writes `body` to a fresh temp dir and returns a manifest running it with `interpreter`.
    fn plugin(name: &str, interpreter: &str, body: &str) -> anyhow::Result<Manifest> {
        let dir = std::env::temp_dir().join(format!("plugin-host-process-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir)?;
        let path: PathBuf = dir.join("plugin");
        std::fs::write(&path, body)?;
        Ok(Manifest {
            name: name.to_owned(),
            command: vec![interpreter.to_owned(), path.display().to_string()],
            env: Default::default(),
            detect_interval_seconds: 60,
            monitor_interval_seconds: 10,
        })
    }

    const SHORT: Duration = Duration::from_millis(300);
    const LONG: Duration = Duration::from_secs(10);

    #[tokio::test]
    async fn the_spec_example_plugin_runs_through_every_method() -> anyhow::Result<()> {
        let manifest = plugin("shelf", "python3", validate::tests::shelf_plugin())?;
        let mut process = PluginProcess::spawn(&manifest)?;
        let params = serde_json::to_value(crate::protocol::InitializeParams {
            protocol: crate::protocol::PROTOCOL_VERSION,
            chroma_version: "0.1.0".to_owned(),
            hosts: vec![],
            ssh_key: PathBuf::from("/nonexistent/id_ed25519"),
        })?;
        let answer = process.call(INITIALIZE, params, INITIALIZE_LIMIT).await?;
        let def = validate::check_initialize(&answer, "shelf")?;
        let answer = process.call(DETECT, json!({}), DETECT_LIMIT).await?;
        let mut inventory = validate::check_detect(&def, &answer)?;
        assert_eq!(inventory.len(), 5);

        let params = json!({"action": "locate", "resource": "disk-2", "args": {}});
        validate::check_configure(&def, &inventory, &serde_json::from_value(params.clone())?)?;
        let answer = process.call(CONFIGURE, params, CONFIGURE_LIMIT).await?;
        assert_eq!(
            validate::check_configure_result(&answer)?.message,
            "blinking the locate light of disk-2"
        );

        let answer = process.call(MONITOR, json!({}), MONITOR_LIMIT).await?;
        let readings = validate::check_monitor(&def, &inventory, &answer)?;
        inventory.apply(&readings);
        let disk = inventory
            .get("disk-2")
            .map(|d| d.attributes.clone())
            .unwrap_or_default();
        assert_eq!(disk.get("status"), Some(&json!("ok")));
        assert_eq!(readings.numbers("disk-2").get("temperature"), Some(&32.0));

        let error = process.call("frobnicate", json!({}), LONG).await;
        assert!(
            matches!(&error, Err(PluginError::Rpc { code: -32000, message, .. }) if message == "unknown method frobnicate"),
            "{error:?}"
        );
        process.shutdown().await?;
        Ok(())
    }

    #[tokio::test]
    async fn a_line_that_is_not_json_is_named_by_number_and_stops_the_plugin() -> anyhow::Result<()> {
        let script = r#"read l; printf '%s\n' '{"jsonrpc": "2.0", "id": 1, "result": {}}'; read l; echo "hello world"; sleep 30"#;
        let mut process = PluginProcess::spawn(&plugin("chatty", "sh", script)?)?;
        process.call(INITIALIZE, json!({}), LONG).await?;
        let error = process.call(DETECT, json!({}), LONG).await;
        assert!(matches!(&error, Err(PluginError::NotJson { line: 2, .. })), "{error:?}");
        let message = error.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.starts_with("line 2 of detect: not JSON") && message.contains("hello world"),
            "{message}"
        );
        assert!(process.pid().is_none(), "the process was not killed");
        let again = process.call(DETECT, json!({}), LONG).await;
        assert!(matches!(again, Err(PluginError::Stopped { .. })), "{again:?}");
        Ok(())
    }

    #[tokio::test]
    async fn a_plugin_that_hangs_is_killed_after_the_limit() -> anyhow::Result<()> {
        let mut process = PluginProcess::spawn(&plugin("sleepy", "sh", "read l; sleep 30")?)?;
        let started = std::time::Instant::now();
        let error = process.call(MONITOR, json!({}), SHORT).await;
        assert!(started.elapsed() < Duration::from_secs(5));
        let message = error.as_ref().err().map(ToString::to_string).unwrap_or_default();
        assert!(matches!(error, Err(PluginError::Timeout { .. })), "{message}");
        assert_eq!(message, "monitor: no answer within 300 ms");
        assert!(process.pid().is_none(), "the process was not killed");
        Ok(())
    }

    #[tokio::test]
    async fn killing_a_plugin_kills_what_it_started() -> anyhow::Result<()> {
        let dir = std::env::temp_dir().join(format!("plugin-host-orphan-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir)?;
        let marker = dir.join("alive");
        // A helper that would touch the marker after 1 s, unless killed with its plugin.
        let script = format!("(sleep 1; touch '{}') & read l; sleep 30", marker.display());
        let mut process = PluginProcess::spawn(&plugin("parent", "sh", &script)?)?;
        let error = process.call(DETECT, json!({}), SHORT).await;
        assert!(matches!(error, Err(PluginError::Timeout { .. })), "{error:?}");
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(!marker.exists(), "the plugin's helper outlived it");
        Ok(())
    }

    #[tokio::test]
    async fn a_plugin_that_exits_reports_its_status() -> anyhow::Result<()> {
        let mut process = PluginProcess::spawn(&plugin("quitter", "sh", "read l; echo bye >&2; exit 3")?)?;
        let error = process.call(DETECT, json!({}), LONG).await;
        assert!(
            matches!(&error, Err(PluginError::Exited { status: Some(s), .. }) if s.code() == Some(3)),
            "{error:?}"
        );
        let message = error.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.starts_with("detect: the plugin exited") && message.contains('3'),
            "{message}"
        );
        Ok(())
    }

    #[tokio::test]
    async fn an_error_answer_leaves_the_plugin_running() -> anyhow::Result<()> {
        let script = r#"read l; printf '%s\n' '{"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "array unreachable"}}'
read l; printf '%s\n' '{"jsonrpc": "2.0", "id": 2, "result": {"resources": []}}'
read l"#;
        let mut process = PluginProcess::spawn(&plugin("flaky", "sh", script)?)?;
        let error = process.call(DETECT, json!({}), LONG).await;
        assert!(
            matches!(&error, Err(PluginError::Rpc { code: -32000, message, .. }) if message == "array unreachable"),
            "{error:?}"
        );
        assert!(error.as_ref().err().is_some_and(|e| !e.is_fatal()));
        let answer = process.call(DETECT, json!({}), LONG).await?;
        assert_eq!(answer, json!({"resources": []}));
        Ok(())
    }

    #[tokio::test]
    async fn answers_of_the_wrong_shape_are_refused() -> anyhow::Result<()> {
        for (line, expected) in [
            (
                r#"{"jsonrpc": "2.0", "id": 9, "result": {}}"#,
                "answers request 9, but the request was 1",
            ),
            (
                r#"{"jsonrpc": "1.0", "id": 1, "result": {}}"#,
                "not a JSON-RPC 2.0 response",
            ),
            (r#"{"jsonrpc": "2.0", "id": 1}"#, "no result and no error"),
            (
                r#"{"jsonrpc": "2.0", "id": 1, "result": {}, "error": {"code": 1, "message": "x"}}"#,
                "not both",
            ),
            (
                r#"{"jsonrpc": "2.0", "id": 1, "error": "broken"}"#,
                "not a JSON-RPC error",
            ),
            (r#"[1, 2]"#, "not a JSON-RPC response"),
        ] {
            let script = format!("read l; printf '%s\\n' '{line}'; sleep 30");
            let mut process = PluginProcess::spawn(&plugin("odd", "sh", &script)?)?;
            let error = process.call(DETECT, json!({}), LONG).await;
            let message = error.as_ref().err().map(ToString::to_string).unwrap_or_default();
            assert!(
                matches!(error, Err(PluginError::BadResponse { line: 1, .. })),
                "{line}: {message}"
            );
            assert!(
                message.starts_with("line 1 of detect: ") && message.contains(expected),
                "{message}"
            );
        }
        Ok(())
    }

    #[tokio::test]
    async fn a_line_over_16_mib_is_refused() -> anyhow::Result<()> {
        let script = "import sys\nsys.stdin.readline()\nsys.stdout.write('x' * (17 * 1024 * 1024) + '\\n')\nsys.stdout.flush()\nsys.stdin.readline()\n";
        let mut process = PluginProcess::spawn(&plugin("huge", "python3", script)?)?;
        let error = process.call(DETECT, json!({}), LONG).await;
        let message = error.as_ref().err().map(ToString::to_string).unwrap_or_default();
        assert!(
            matches!(error, Err(PluginError::BadResponse { line: 1, .. })),
            "{message}"
        );
        assert_eq!(message, "line 1 of detect: longer than 16 MiB");
        Ok(())
    }

    #[tokio::test]
    async fn much_standard_error_does_not_block_the_plugin() -> anyhow::Result<()> {
        // More than a pipe buffer of standard error before the answer.
        let script = r#"import sys, json
request = json.loads(sys.stdin.readline())
for i in range(5000):
    print(f"noise line {i} " + "x" * 100, file=sys.stderr)
print(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": {"ok": True}}), flush=True)
sys.stdin.readline()
"#;
        let mut process = PluginProcess::spawn(&plugin("noisy", "python3", script)?)?;
        let answer = process.call(DETECT, json!({}), LONG).await?;
        assert_eq!(answer, json!({"ok": true}));
        Ok(())
    }

    #[tokio::test]
    async fn the_manifest_env_reaches_the_plugin() -> anyhow::Result<()> {
        let script =
            r#"read l; printf '{"jsonrpc": "2.0", "id": 1, "result": {"array": "%s"}}\n' "$ACME_ARRAY"; read l"#;
        let mut manifest = plugin("acme", "sh", script)?;
        manifest.env.insert("ACME_ARRAY".to_owned(), "10.0.0.50".to_owned());
        let mut process = PluginProcess::spawn(&manifest)?;
        let answer = process.call(DETECT, json!({}), LONG).await?;
        assert_eq!(answer, json!({"array": "10.0.0.50"}));
        Ok(())
    }

    #[tokio::test]
    async fn a_missing_program_cannot_start() -> anyhow::Result<()> {
        let mut manifest = plugin("ghost", "sh", "")?;
        manifest.command = vec!["/nonexistent/chroma-plugin".to_owned()];
        let error = PluginProcess::spawn(&manifest);
        assert!(matches!(error, Err(PluginError::Spawn { .. })), "{error:?}");
        Ok(())
    }

    #[tokio::test]
    async fn shutdown_kills_a_plugin_that_ignores_it() -> anyhow::Result<()> {
        // Answers shutdown but never exits, even at end of input.
        let script = r#"trap '' TERM; read l; printf '%s\n' '{"jsonrpc": "2.0", "id": 1, "result": {}}'; while :; do sleep 1; done"#;
        let process = PluginProcess::spawn(&plugin("stubborn", "sh", script)?)?;
        let started = std::time::Instant::now();
        process.shutdown().await?;
        let elapsed = started.elapsed();
        assert!(
            elapsed >= Duration::from_secs(4) && elapsed < Duration::from_secs(8),
            "{elapsed:?}"
        );
        Ok(())
    }

    #[test]
    fn every_method_has_the_spec_limit() {
        assert_eq!(time_limit("initialize"), Some(Duration::from_secs(10)));
        assert_eq!(time_limit("detect"), Some(Duration::from_secs(60)));
        assert_eq!(time_limit("monitor"), Some(Duration::from_secs(30)));
        assert_eq!(time_limit("configure"), Some(Duration::from_secs(300)));
        assert_eq!(time_limit("shutdown"), Some(Duration::from_secs(5)));
        assert_eq!(time_limit("frobnicate"), None);
    }
}
