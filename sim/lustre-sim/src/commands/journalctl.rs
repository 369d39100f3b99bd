//! `journalctl`: the host's journal ([`crate::journal`]) as systemd 239
//! (RHEL 8) prints it. Options: `-o|--output json|json-pretty|short|cat`,
//! `-n|--lines [N|all]`, `--after-cursor CURSOR`, `-S|--since @EPOCH`,
//! `-f|--follow`, `-k|--dmesg`, `-t|--identifier ID`, `-p|--priority
//! P[..Q]`, `-q|--quiet`, `-a|--all`, `--no-pager`, `--utc`,
//! `--no-hostname`, `-m|--merge`. With `-f` the server keeps the channel
//! open and sends entries as they are logged ([`Follow`]).
//!
//! Like the real one, it prints `-- Logs begin at …, end at … --` first
//! and `-- No entries --` when nothing matches, whatever the output mode,
//! unless `-q`. How entries print: [`super::journal_output`].

use super::journal_output::{render, timestamp, Mode, Style};
use super::{Context, Output};
use crate::journal::{Cursor, Entry, Journal};
use crate::state::ClusterState;

/// What to show, from the command line.
#[derive(Debug, Clone, Default)]
struct Options {
    follow: bool,
    style: Style,
    lines: Option<usize>,
    after_cursor: Option<String>,
    since_us: Option<u64>,
    kernel_only: bool,
    identifiers: Vec<String>,
    priorities: Option<(u8, u8)>,
    quiet: bool,
}

fn error(message: String) -> Output {
    Output::fail(format!("{message}\n"), 1)
}

/// Runs `journalctl OPTIONS…` (with `-f`, what it prints at once).
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    match follow(args, &*ctx.state, &ctx.host) {
        Ok((out, _)) | Err(out) => out,
    }
}

/// Where `journalctl -f` goes on from: the options and the last entry
/// it has read.
#[derive(Debug, Clone)]
pub struct Follow {
    opts: Options,
    after_seq: u64,
}

impl Follow {
    /// Does the command line follow the journal (`-f`)?
    pub fn requested(args: &[String]) -> bool {
        parse(args).is_ok_and(|opts| opts.follow)
    }

    /// The entries logged on `host` since the last call, as printed.
    pub fn more(&mut self, state: &ClusterState, host: &str) -> String {
        let Some(journal) = state.journals.get(host) else {
            return String::new();
        };
        let boot_id = boot_id(state, host);
        let start = journal.entries.partition_point(|e| e.seq <= self.after_seq);
        let new: Vec<&Entry> = journal
            .entries
            .iter()
            .skip(start)
            .filter(|e| self.opts.wanted(e, &boot_id))
            .collect();
        if let Some(last) = journal.entries.back() {
            self.after_seq = self.after_seq.max(last.seq);
        }
        render(journal, &new, host, &self.opts.style)
    }
}

fn boot_id(state: &ClusterState, host: &str) -> String {
    state.host(host).map(|h| h.boot.id.clone()).unwrap_or_default()
}

impl Options {
    fn wanted(&self, e: &Entry, boot_id: &str) -> bool {
        (!self.kernel_only || (e.transport.as_str() == "kernel" && e.boot_id == boot_id))
            && (self.identifiers.is_empty() || self.identifiers.contains(&e.identifier))
            && self.priorities.is_none_or(|(lo, hi)| (lo..=hi).contains(&e.priority))
    }
}

