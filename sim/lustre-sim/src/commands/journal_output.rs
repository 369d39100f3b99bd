//! How `journalctl` prints a journal entry, after systemd 239's
//! `logs-show.c` (RHEL 8): `json` and `json-pretty` (`output_json`),
//! `short` (`output_short`) and `cat`. A JSON field of 4096 bytes or more
//! prints as `null`, and one that is not printable text as an array of
//! bytes, unless `-a` (`--all`).

use crate::journal::{hex_id, Entry, Journal};

/// Output modes (`-o`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// `short`, the default.
    #[default]
    Short,
    /// `json`: one object a line.
    Json,
    /// `json-pretty`: one field a line.
    JsonPretty,
    /// `cat`: the message alone.
    Cat,
}

/// How entries print.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// The output mode.
    pub mode: Mode,
    /// `-a`: long and unprintable fields in full.
    pub all: bool,
    /// `--no-hostname` (short mode).
    pub no_hostname: bool,
}

/// `JSON_THRESHOLD` in `logs-show.c`.
const JSON_THRESHOLD: usize = 4096;

/// `entries` of `host`'s `journal`, as printed.
pub fn render(journal: &Journal, entries: &[&Entry], host: &str, style: &Style) -> String {
    let mut out = String::new();
    for entry in entries {
        out.push_str(&match style.mode {
            Mode::Json | Mode::JsonPretty => json(journal, entry, host, style),
            Mode::Short => short(entry, host, style.no_hostname),
            Mode::Cat => format!("{}\n", entry.message),
        });
    }
    out
}

/// `format_timestamp`: `Mon 2024-01-01 12:00:00 UTC` (servers run in UTC).
pub fn timestamp(us: u64) -> String {
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
    fields.push(("_MACHINE_ID", hex_id(&format!("machine {host}"))));
    fields.push(("_HOSTNAME", host.to_string()));
    fields
}

/// `output_json` of systemd 239: `{ "__CURSOR" : "…", … }` on one line
/// (`json`) or one field a line (`json-pretty`), every value a string.
fn json(journal: &Journal, entry: &Entry, host: &str, style: &Style) -> String {
    let mut pairs = vec![
        ("__CURSOR", journal.cursor(entry)),
        ("__REALTIME_TIMESTAMP", entry.realtime_us.to_string()),
        ("__MONOTONIC_TIMESTAMP", entry.monotonic_us.to_string()),
        ("_BOOT_ID", entry.boot_id.clone()),
    ];
    pairs.extend(fields(entry, host));
    let items: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("\"{k}\" : {}", escape(v, style.all)))
        .collect();
    if style.mode == Mode::JsonPretty {
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
mod tests {
    use super::escape;

    #[test]
    fn escapes_like_json_escape() {
        assert_eq!(
            escape("a \"b\" \\ c\nd\te", false),
            "\"a \\\"b\\\" \\\\ c\\nd\\u0009e\""
        );
        assert_eq!(escape("bell\u{7}", false), "[ 98, 101, 108, 108, 7 ]");
        assert_eq!(escape(&"x".repeat(4096), false), "null");
        assert_eq!(escape(&"x".repeat(4095), false).len(), 4097);
        assert_eq!(escape("bell\u{7}", true), "\"bell\\u0007\"");
    }
}
