//! Runs an exec request's command line on a simulated host: applies the
//! faults ([`crate::effects`]), splits the line like a shell (`a && b`,
//! `a; b`, `a || b`, `sh -c 'LINE'`, and redirections of stdout or stderr
//! to `/dev/null` or `2>&1`, appends to a file (`>>FILE`, the text is not
//! kept) and stdin from `/dev/null` are supported; pipes and other files
//! are refused), dispatches each command, waits its latency (see
//! [`crate::latency`]) and saves the state after any command but a read
//! (see [`crate::commands::is_read_only`]). A copytool
//! daemon started with its stdout or stderr still on the channel holds the
//! channel ([`Simulator::run_exec`]).
//!
//! Saving is a group commit: a change bumps a version and wakes
//! `journalctl -f` at once, and the line's reply waits until a write of the
//! state at that version or later is on disk ([`Simulator::persist`]).
//! Commands on many hosts that finish while one write runs share the next
//! one, which starts no sooner than four times the last write's cost after
//! it (so a large site's writes take at most a fifth of the time), and a
//! line of several commands writes once. So what a reply
//! reported, or what a command saw, survives a crash of the simulator, as
//! before; a line cut by the crash may be lost whole, as if the crash came
//! before it ran.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{watch, Mutex};

use crate::commands::journalctl::{self, Follow};
use crate::commands::{self, Context, Output};
use crate::faults::Faults;
use crate::state::{now_micros, ClusterState, StateStore};

/// The cluster state shared by every host's SSH server.
#[derive(Debug)]
pub struct Simulator {
    store: StateStore,
    state: Mutex<ClusterState>,
    /// Counts changes; `journalctl -f` wakes on it.
    changes: watch::Sender<u64>,
    /// Commands running (in their `slow` delay), which `pgrep` shows.
    processes: crate::processes::Processes,
    /// How long each command takes.
    latencies: crate::latency::Latencies,
    /// The version of the state in memory: bumped by every change, under
    /// the state lock.
    version: AtomicU64,
    /// The newest version on disk.
    durable: AtomicU64,
    /// Held by the one write running; the others wait here for it. It
    /// keeps when the last write ended and what it cost.
    writing: Mutex<Pace>,
}

/// How writes of the state are spaced: after a write that cost `cost`,
/// the next starts no sooner than [`Pace::GAP`] times that later, so
/// writing a large site's state (megabytes, for every change) takes at
/// most a fifth of the time, and the replies waiting meanwhile share the
/// next write. A small state's writes cost a millisecond or two, so its
/// replies barely wait.
#[derive(Debug, Default)]
struct Pace {
    last: Option<(std::time::Instant, Duration)>,
}

impl Pace {
    const GAP: u32 = 4;

    /// How long to wait before the next write.
    fn wait(&self) -> Duration {
        self.last.map_or(Duration::ZERO, |(ended, cost)| {
            (cost * Self::GAP).saturating_sub(ended.elapsed())
        })
    }
}

/// How a command list continues after one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Join {
    Always,
    IfOk,
    IfFailed,
}

impl Simulator {
    /// A simulator over `state`, persisting through `store`; `state` is
    /// taken to be on disk already (the first write follows the first
    /// change).
    pub fn new(store: StateStore, state: ClusterState) -> Simulator {
        Simulator {
            store,
            latencies: state.latencies.clone(),
            state: Mutex::new(state),
            changes: watch::Sender::new(0),
            processes: crate::processes::Processes::default(),
            version: AtomicU64::new(0),
            durable: AtomicU64::new(0),
            writing: Mutex::new(Pace::default()),
        }
    }

    /// Wakes at every change of the state.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// The state directory.
    pub fn dir(&self) -> &std::path::Path {
        self.store.dir()
    }

    /// A copy of the current state.
    pub async fn snapshot(&self) -> ClusterState {
        self.state.lock().await.clone()
    }

    /// The current faults (none if the file is unreadable, with a warning).
    pub fn faults(&self) -> Faults {
        Faults::load(self.store.dir()).unwrap_or_else(|e| {
            tracing::warn!(error = %format!("{e:#}"), "ignoring unreadable faults file");
            Faults::default()
        })
    }

