//! `journalctl`: the host's journal ([`crate::journal`]) as systemd 239
//! (RHEL 8) prints it. Options: `-o|--output json|json-pretty|short|cat`,
//! `-n|--lines [N|all]`, `--after-cursor CURSOR`, `-S|--since @EPOCH`,
//! `-k|--dmesg`, `-t|--identifier ID`, `-p|--priority P[..Q]`, `-q|--quiet`,
//! `-a|--all`, `--no-pager`, `--utc`, `--no-hostname`, `-m|--merge`.
//!
//! Like the real one, it prints `-- Logs begin at …, end at … --` first
//! and `-- No entries --` when nothing matches, whatever the output mode,
//! unless `-q`; and it prints a field of 4096 bytes or more as `null` (and
//! one that is not printable text as an array of bytes) unless `-a`.

use super::{Context, Output};
use crate::journal::{Cursor, Entry, Journal};

/// Output modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Mode {
    #[default]
    Short,
    Json,
    JsonPretty,
    Cat,
}

/// What to show, from the command line.
#[derive(Debug, Default)]
struct Options {
    mode: Mode,
    lines: Option<usize>,
    after_cursor: Option<String>,
    since_us: Option<u64>,
    kernel_only: bool,
    identifiers: Vec<String>,
    priorities: Option<(u8, u8)>,
    quiet: bool,
    all: bool,
    no_hostname: bool,
}

/// `JSON_THRESHOLD` in `logs-show.c`.
const JSON_THRESHOLD: usize = 4096;

fn error(message: String) -> Output {
    Output::fail(format!("{message}\n"), 1)
}

