//! The one command a poll runs on a server, and the sections of its
//! output. Every source is read in the same SSH exec so a poll costs one
//! round trip per host; each section is introduced by a marker line, and a
//! source that fails (no Pacemaker, LNet down) leaves its section empty
//! or holding only its error.

use std::collections::HashMap;

/// Parameters `lctl get_param` is asked for, all parsed by
/// `lustre_collector::parse_lctl_output`.
pub const LCTL_PARAMS: &[&str] = &[
    "memused",
    "lnet_memused",
    "health_check",
    "osd-*.*.filesfree",
    "osd-*.*.filestotal",
    "osd-*.*.kbytesavail",
    "osd-*.*.kbytesfree",
    "osd-*.*.kbytestotal",
    "obdfilter.*OST*.stats",
    "obdfilter.*OST*.num_exports",
    "mdt.*.md_stats",
    "mdt.*MDT*.num_exports",
];

/// The sections of a poll's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    Lctl,
    Cpu,
    Memory,
    Lnet,
    Jobs,
    Pacemaker,
    /// `systemctl is-active corosync pacemaker` (HA cluster members only).
    HaUnits,
    Journal,
}

impl Section {
    const ALL: [Section; 8] = [
        Section::Lctl,
        Section::Cpu,
        Section::Memory,
        Section::Lnet,
        Section::Jobs,
        Section::Pacemaker,
        Section::HaUnits,
        Section::Journal,
    ];

    fn marker(self) -> &'static str {
        match self {
            Section::Lctl => "@@chroma-lctl",
            Section::Cpu => "@@chroma-cpu",
            Section::Memory => "@@chroma-mem",
            Section::Lnet => "@@chroma-lnet",
            Section::Jobs => "@@chroma-jobs",
            Section::Pacemaker => "@@chroma-crm",
            Section::HaUnits => "@@chroma-ha-units",
            Section::Journal => "@@chroma-journal",
        }
    }
}

/// How many of its latest journal lines are read from a server met for
/// the first time.
pub const JOURNAL_BACKLOG: usize = 200;
/// Most journal lines one poll reads after the cursor (the rest come with
/// the next polls), so a long backlog cannot make a poll time out.
pub const JOURNAL_BATCH: usize = 1000;

/// How a poll reads the server's journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Journal<'a> {
    /// Not at all: a live stream reads it.
    Skip,
    /// The lines after this cursor.
    After(&'a str),
    /// Its last [`JOURNAL_BACKLOG`] lines (a server met for the first time).
    Latest,
}

/// The HA daemons whose state a member of an HA cluster reports, in the
/// order `systemctl is-active` prints them.
pub const HA_UNITS: [&str; 2] = ["corosync", "pacemaker"];

/// The shell script a poll runs (given to `sh -c` as one argument); the
/// HA daemons' states are asked of `ha_member`s only.
pub fn script(journal: Journal<'_>, ha_member: bool) -> Result<String, chroma_ssh::SshError> {
    let mut lctl = vec!["lctl", "get_param"];
    lctl.extend_from_slice(LCTL_PARAMS);
    let backlog = JOURNAL_BACKLOG.to_string();
    let batch = JOURNAL_BATCH.to_string();
    let after;
    let mut read = vec!["journalctl", "-o", "json", "--no-pager"];
    match journal {
        Journal::After(cursor) => {
            after = format!("--after-cursor={cursor}");
            read.extend([after.as_str(), "-n", batch.as_str()]);
        }
        Journal::Latest => read.extend(["-n", backlog.as_str()]),
        Journal::Skip => {}
    }
    let mut parts = vec![
        (Section::Lctl, chroma_ssh::command_line(&lctl)?),
        (Section::Cpu, "cat /proc/stat".to_owned()),
        (Section::Memory, "cat /proc/meminfo".to_owned()),
        (Section::Lnet, "lnetctl stats show".to_owned()),
        (
            Section::Jobs,
            "lctl get_param 'obdfilter.*.job_stats' 'mdt.*.job_stats'".to_owned(),
        ),
        (Section::Pacemaker, "crm_mon -1 --output-as=xml".to_owned()),
    ];
    if ha_member {
        // One line per unit (`active`, `inactive`, `failed`, …); its exit
        // status says only whether all are active.
        let mut units = vec!["systemctl", "is-active"];
        units.extend(HA_UNITS);
        parts.push((Section::HaUnits, chroma_ssh::command_line(&units)?));
    }
    if journal != Journal::Skip {
        parts.push((Section::Journal, chroma_ssh::command_line(&read)?));
    }
    Ok(parts
        .iter()
        .map(|(section, command)| format!("echo {}; {command} 2>/dev/null", section.marker()))
        .collect::<Vec<_>>()
        .join("; "))
}

/// Splits a poll's stdout into its sections (missing ones are empty).
pub fn sections(stdout: &str) -> HashMap<Section, String> {
    let mut out: HashMap<Section, String> = HashMap::new();
    let mut current: Option<Section> = None;
    for line in stdout.split_inclusive('\n') {
        let bare = line.trim_end();
        if let Some(section) = Section::ALL.into_iter().find(|s| s.marker() == bare) {
            current = Some(section);
            out.entry(section).or_default();
            continue;
        }
        if let Some(section) = current {
            out.entry(section).or_default().push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_quotes_the_cursor_and_marks_every_section() {
        let text = script(Journal::After("s=1;i=2 $(reboot)"), true).unwrap_or_default();
        assert!(text.contains("'--after-cursor=s=1;i=2 $(reboot)'"), "{text}");
        for section in Section::ALL {
            assert!(text.contains(section.marker()), "{text}");
        }
        assert!(text.contains("systemctl is-active corosync pacemaker"), "{text}");
        let first = script(Journal::Latest, false).unwrap_or_default();
        assert!(!first.contains("after-cursor") && first.contains("-n 200"), "{first}");
        assert!(!first.contains("systemctl") && !first.contains(Section::HaUnits.marker()));
        assert!(!script(Journal::Skip, false).unwrap_or_default().contains("journalctl"));
    }

    #[test]
    fn output_splits_at_the_markers() {
        let out = "@@chroma-lctl\nmemused=1\n@@chroma-cpu\ncpu 1 2\n@@chroma-jobs\n@@chroma-journal\n{}\n";
        let parts = sections(out);
        assert_eq!(parts.get(&Section::Lctl).map(String::as_str), Some("memused=1\n"));
        assert_eq!(parts.get(&Section::Cpu).map(String::as_str), Some("cpu 1 2\n"));
        assert_eq!(parts.get(&Section::Jobs).map(String::as_str), Some(""));
        assert_eq!(parts.get(&Section::Journal).map(String::as_str), Some("{}\n"));
        assert!(!parts.contains_key(&Section::Pacemaker));
    }
}