    /// Applies what the faults do to the state ([`crate::effects`]); called
    /// by the server's fault watcher, and before every command.
    pub async fn apply_faults(&self) {
        let faults = self.faults();
        let mut state = self.state.lock().await;
        if crate::effects::apply(&mut state, &faults, now_micros()) {
            self.changed();
        }
        drop(state);
        self.persist().await;
    }

    /// Records a change of the state, under its lock: a new version to
    /// write, and `journalctl -f` wakes.
    fn changed(&self) {
        self.version.fetch_add(1, Ordering::SeqCst);
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Returns once the state as it is now is on disk: at once when it
    /// already is; else after the write running (if any) and, when that
    /// one started too early, one more, which the commands that wait with
    /// this one share, started when [`Pace`] allows. The state is
    /// serialised under its lock (no copy of it is made) and written
    /// outside. A failed write is logged and not retried until the next
    /// change (the simulator keeps serving from memory).
    pub async fn persist(&self) {
        let wanted = self.version.load(Ordering::SeqCst);
        if self.durable.load(Ordering::SeqCst) >= wanted {
            return;
        }
        let mut pace = self.writing.lock().await;
        if self.durable.load(Ordering::SeqCst) >= wanted {
            return;
        }
        let wait = pace.wait();
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let (started, version, serialized) = {
            let state = self.state.lock().await;
            // The cost is the write's own, not the wait for the lock.
            let started = std::time::Instant::now();
            let version = self.version.load(Ordering::SeqCst);
            let serialized = StateStore::serialize(&state).map(|text| (text, state.journals.clone()));
            (started, version, serialized)
        };
        let store = self.store.clone();
        let saved = tokio::task::spawn_blocking(move || {
            let (text, journals) = serialized?;
            store.save_serialized(&text, &journals)
        })
        .await;
        match saved {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "failed to save state"),
            Err(e) => tracing::error!(error = %e, "the state writer panicked"),
        }
        pace.last = Some((std::time::Instant::now(), started.elapsed()));
        self.durable.store(version, Ordering::SeqCst);
    }

    /// Starts `line` if it is one `journalctl -f …` (redirections allowed):
    /// what it prints at once, and how it goes on; `None` for any other
    /// line, which [`Simulator::run_line`] runs.
    pub async fn start_follow(&self, host: &str, line: &str) -> Option<(Output, Option<Follow>)> {
        let words = detach_semicolons(shell_words::split(line).ok()?);
        let [(segment, _)] = split_commands(&words)[..] else {
            return None;
        };
        let (argv, redirects) = Redirects::split(segment).ok()?;
        let (name, args) = argv.split_first()?;
        if name.rsplit('/').next() != Some("journalctl") || !Follow::requested(args) {
            return None;
        }
        let faults = self.faults();
        let slow_ms = faults.host(host).slow_ms;
        if slow_ms > 0 {
            tokio::time::sleep(Duration::from_millis(slow_ms)).await;
        }
        let mut state = self.state.lock().await;
        let mut changed = crate::effects::apply_on(&mut state, &faults, now_micros(), host);
        let injected = faults
            .host(host)
            .fail_next
            .into_iter()
            .find(|f| f.command == "journalctl" && !state.consumed_faults.contains(&f.id));
        let (out, follow) = match injected {
            Some(fault) => {
                state.consumed_faults.insert(fault.id);
                changed = true;
                (Output::fail("journalctl: Input/output error\n", 1), None)
            }
            None => match journalctl::follow(args, &state, host) {
                Ok((out, follow)) => (out, Some(follow)),
                Err(out) => (out, None),
            },
        };
        if changed {
            self.changed();
        }
        drop(state);
        self.persist().await;
        Some((redirects.apply(out), follow))
    }

    /// What a `journalctl -f` on `host` prints next (empty when nothing new).
    pub async fn follow_more(&self, host: &str, follow: &mut Follow) -> String {
        let state = self.state.lock().await;
        follow.more(&state, host)
    }

    /// Runs a command line on `host` and returns what it printed.
    pub async fn run_line(&self, host: &str, line: &str) -> Output {
        self.run_line_with_stdin(host, line, None).await
    }