/// Runs `journalctl OPTIONS…`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let opts = match parse(args) {
        Ok(opts) => opts,
        Err(out) => return out,
    };
    let Some(journal) = ctx.state.journals.get(&ctx.host) else {
        return Output::ok(if opts.quiet { "" } else { "-- No entries --\n" });
    };
    let boot_id = ctx.state.host(&ctx.host).map(|h| h.boot.id.clone()).unwrap_or_default();
    let wanted = |e: &&Entry| {
        (!opts.kernel_only || (e.transport.as_str() == "kernel" && e.boot_id == boot_id))
            && (opts.identifiers.is_empty() || opts.identifiers.contains(&e.identifier))
            && opts.priorities.is_none_or(|(lo, hi)| (lo..=hi).contains(&e.priority))
    };
    let limit = opts.lines.unwrap_or(usize::MAX);
    let shown: Vec<&Entry> = if let Some(text) = &opts.after_cursor {
        let Some(cursor) = Cursor::parse(text) else {
            return error("Failed to seek to cursor: Invalid argument".into());
        };
        let start = journal.position_after(&cursor);
        journal.entries.iter().skip(start).filter(wanted).take(limit).collect()
    } else if let Some(since) = opts.since_us {
        let start = journal.entries.partition_point(|e| e.realtime_us < since);
        journal.entries.iter().skip(start).filter(wanted).take(limit).collect()
    } else {
        let all: Vec<&Entry> = journal.entries.iter().filter(wanted).collect();
        let skip = all.len().saturating_sub(limit);
        all[skip..].to_vec()
    };
    let mut out = String::new();
    if !opts.quiet && opts.lines != Some(0) {
        if let (Some(first), Some(last)) = (journal.entries.front(), journal.entries.back()) {
            out.push_str(&format!(
                "-- Logs begin at {}, end at {}. --\n",
                timestamp(first.realtime_us),
                timestamp(last.realtime_us)
            ));
        }
    }
    for entry in &shown {
        let text = match opts.mode {
            Mode::Json | Mode::JsonPretty => json(journal, entry, &ctx.host, &opts),
            Mode::Short => short(entry, &ctx.host, opts.no_hostname),
            Mode::Cat => format!("{}\n", entry.message),
        };
        out.push_str(&text);
    }
    if shown.is_empty() && !opts.quiet {
        out.push_str("-- No entries --\n");
    }
    Output::ok(out)
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
            "-a" | "--all" => opts.all = true,
            "-k" | "--dmesg" => opts.kernel_only = true,
            "--no-hostname" => opts.no_hostname = true,
            "-o" | "--output" => {
                opts.mode = match value(arg, &mut iter) {
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

/// `format_timestamp`: `Mon 2024-01-01 12:00:00 UTC` (servers run in UTC).
fn timestamp(us: u64) -> String {
    datetime(us).format("%a %Y-%m-%d %H:%M:%S UTC").to_string()
}

fn datetime(us: u64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_micros(i64::try_from(us).unwrap_or(i64::MAX)).unwrap_or_default()
}

/// `output_short`: `Jan 01 12:00:00 host ident[pid]: message`.
fn short(entry: &Entry, host: &str, no_hostname: bool) -> String {
    let mut line = datetime(entry.realtime_us).format("%b %d %H:%M:%S").to_string();
    if !no_hostname {
        line.push_str(&format!(" {host}"));
    }
    line.push_str(&format!(" {}", entry.identifier));
    if let Some(pid) = entry.pid {
        line.push_str(&format!("[{pid}]"));
    }
    format!("{line}: {}\n", entry.message)
}

/// The fields after `_BOOT_ID`, in the order journald stores them.
fn fields(entry: &Entry, host: &str) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("_TRANSPORT", entry.transport.as_str().to_string()),
        ("PRIORITY", entry.priority.to_string()),
        ("SYSLOG_FACILITY", entry.facility.to_string()),
        ("SYSLOG_IDENTIFIER", entry.identifier.clone()),
    ];
    if let Some(pid) = entry.pid {
        fields.push(("SYSLOG_PID", pid.to_string()));
    }
    fields.push(("MESSAGE", entry.message.clone()));
    match entry.pid {
        Some(pid) => {
            fields.push(("_PID", pid.to_string()));
            fields.push(("_UID", "0".into()));
            fields.push(("_GID", "0".into()));
            fields.push(("_COMM", entry.identifier.clone()));
        }
        None => fields.push(("_SOURCE_MONOTONIC_TIMESTAMP", entry.monotonic_us.to_string())),
    }
    fields.push(("_MACHINE_ID", crate::journal::hex_id(&format!("machine {host}"))));
    fields.push(("_HOSTNAME", host.to_string()));
    fields
}

/// `output_json` of systemd 239: `{ "__CURSOR" : "…", … }` on one line
/// (`json`) or one field a line (`json-pretty`), every value a string.
fn json(journal: &Journal, entry: &Entry, host: &str, opts: &Options) -> String {
    let mut pairs = vec![
        ("__CURSOR", journal.cursor(entry)),
        ("__REALTIME_TIMESTAMP", entry.realtime_us.to_string()),
        ("__MONOTONIC_TIMESTAMP", entry.monotonic_us.to_string()),
        ("_BOOT_ID", entry.boot_id.clone()),
    ];
    pairs.extend(fields(entry, host));
    let items: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("\"{k}\" : {}", escape(v, opts.all)))
        .collect();
    if opts.mode == Mode::JsonPretty {
        format!("{{\n\t{}\n}}\n", items.join(",\n\t"))
    } else {
        format!("{{ {} }}\n", items.join(", "))
    }
}

/// `json_escape`: `null` past the threshold, an array of bytes for text
/// that is not printable, else a string escaping `"`, `\`, newlines and
/// other control characters.
fn escape(value: &str, all: bool) -> String {
    if !all && value.len() >= JSON_THRESHOLD {
        return "null".into();
    }
    let printable = value.chars().all(|c| !(c.is_control() && c != '\n' && c != '\t'));
    if !all && !printable {
        let bytes: Vec<String> = value.bytes().map(|b| b.to_string()).collect();
        return format!("[ {} ]", bytes.join(", "));
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
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