/// What `journalctl` prints at once, and (for `-f`) where it goes on.
pub fn follow(args: &[String], state: &ClusterState, host: &str) -> Result<(Output, Follow), Output> {
    let mut opts = parse(args)?;
    // journalctl -f shows the last 10 lines unless told otherwise.
    if opts.follow && opts.lines.is_none() && opts.since_us.is_none() {
        opts.lines = Some(10);
    }
    let empty = Journal::new(host, 0);
    let journal = state.journals.get(host).map_or(&empty, |j| j.as_ref());
    let boot_id = boot_id(state, host);
    let limit = opts.lines.unwrap_or(usize::MAX);
    let candidates: Vec<usize> = (0..journal.entries.len())
        .filter(|i| opts.wanted(&journal.entries[*i], &boot_id))
        .collect();
    let start = if let Some(text) = &opts.after_cursor {
        let cursor = Cursor::parse(text).ok_or_else(|| error("Failed to seek to cursor: Invalid argument".into()))?;
        Some(journal.position_after(&cursor))
    } else {
        opts.since_us
            .map(|since| journal.entries.partition_point(|e| e.realtime_us < since))
    };
    // Indices of the entries shown, and of the first one left unread.
    let (shown, next): (Vec<usize>, usize) = match start {
        Some(start) => {
            let shown: Vec<usize> = candidates.into_iter().filter(|i| *i >= start).take(limit).collect();
            let next = match shown.last() {
                Some(last) if shown.len() == limit => last + 1,
                _ => journal.entries.len(),
            };
            (shown, next)
        }
        None => {
            let skip = candidates.len().saturating_sub(limit);
            (candidates[skip..].to_vec(), journal.entries.len())
        }
    };
    let mut out = String::new();
    if !opts.quiet && (opts.lines != Some(0) || opts.follow) {
        if let (Some(first), Some(last)) = (journal.entries.front(), journal.entries.back()) {
            let begin = timestamp(first.realtime_us);
            out.push_str(&if opts.follow {
                format!("-- Logs begin at {begin}. --\n")
            } else {
                format!("-- Logs begin at {begin}, end at {}. --\n", timestamp(last.realtime_us))
            });
        }
    }
    let entries: Vec<&Entry> = shown.iter().map(|i| &journal.entries[*i]).collect();
    out.push_str(&render(journal, &entries, host, &opts.style));
    if entries.is_empty() && !opts.quiet && !opts.follow {
        out.push_str("-- No entries --\n");
    }
    let after_seq = match next.checked_sub(1) {
        Some(i) => journal.entries[i].seq,
        None => journal.entries.front().map_or(journal.next_seq, |e| e.seq) - 1,
    };
    Ok((Output::ok(out), Follow { opts, after_seq }))
}

/// The value of an option given as `--name=V`, `--name V`, `-xV` or `-x V`.
fn value<'a>(arg: &'a str, iter: &mut std::slice::Iter<'a, String>) -> Option<&'a str> {
    match arg.split_once('=') {
        Some((_, v)) if arg.starts_with("--") => Some(v),
        _ if !arg.starts_with("--") && arg.len() > 2 => Some(&arg[2..]),
        _ => iter.next().map(String::as_str),
    }
}

fn parse(args: &[String]) -> Result<Options, Output> {
    let mut opts = Options::default();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let name = if arg.starts_with("--") {
            arg.split('=').next().unwrap_or(arg)
        } else {
            arg.get(..2).unwrap_or(arg)
        };
        match name {
            "--no-pager" | "--utc" | "-m" | "--merge" | "--no-full" | "-l" | "--full" => {}
            "-q" | "--quiet" => opts.quiet = true,
            "-a" | "--all" => opts.style.all = true,
            "-k" | "--dmesg" => opts.kernel_only = true,
            "-f" | "--follow" => opts.follow = true,
            "--no-hostname" => opts.style.no_hostname = true,
            "-o" | "--output" => {
                opts.style.mode = match value(arg, &mut iter) {
                    Some("json") => Mode::Json,
                    Some("json-pretty") => Mode::JsonPretty,
                    Some("short") => Mode::Short,
                    Some("cat") => Mode::Cat,
                    Some(other) => return Err(error(format!("Unknown output format '{other}'."))),
                    None => return Err(error("journalctl: option requires an argument -- 'o'".into())),
                };
            }
            "-n" | "--lines" => opts.lines = Some(lines(arg, &mut iter)?),
            "--after-cursor" => opts.after_cursor = value(arg, &mut iter).map(str::to_string),
            "-S" | "--since" => {
                let text = value(arg, &mut iter).unwrap_or_default();
                let since = text
                    .strip_prefix('@')
                    .and_then(|s| s.parse::<f64>().ok())
                    .filter(|s| *s >= 0.0)
                    .ok_or_else(|| error(format!("Failed to parse timestamp: {text}")))?;
                // Whole microseconds: the cast saturates, and the value is non-negative.
                opts.since_us = Some((since * 1_000_000.0).round() as u64);
            }
            "-t" | "--identifier" => opts
                .identifiers
                .push(value(arg, &mut iter).unwrap_or_default().to_string()),
            "-p" | "--priority" => {
                let text = value(arg, &mut iter).unwrap_or_default();
                opts.priorities =
                    Some(priorities(text).ok_or_else(|| error("Failed to parse priority value.".into()))?);
            }
            other if other.starts_with("--") => {
                return Err(error(format!("journalctl: unrecognized option '{other}'")));
            }
            other if other.starts_with('-') => {
                let letter = other.chars().nth(1).unwrap_or('-');
                return Err(error(format!("journalctl: invalid option -- '{letter}'")));
            }
            other => return Err(error(format!("Failed to add match '{other}': Invalid argument"))),
        }
    }
    Ok(opts)
}