    /// Runs a command line on `host` with what the exec channel sent on
    /// stdin (read by `install … /dev/stdin PATH`).
    pub async fn run_line_with_stdin(&self, host: &str, line: &str, stdin: Option<&str>) -> Output {
        self.run_exec(host, line, stdin).await.0
    }

    /// Runs an exec request's line: what it printed, and the pids of the
    /// daemons it left holding the channel (`lhsmtool_posix --daemon` whose
    /// stdout or stderr was not redirected: `daemon(1, 1)` keeps them, so
    /// sshd sees no EOF until the daemon ends).
    pub async fn run_exec(&self, host: &str, line: &str, stdin: Option<&str>) -> (Output, Vec<u32>) {
        let mut holders = Vec::new();
        let out = self
            .run_line_inner(host, line, stdin, ToChannel::BOTH, &mut holders)
            .await;
        self.persist().await;
        (out, holders)
    }

    /// Whether any of `pids` still runs on `host`.
    pub async fn any_running(&self, host: &str, pids: &[u32]) -> bool {
        let state = self.state.lock().await;
        state
            .hsm
            .copytools
            .iter()
            .any(|c| c.host == host && pids.contains(&c.pid))
    }

    /// The client closed the channel `pids` hold: their next write is
    /// fatal (see [`crate::hsm::Stdio`]).
    pub async fn channel_closed(&self, host: &str, pids: &[u32]) {
        self.mark_copytools(host, |c| pids.contains(&c.pid), crate::hsm::Stdio::ClosedChannel)
            .await;
        self.persist().await;
    }

    /// Sets the stdio of `host`'s copytools that `pick` picks; their pids.
    async fn mark_copytools(
        &self,
        host: &str,
        pick: impl Fn(&crate::hsm::Copytool) -> bool,
        stdio: crate::hsm::Stdio,
    ) -> Vec<u32> {
        let mut state = self.state.lock().await;
        let mut pids = Vec::new();
        for c in state.hsm.copytools.iter_mut().filter(|c| c.host == host && pick(c)) {
            c.stdio = stdio;
            pids.push(c.pid);
        }
        if !pids.is_empty() {
            self.changed();
        }
        pids
    }

    async fn run_line_inner(
        &self,
        host: &str,
        line: &str,
        stdin: Option<&str>,
        to_channel: ToChannel,
        holders: &mut Vec<u32>,
    ) -> Output {
        let words = match shell_words::split(line) {
            Ok(words) => detach_semicolons(words),
            Err(_) => return Output::fail(unterminated_quote(line), 2),
        };
        // Shown by `pgrep` while it runs, through its delay (a long copy).
        let running = self.processes.start(host, words.join(" "));
        let slow_ms = self.faults().host(host).slow_ms;
        if slow_ms > 0 {
            tokio::time::sleep(Duration::from_millis(slow_ms)).await;
        }
        let mut result = Output::default();
        let mut join = Join::Always;
        for (segment, next) in split_commands(&words) {
            let run = match join {
                Join::Always => true,
                Join::IfOk => result.code == 0,
                Join::IfFailed => result.code != 0,
            };
            if run {
                let out = match Redirects::split(segment) {
                    Ok((argv, redirects)) => {
                        let to_channel = redirects.to_channel(to_channel);
                        let out = match shell_script(&argv) {
                            Some(script) => {
                                Box::pin(self.run_line_inner(host, script, stdin, to_channel, holders)).await
                            }
                            None => {
                                // A copytool started now whose output still
                                // reaches the channel holds it.
                                let daemon = command_name(&argv) == Some("lhsmtool_posix") && to_channel.any();
                                let last = if daemon {
                                    Some(self.state.lock().await.hsm.last_pid)
                                } else {
                                    None
                                };
                                let out = self.run_command(host, &argv, stdin, running.pid).await;
                                if let Some(last) = last {
                                    let started = self
                                        .mark_copytools(host, |c| c.pid > last, crate::hsm::Stdio::Channel)
                                        .await;
                                    holders.extend(started);
                                }
                                out
                            }
                        };
                        redirects.apply(out)
                    }
                    Err(op) => Output::fail(format!("lustre-sim: shell operator '{op}' is not supported\n"), 2),
                };
                result.append(out);
            }
            join = next;
        }
        result
    }