/// `-n`/`--lines`: optional argument; like journalctl, `-n 5` takes the
/// next word when it is a number. Without one, 10.
fn lines(arg: &str, iter: &mut std::slice::Iter<'_, String>) -> Result<usize, Output> {
    let inline = match arg.split_once('=') {
        Some((_, v)) if arg.starts_with("--") => Some(v.to_string()),
        _ if !arg.starts_with("--") && arg.len() > 2 => Some(arg[2..].to_string()),
        _ => None,
    };
    let parse = |v: &str| match v {
        "all" => Some(usize::MAX),
        _ => v.parse().ok(),
    };
    match inline {
        Some(v) => parse(&v).ok_or_else(|| error(format!("Failed to parse lines '{v}'"))),
        None => {
            let next = iter.as_slice().first().and_then(|w| parse(w));
            if next.is_some() {
                iter.next();
            }
            Ok(next.unwrap_or(10))
        }
    }
}

/// `-p err`, `-p 3`, `-p warning..err`: the range of priorities shown.
fn priorities(text: &str) -> Option<(u8, u8)> {
    const NAMES: [&str; 8] = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];
    let one = |w: &str| {
        w.parse::<u8>()
            .ok()
            .filter(|p| *p < 8)
            .or_else(|| NAMES.iter().position(|n| *n == w).and_then(|i| u8::try_from(i).ok()))
    };
    match text.split_once("..") {
        Some((a, b)) => {
            let (a, b) = (one(a)?, one(b)?);
            Some((a.min(b), a.max(b)))
        }
        None => Some((0, one(text)?)),
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use crate::commands::test_support::{cluster, run};
    use crate::journal::Line;

    fn logged(n: usize) -> crate::state::ClusterState {
        let mut state = cluster();
        for i in 0..n {
            let t = 1_700_000_000_000_000 + i as u64 * 1_000_000;
            let line = if i % 2 == 0 {
                Line::kernel(6, format!("Lustre: line {i}"))
            } else {
                Line::daemon("pacemaker-controld", 2001, 5, format!(" notice: line {i}"))
            };
            state.log("oss1", t, line);
        }
        state
    }

    fn objects(stdout: &str) -> Vec<serde_json::Value> {
        stdout
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn json_lines_have_journald_fields() {
        let mut state = logged(4);
        let out = run(&mut state, "oss1", "journalctl -o json --no-pager -n 2");
        assert_eq!(out.code, 0, "{}", out.stderr);
        let mut lines = out.stdout.lines();
        assert!(lines.next().unwrap().starts_with("-- Logs begin at "), "{}", out.stdout);
        let first = lines.next().unwrap();
        assert!(first.starts_with("{ \"__CURSOR\" : \"s="), "{first}");
        assert!(first.ends_with("\"_HOSTNAME\" : \"oss1\" }"), "{first}");
        let entries = objects(&out.stdout);
        assert_eq!(entries.len(), 2);
        let kernel = &entries[0];
        assert_eq!(kernel["MESSAGE"], "Lustre: line 2");
        assert_eq!(kernel["PRIORITY"], "6");
        assert_eq!(kernel["SYSLOG_IDENTIFIER"], "kernel");
        assert_eq!(kernel["_TRANSPORT"], "kernel");
        assert_eq!(kernel["__REALTIME_TIMESTAMP"], "1700000002000000");
        let daemon = &entries[1];
        assert_eq!(daemon["_TRANSPORT"], "syslog");
        assert_eq!(daemon["SYSLOG_PID"], "2001");
        assert_eq!(daemon["PRIORITY"], "5");
        for field in [
            "__CURSOR",
            "__MONOTONIC_TIMESTAMP",
            "_BOOT_ID",
            "_HOSTNAME",
            "SYSLOG_FACILITY",
        ] {
            assert!(daemon[field].is_string(), "{field}: {daemon}");
        }
    }

    #[test]
    fn after_cursor_reads_on_from_where_the_last_read_ended() {
        let mut state = logged(10);
        let last_two = objects(&run(&mut state, "oss1", "journalctl -o json -n 2").stdout);
        let cursor = last_two[0]["__CURSOR"].as_str().unwrap().to_string();
        let after = run(
            &mut state,
            "oss1",
            &format!("journalctl -o json --after-cursor='{cursor}'"),
        );
        assert_eq!(objects(&after.stdout), last_two[1..]);
        let bounded = run(
            &mut state,
            "oss1",
            &format!("journalctl -o json --after-cursor {cursor} -n 0"),
        );
        assert_eq!(bounded.stdout, "-- No entries --\n");
        let end = last_two[1]["__CURSOR"].as_str().unwrap();
        let nothing = run(&mut state, "oss1", &format!("journalctl -o json --after-cursor={end}"));
        assert!(nothing.stdout.ends_with("--\n-- No entries --\n"), "{}", nothing.stdout);
        assert_eq!(objects(&nothing.stdout).len(), 0);
        let quiet = run(
            &mut state,
            "oss1",
            &format!("journalctl -q -o json --after-cursor={end}"),
        );
        assert_eq!(quiet.stdout, "");
        state.log("oss1", 1_700_000_100_000_000, Line::kernel(3, "LustreError: new"));
        let more = objects(&run(&mut state, "oss1", &format!("journalctl -o json --after-cursor={end}")).stdout);
        assert_eq!(more.len(), 1);
        assert_eq!(more[0]["MESSAGE"], "LustreError: new");
        let bad = run(&mut state, "oss1", "journalctl -o json --after-cursor=nonsense");
        assert_eq!(
            (bad.code, bad.stderr.as_str()),
            (1, "Failed to seek to cursor: Invalid argument\n")
        );
    }

    #[test]
    fn since_priority_and_other_modes() {
        let mut state = logged(10);
        let since = objects(&run(&mut state, "oss1", "journalctl -o json --since=@1700000007 -n 2").stdout);
        let messages: Vec<&str> = since.iter().map(|e| e["MESSAGE"].as_str().unwrap()).collect();
        assert_eq!(messages, [" notice: line 7", "Lustre: line 8"]);
        let notices = objects(&run(&mut state, "oss1", "journalctl -o json -p notice -t pacemaker-controld").stdout);
        assert_eq!(notices.len(), 5);
        let cat = run(&mut state, "oss1", "journalctl -o cat -n 1 -q");
        assert_eq!(cat.stdout, " notice: line 9\n");
        let short = run(&mut state, "oss1", "journalctl -n 1 -q --no-pager");
        assert!(
            short
                .stdout
                .ends_with(" oss1 pacemaker-controld[2001]:  notice: line 9\n"),
            "{}",
            short.stdout
        );
        assert_eq!(run(&mut state, "oss1", "journalctl --bogus").code, 1);
        assert_eq!(
            run(&mut state, "oss1", "journalctl --since=yesterday").stderr,
            "Failed to parse timestamp: yesterday\n"
        );
    }

    #[test]
    fn follow_prints_the_tail_then_what_comes() {
        let mut state = logged(3);
        let argv = |line: &str| shell_words::split(line).unwrap();
        assert!(super::Follow::requested(&argv("-f -o json -n 0")));
        assert!(!super::Follow::requested(&argv("-o json -n 0")));
        let (out, mut follow) = super::follow(&argv("-f -o json --no-pager -n 0"), &state, "oss1").unwrap();
        assert!(
            out.stdout.starts_with("-- Logs begin at ") && out.stdout.ends_with(" UTC. --\n"),
            "{}",
            out.stdout
        );
        assert_eq!(objects(&out.stdout).len(), 0);
        assert_eq!(follow.more(&state, "oss1"), "");
        state.log("oss1", 1_700_000_100_000_000, Line::kernel(6, "Lustre: later"));
        let more = objects(&follow.more(&state, "oss1"));
        assert_eq!(more.len(), 1);
        assert_eq!(more[0]["MESSAGE"], "Lustre: later");
        assert_eq!(follow.more(&state, "oss1"), "");
        // From a cursor: what came after it, then what comes.
        let cursor = more[0]["__CURSOR"].as_str().unwrap().to_string();
        state.log("oss1", 1_700_000_101_000_000, Line::kernel(6, "Lustre: even later"));
        let (out, mut follow) =
            super::follow(&argv(&format!("-f -o json --after-cursor={cursor}")), &state, "oss1").unwrap();
        assert_eq!(objects(&out.stdout)[0]["MESSAGE"], "Lustre: even later");
        state.log("oss1", 1_700_000_102_000_000, Line::kernel(6, "Lustre: last"));
        assert_eq!(objects(&follow.more(&state, "oss1"))[0]["MESSAGE"], "Lustre: last");
    }

    #[test]
    fn long_or_unprintable_messages_print_like_journald() {
        let mut state = cluster();
        state.log("oss1", 1_700_000_000_000_000, Line::kernel(6, "x".repeat(5000)));
        state.log("oss1", 1_700_000_001_000_000, Line::kernel(6, "bell\u{7}"));
        state.log("oss1", 1_700_000_002_000_000, Line::kernel(6, "quote \" and\nnewline"));
        let out = objects(&run(&mut state, "oss1", "journalctl -o json -n 3").stdout);
        assert!(out[0]["MESSAGE"].is_null());
        assert_eq!(out[1]["MESSAGE"], serde_json::json!([98, 101, 108, 108, 7]));
        assert_eq!(out[2]["MESSAGE"], "quote \" and\nnewline");
        let all = objects(&run(&mut state, "oss1", "journalctl -a -o json -n 3").stdout);
        assert_eq!(all[0]["MESSAGE"].as_str().unwrap().len(), 5000);
    }
}