    async fn run_command(&self, host: &str, argv: &[String], stdin: Option<&str>, pid: u32) -> Output {
        let Some(name) = argv.first().map(String::as_str) else {
            return Output::default();
        };
        let base = command_name(argv).unwrap_or(name).to_string();
        // Outside the state lock: commands on other hosts wait at once.
        let latency = self.latencies.of(inner_command(argv));
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let faults = self.faults();
        let pending = faults.host(host).fail_next;
        let mut state = self.state.lock().await;
        state.running = self.processes.on(host, pid);
        let mut changed = crate::effects::apply_on(&mut state, &faults, now_micros(), host);
        let injected = pending
            .iter()
            .find(|f| f.command == base && !state.consumed_faults.contains(&f.id));
        let out = match injected {
            Some(fault) => {
                state.consumed_faults.insert(fault.id);
                changed = true;
                tracing::info!(host, command = %base, "injected failure");
                Output::fail(format!("{base}: Input/output error\n"), 1)
            }
            None => {
                // Any command but a read counts as a change, written before
                // it answers: telling whether it changed anything would
                // mean copying and comparing the whole site's state under
                // the lock every time, which at 2,000 devices costs more
                // than the commands themselves.
                changed |= !commands::is_read_only(argv);
                let mut ctx = Context {
                    host: host.to_string(),
                    state: &mut state,
                    faults,
                };
                commands::dispatch_with_stdin(argv, &mut ctx, stdin)
            }
        };
        if changed {
            self.changed();
        }
        tracing::debug!(host, command = %argv.join(" "), code = out.code, "ran");
        out
    }
}

/// Does `line` read its stdin (`/dev/stdin` or `--xml-pipe` as a word)?
/// Its exec channel's data is then gathered until EOF before it runs.
pub fn reads_stdin(line: &str) -> bool {
    shell_words::split(line).is_ok_and(|words| words.iter().any(|w| crate::commands::reads_stdin_word(w)))
}

/// The base name of the command `argv` runs, looking through `flock`, so a
/// `fail_next` fault for `mkfs.lustre` also fails `flock DEV mkfs.lustre`.
fn command_name(argv: &[String]) -> Option<&str> {
    let name = argv.first()?;
    let base = name.rsplit('/').next().unwrap_or(name);
    match commands::flock::command(&argv[1..]) {
        Ok(inner) if base == "flock" => command_name(inner),
        _ => Some(base),
    }
}

/// The command `argv` runs, looking through `flock` (for its latency).
fn inner_command(argv: &[String]) -> &[String] {
    let base = argv.first().map(|name| name.rsplit('/').next().unwrap_or(name));
    match commands::flock::command(argv.get(1..).unwrap_or_default()) {
        Ok(inner) if base == Some("flock") => inner_command(inner),
        _ => argv,
    }
}

/// The script of `sh -c SCRIPT` (or `bash -c`), which runs as a line.
fn shell_script(argv: &[String]) -> Option<&str> {
    match argv {
        [shell, flag, script, ..] if flag == "-c" => {
            let base = shell.rsplit('/').next().unwrap_or(shell);
            matches!(base, "sh" | "bash").then_some(script.as_str())
        }
        _ => None,
    }
}

/// Whether a command's standard output and error still reach the exec
/// channel.
#[derive(Debug, Clone, Copy)]
struct ToChannel {
    stdout: bool,
    stderr: bool,
}

impl ToChannel {
    const BOTH: ToChannel = ToChannel {
        stdout: true,
        stderr: true,
    };

    fn any(self) -> bool {
        self.stdout || self.stderr
    }
}

/// The redirections the simulator understands: output to `/dev/null`,
/// appended to a file (`>>FILE`; what is written is not kept), `2>&1`, and
/// stdin from `/dev/null`. Anything else (pipes, other files) is refused.
#[derive(Debug, Default)]
struct Redirects {
    drop_stdout: bool,
    drop_stderr: bool,
    merge_stderr: bool,
}

impl Redirects {
    /// Separates the redirections from the command words, or names the
    /// first operator that is not supported.
    fn split(words: &[String]) -> Result<(Vec<String>, Redirects), String> {
        let mut argv = Vec::new();
        let mut r = Redirects::default();
        let mut iter = words.iter().peekable();
        while let Some(word) = iter.next() {
            let mut target = |w: &str| -> Result<(), String> {
                if let Some((op, file)) = append_target(w) {
                    let file = if file.is_empty() {
                        iter.next().map(String::as_str).unwrap_or_default()
                    } else {
                        file
                    };
                    if !file.starts_with('/') {
                        return Err(w.to_string());
                    }
                    return target_pair(op, &mut r);
                }
                match w {
                    "</dev/null" | "0</dev/null" => {}
                    "<" | "0<" => match iter.next().map(String::as_str) {
                        Some("/dev/null") => {}
                        _ => return Err(w.to_string()),
                    },
                    ">/dev/null" | "1>/dev/null" => r.drop_stdout = true,
                    "2>/dev/null" => r.drop_stderr = true,
                    "&>/dev/null" => (r.drop_stdout, r.drop_stderr) = (true, true),
                    "2>&1" => r.merge_stderr = true,
                    ">" | "1>" | "2>" | "&>" => match iter.next().map(String::as_str) {
                        Some("/dev/null") => return target_pair(w, &mut r),
                        _ => return Err(w.to_string()),
                    },
                    _ => return Err(w.to_string()),
                }
                Ok(())
            };
            let special = matches!(word.as_str(), "|" | "<" | "&" | "|&" | ">>")
                || word.starts_with('>')
                // A quoted argument such as cibadmin's `<primitive …>` XML
                // is not a redirection (the split lost its quotes, but
                // kept its spaces).
                || (word.starts_with('<') && !word.contains(char::is_whitespace))
                || word.starts_with("0<")
                || word.starts_with("1>")
                || word.starts_with("2>")
                || word.starts_with("&>");
            if special {
                target(word)?;
            } else {
                argv.push(word.clone());
            }
        }
        Ok((argv, r))
    }

    /// Where the command's output goes, given where its shell's went.
    fn to_channel(&self, outer: ToChannel) -> ToChannel {
        let stdout = outer.stdout && !self.drop_stdout;
        let stderr = if self.drop_stderr {
            false
        } else if self.merge_stderr {
            stdout
        } else {
            outer.stderr
        };
        ToChannel { stdout, stderr }
    }

    fn apply(&self, mut out: Output) -> Output {
        if self.drop_stdout {
            out.stdout.clear();
        }
        if self.merge_stderr && !self.drop_stdout {
            let err = std::mem::take(&mut out.stderr);
            out.stdout.push_str(&err);
        }
        if self.drop_stderr || (self.merge_stderr && self.drop_stdout) {
            out.stderr.clear();
        }
        out
    }
}

/// `>>FILE`, `1>>FILE`, `2>>FILE`, `&>>FILE` (FILE may be the next word):
/// the operator as [`target_pair`] takes it, and FILE.
fn append_target(word: &str) -> Option<(&'static str, &str)> {
    [("&>>", "&>"), ("1>>", ">"), ("2>>", "2>"), (">>", ">")]
        .into_iter()
        .find_map(|(op, as_op)| word.strip_prefix(op).map(|file| (as_op, file)))
}

fn target_pair(op: &str, r: &mut Redirects) -> Result<(), String> {
    match op {
        ">" | "1>" => r.drop_stdout = true,
        "2>" => r.drop_stderr = true,
        _ => (r.drop_stdout, r.drop_stderr) = (true, true),
    }
    Ok(())
}

/// `a; b` splits into the words `a;` and `b`: make the `;` its own word.
fn detach_semicolons(words: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(words.len());
    for word in words {
        match word.strip_suffix(';') {
            Some(rest) if !rest.is_empty() => {
                out.push(rest.to_string());
                out.push(";".to_string());
            }
            _ => out.push(word),
        }
    }
    out
}

/// Splits words at `&&`, `||` and `;` into commands, each with how the list
/// continues after it.
fn split_commands(words: &[String]) -> Vec<(&[String], Join)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, word) in words.iter().enumerate() {
        let join = match word.as_str() {
            "&&" => Join::IfOk,
            "||" => Join::IfFailed,
            ";" => Join::Always,
            _ => continue,
        };
        out.push((&words[start..i], join));
        start = i + 1;
    }
    out.push((&words[start..], Join::Always));
    out.retain(|(segment, _)| !segment.is_empty());
    out
}

/// bash's complaint about an unterminated quote in `bash -c LINE`.
fn unterminated_quote(line: &str) -> String {
    let quote = line.chars().find(|c| *c == '\'' || *c == '"').unwrap_or('\'');
    format!(
        "bash: -c: line 1: unexpected EOF while looking for matching `{quote}'\n\
         bash: -c: line 2: syntax error: unexpected end of file\n"
    )
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;
    use crate::commands::test_support::cluster;
    use crate::faults::FaultCommand;

    fn simulator(tag: &str) -> (Simulator, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("lustre-sim-exec-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = StateStore::new(&dir).unwrap();
        (Simulator::new(store, cluster()), dir)
    }

    #[tokio::test]
    async fn runs_lists_and_refuses_bad_quotes() {
        let (sim, dir) = simulator("lists");
        let out = sim
            .run_line("oss1", "hostname && uname -r; false || echo 'fell back'")
            .await;
        assert_eq!(out.stdout, "oss1\n4.18.0-477.27.1.el8_lustre.x86_64\nfell back\n");
        assert_eq!(out.code, 0);
        let skipped = sim.run_line("oss1", "false && hostname").await;
        assert_eq!((skipped.code, skipped.stdout.as_str()), (1, ""));
        let bad = sim.run_line("oss1", "echo 'oops").await;
        assert_eq!(bad.code, 2);
        assert!(bad
            .stderr
            .starts_with("bash: -c: line 1: unexpected EOF while looking for matching `''"));
        assert_eq!(sim.run_line("oss1", "lsblk | grep sdb").await.code, 2);
        assert_eq!(sim.run_line("oss1", "hostname > /tmp/x").await.code, 2);
        let quiet = sim.run_line("oss1", "hostname >/dev/null && nosuch 2>&1").await;
        assert_eq!(
            (quiet.stdout.as_str(), quiet.code),
            ("bash: nosuch: command not found\n", 127)
        );
        assert_eq!(sim.run_line("oss1", "nosuch 2> /dev/null").await.stderr, "");
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// The line Chroma's monitor runs on every host each interval.
    fn poll_line(cursor: Option<&str>) -> String {
        let journal = match cursor {
            Some(c) => format!("'--after-cursor={c}'"),
            None => "-n 1000".to_string(),
        };
        format!(
            "lctl get_param memused osd-*.*.kbytesfree obdfilter.*OST*.stats mdt.*.md_stats 2>/dev/null; \
             echo @@chroma-cpu; cat /proc/stat; echo @@chroma-mem; cat /proc/meminfo; \
             echo @@chroma-lnet; lnetctl stats show; \
             echo @@chroma-jobs; lctl get_param obdfilter.*.job_stats mdt.*.job_stats 2>/dev/null; \
             echo @@chroma-crm; crm_mon --as-xml 2>/dev/null; \
             echo @@chroma-journal; journalctl -o json --no-pager {journal}"
        )
    }

    fn section<'a>(stdout: &'a str, marker: &str) -> &'a str {
        let start = stdout
            .find(&format!("{marker}\n"))
            .map_or(stdout.len(), |i| i + marker.len() + 1);
        let rest = &stdout[start..];
        rest.find("\n@@chroma-").map_or(rest, |end| &rest[..=end])
    }

    #[tokio::test]
    async fn the_monitor_poll_line_runs_in_one_exec() {
        let (sim, dir) = simulator("poll");
        for (host, line) in [
            ("mds1", "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/sdb"),
            ("mds1", "mount -t lustre /dev/sdb /mnt/mdt0"),
            (
                "oss1",
                "mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdb",
            ),
            ("oss1", "mount -t lustre /dev/sdb /mnt/ost0"),
        ] {
            assert_eq!(sim.run_line(host, line).await.code, 0, "{line}");
        }
        let out = sim.run_line("oss1", &poll_line(None)).await;
        // `mdt.*.md_stats` and `mdt.*.job_stats` do not exist on an OSS:
        // their errors went to /dev/null.
        assert_eq!(out.stderr, "", "{}", out.stdout);
        assert!(out.stdout.starts_with("memused=68237921\n"), "{}", out.stdout);
        assert!(section(&out.stdout, "@@chroma-cpu").starts_with("cpu  "));
        assert!(section(&out.stdout, "@@chroma-mem").starts_with("MemTotal: "));
        assert!(section(&out.stdout, "@@chroma-lnet").starts_with("statistics:\n"));
        assert!(section(&out.stdout, "@@chroma-jobs").starts_with("obdfilter.fs1-OST0000.job_stats="));
        // Pacemaker is installed but not running on a fresh server.
        assert!(section(&out.stdout, "@@chroma-crm").starts_with("<crm_mon version=\"2.1.5\"/>"));
        let journal = section(&out.stdout, "@@chroma-journal");
        let last = journal.lines().last().unwrap_or_default();
        let entry: serde_json::Value = serde_json::from_str(last).unwrap();
        assert_eq!(entry["MESSAGE"], "Lustre: fs1-OST0000: new disk, initializing");
        let cursor = entry["__CURSOR"].as_str().unwrap();

        crate::faults::inject(
            &dir,
            "oss1",
            FaultCommand::Log {
                priority: 3,
                identifier: "kernel".into(),
                message: "LustreError: fs1-OST0000: simulated".into(),
            },
        )
        .unwrap();
        let next = sim.run_line("oss1", &poll_line(Some(cursor))).await;
        let journal = section(&next.stdout, "@@chroma-journal");
        let entries: Vec<serde_json::Value> = journal
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(entries.len(), 1, "{journal}");
        assert_eq!(entries[0]["PRIORITY"], "3");
        // The same line given to `sh -c` runs the same way.
        let quoted = shell_words::quote(&poll_line(Some(cursor))).into_owned();
        let wrapped = sim.run_line("oss1", &format!("sh -c {quoted}")).await;
        assert_eq!(section(&wrapped.stdout, "@@chroma-journal"), journal);
        // The reads did not rewrite the saved state.
        let saved = std::fs::metadata(dir.join(crate::state::STATE_FILE))
            .unwrap()
            .modified()
            .unwrap();
        sim.run_line("oss1", &poll_line(Some(cursor))).await;
        let again = std::fs::metadata(dir.join(crate::state::STATE_FILE))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(saved, again);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn pgrep_shows_a_command_until_it_ends() {
        let (sim, dir) = simulator("running");
        crate::faults::inject(&dir, "oss1", FaultCommand::Slow(400)).unwrap();
        let long = sim.run_line("oss1", "lfs mirror extend -N -p disk '/mnt/fs1/a b'");
        let look = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            crate::faults::inject(&dir, "oss1", FaultCommand::Slow(0)).unwrap();
            (
                sim.run_line("oss1", "pgrep -a -f 'lfs mirror'").await,
                sim.run_line("oss2", "pgrep -f lfs").await,
            )
        };
        let (_, (seen, elsewhere)) = tokio::join!(long, look);
        assert_eq!(seen.code, 0, "{seen:?}");
        assert!(
            seen.stdout.ends_with(" lfs mirror extend -N -p disk /mnt/fs1/a b\n"),
            "{seen:?}"
        );
        assert_eq!(seen.stdout.lines().count(), 1, "pgrep lists itself: {seen:?}");
        assert_eq!(elsewhere.code, 1, "{elsewhere:?}");
        let after = sim.run_line("oss1", "pgrep -a -f 'lfs mirror'").await;
        assert_eq!((after.code, after.stdout.as_str()), (1, ""));
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// 2.15's `ct_run` calls `daemon(1, 1)`: a copytool keeps the stdout
    /// and stderr it was started with, so unless both are redirected it
    /// holds the exec channel, and once the client gave up on the channel
    /// its next log line kills it.
    #[tokio::test]
    async fn a_copytool_holds_the_channel_unless_its_output_is_redirected() {
        let dir = std::env::temp_dir().join(format!("lustre-sim-exec-ct-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut state = crate::commands::mount_client::client_tests::running_fs();
        for (host, line) in [
            ("oss2", "mount -t lustre 10.0.0.1@tcp:/fs1 /mnt/fs1"),
            ("oss2", "truncate -s 1M /mnt/fs1/f"),
            ("oss2", "mkdir -p /srv/archive"),
            ("mds1", "lctl set_param mdt.fs1-MDT0000.hsm_control=enabled"),
        ] {
            assert_eq!(
                crate::commands::test_support::run(&mut state, host, line).code,
                0,
                "{line}"
            );
        }
        let sim = Simulator::new(StateStore::new(&dir).unwrap(), state);
        let tool = |n: u32| {
            format!(
                "lhsmtool_posix --daemon --pid-file /var/run/ct{n}.pid --hsm-root /srv/archive --archive {n} /mnt/fs1"
            )
        };
        let (out, held) = sim.run_exec("oss2", &tool(1), None).await;
        assert_eq!((out.code, held.len()), (0, 1), "{out:?}");
        let (out, stderr_held) = sim.run_exec("oss2", &format!("{} >/dev/null", tool(2)), None).await;
        assert_eq!((out.code, stderr_held.len()), (0, 1), "{out:?}");
        let detached = format!("{} </dev/null >>/var/log/ct3.log 2>&1", tool(3));
        let quoted = shell_words::quote(&detached).into_owned();
        let (out, free) = sim.run_exec("oss2", &format!("sh -c {quoted}"), None).await;
        assert_eq!((out.code, free), (0, vec![]), "{out:?}");
        assert!(sim.any_running("oss2", &held).await);
        // The pid file is locked: the same copytool again exits at once.
        let (out, again) = sim.run_exec("oss2", &format!("sh -c {quoted}"), None).await;
        assert_eq!((out.code, again), (0, vec![]), "{out:?}");
        let listed = sim.run_line("oss2", "pgrep -f lhsmtool_posix").await;
        assert_eq!(listed.stdout.lines().count(), 3, "{listed:?}");

        // The client closed the channel: the copytool's first request
        // (its trace line) ends it, and the request fails.
        sim.channel_closed("oss2", &held).await;
        let mut state = sim.snapshot().await;
        let archive = crate::commands::test_support::run(&mut state, "oss2", "lfs hsm_archive -a 1 /mnt/fs1/f");
        assert_eq!(archive.code, 0, "{archive:?}");
        let mut now = now_micros();
        for _ in 0..4 {
            now += 1_100_000;
            crate::hsm::tick(&mut state, now);
        }
        assert!(!state.hsm.copytools.iter().any(|c| held.contains(&c.pid)));
        assert_eq!(state.hsm.actions.last().map(|a| a.status.as_str()), Some("FAILED"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn fail_next_fails_once_and_state_is_saved() {
        let (sim, dir) = simulator("faults");
        crate::faults::inject(&dir, "mds1", FaultCommand::FailNext("mkfs.lustre".into())).unwrap();
        let first = sim.run_line("mds1", "mkfs.lustre --mgs /dev/sdb").await;
        assert_eq!(
            (first.code, first.stderr.as_str()),
            (1, "mkfs.lustre: Input/output error\n")
        );
        crate::faults::inject(&dir, "mds1", FaultCommand::FailNext("mkfs.lustre".into())).unwrap();
        let locked = sim
            .run_line("mds1", "flock --timeout 3600 /dev/sdb mkfs.lustre --mgs /dev/sdb")
            .await;
        assert_eq!(
            (locked.code, locked.stderr.as_str()),
            (1, "mkfs.lustre: Input/output error\n")
        );
        let second = sim.run_line("mds1", "mkfs.lustre --mgs /dev/sdb").await;
        assert_eq!(second.code, 0);
        let saved = StateStore::new(&dir).unwrap().load().unwrap().unwrap();
        assert_eq!(saved.devices.values().map(|d| d.format_count).sum::<u64>(), 1);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
