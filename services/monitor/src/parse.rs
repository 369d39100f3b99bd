//! What one poll of a server read, parsed: Lustre statistics with
//! Whamcloud's `lustre_collector`, CPU, memory and LNet counters, per-job
//! statistics (`job_stats` YAML), Pacemaker's view (`crm_mon
//! --output-as=xml`), the HA daemons' states (`systemctl is-active`) and
//! journal lines (`journalctl -o json`). A section that cannot be
//! parsed is reported in `problems` and the rest is still used.

use chrono::{DateTime, Utc};
use lustre::pacemaker::ClusterStatus;
use lustre_collector::{HostStats, LNetStats, NodeStats, Record, TargetStats};
use std::collections::{BTreeMap, HashMap};

use crate::poll::Section;

/// Counters of one Lustre statistic: how many operations and, for
/// byte counts, their total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counter {
    pub samples: u64,
    pub sum: u64,
}

/// A target mounted on the polled server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetReading {
    pub kbytes_total: Option<u64>,
    pub kbytes_free: Option<u64>,
    pub kbytes_avail: Option<u64>,
    pub files_total: Option<u64>,
    pub files_free: Option<u64>,
    pub exports: Option<u64>,
    /// `obdfilter.*.stats` or `mdt.*.md_stats` lines by name.
    pub stats: BTreeMap<String, Counter>,
}

/// CPU time counters (jiffies), from the first line of `/proc/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cpu {
    pub user: u64,
    pub system: u64,
    pub iowait: u64,
    pub total: u64,
}

/// `/proc/meminfo` in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    pub total_kb: u64,
    pub free_kb: u64,
}

/// LNet's counters (`lnetctl stats show`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lnet {
    pub send_count: i64,
    pub recv_count: i64,
    pub drop_count: i64,
    pub send_length: i64,
    pub recv_length: i64,
}

/// One job's counters on one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobCounters {
    pub job: String,
    pub read_bytes: u64,
    pub write_bytes: u64,
    /// Every operation counted, I/O included.
    pub ops: u64,
}

/// One journal entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalLine {
    pub cursor: String,
    pub at: DateTime<Utc>,
    /// syslog name: `emerg` … `debug`.
    pub severity: &'static str,
    pub source: String,
    pub message: String,
}

/// A fencing action in crm_mon's `fence_history`, with when it completed
/// (which `lustre::pacemaker::FenceAction` does not keep).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    /// The node fenced.
    pub target: String,
    pub action: String,
    pub succeeded: bool,
    /// The node that carried it out.
    pub delegate: Option<String>,
    pub completed: Option<DateTime<Utc>>,
}

/// Everything one poll of one server read.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    /// When the server's answer arrived (counters are rated by it).
    pub read_at: Option<DateTime<Utc>>,
    /// Lustre's statistics parsed: which targets run here is known.
    pub lctl_ok: bool,
    /// Mounted targets by Lustre name (`fs1-OST0000`, `MGS`).
    pub targets: BTreeMap<String, TargetReading>,
    /// `health_check`: `Some(false)` when Lustre reports itself unhealthy.
    pub healthy: Option<bool>,
    pub lustre_memused: Option<u64>,
    pub cpu: Option<Cpu>,
    pub memory: Option<Memory>,
    /// `None` when LNet is not running (lnetctl fails).
    pub lnet: Option<Lnet>,
    /// Per-job counters by target name.
    pub jobs: BTreeMap<String, Vec<JobCounters>>,
    /// `None` when the server has no Pacemaker (crm_mon printed no XML).
    pub pacemaker: Option<ClusterStatus>,
    /// crm_mon's fencing history with completion times.
    pub fences: Vec<Fence>,
    /// `systemctl is-active` of each of [`crate::poll::HA_UNITS`]
    /// (`active`, `inactive`, `failed`, `activating`…), when asked.
    pub ha_units: Option<Vec<(&'static str, String)>>,
    pub journal: Vec<JournalLine>,
    /// What could not be parsed, to log.
    pub problems: Vec<String>,
}

/// Parses the sections of one poll.
pub fn reading(sections: &HashMap<Section, String>) -> Reading {
    let mut out = Reading::default();
    let text = |s: Section| sections.get(&s).map(String::as_str).unwrap_or_default();
    match lustre_collector::parse_lctl_output(text(Section::Lctl).as_bytes()) {
        Ok(records) => {
            out.lctl_ok = true;
            lustre_records(&mut out, records);
        }
        Err(e) => out.problems.push(format!("lctl get_param: {e}")),
    }
    cpu(&mut out, text(Section::Cpu));
    memory(&mut out, text(Section::Memory));
    lnet(&mut out, text(Section::Lnet));
    match job_stats(text(Section::Jobs)) {
        Ok(jobs) => out.jobs = jobs,
        Err(e) => out.problems.push(format!("job_stats: {e}")),
    }
    match pacemaker(text(Section::Pacemaker)) {
        Ok(status) => out.pacemaker = status,
        Err(e) => out.problems.push(format!("crm_mon: {e}")),
    }
    out.fences = fences(text(Section::Pacemaker));
    if let Some(units) = sections.get(&Section::HaUnits) {
        match ha_units(units) {
            Ok(units) => out.ha_units = Some(units),
            Err(e) => out.problems.push(format!("systemctl is-active: {e}")),
        }
    }
    out.journal = journal(text(Section::Journal), &mut out.problems);
    out
}

fn lustre_records(out: &mut Reading, records: Vec<Record>) {
    for record in records {
        match record {
            Record::Target(stat) => target_record(out, stat),
            Record::Host(HostStats::Memused(s)) => out.lustre_memused = Some(s.value),
            Record::Host(HostStats::HealthCheck(s)) => out.healthy = Some(s.value.healthy),
            _ => {}
        }
    }
}

fn target_record(out: &mut Reading, stat: TargetStats) {
    fn entry<'r>(out: &'r mut Reading, name: &str) -> &'r mut TargetReading {
        out.targets.entry(name.to_owned()).or_default()
    }
    match stat {
        TargetStats::KBytesTotal(s) => entry(out, &s.target.0).kbytes_total = Some(s.value),
        TargetStats::KBytesFree(s) => entry(out, &s.target.0).kbytes_free = Some(s.value),
        TargetStats::KBytesAvail(s) => entry(out, &s.target.0).kbytes_avail = Some(s.value),
        TargetStats::FilesTotal(s) => entry(out, &s.target.0).files_total = Some(s.value),
        TargetStats::FilesFree(s) => entry(out, &s.target.0).files_free = Some(s.value),
        TargetStats::NumExports(s) => entry(out, &s.target.0).exports = Some(s.value),
        TargetStats::Stats(s) => {
            let target = entry(out, &s.target.0);
            for line in s.value {
                let counter = Counter {
                    samples: line.samples,
                    sum: line.sum.unwrap_or_default(),
                };
                target.stats.insert(line.name, counter);
            }
        }
        _ => {}
    }
}

fn cpu(out: &mut Reading, text: &str) {
    let Some(line) = text.lines().find(|l| l.starts_with("cpu ")) else {
        return;
    };
    match lustre_collector::parse_cpustats_output(line.as_bytes()) {
        Ok(records) => {
            let mut cpu = Cpu {
                user: 0,
                system: 0,
                iowait: 0,
                total: 0,
            };
            for record in records {
                match record {
                    Record::Node(NodeStats::CpuUser(s)) => cpu.user = s.value,
                    Record::Node(NodeStats::CpuSystem(s)) => cpu.system = s.value,
                    Record::Node(NodeStats::CpuIowait(s)) => cpu.iowait = s.value,
                    Record::Node(NodeStats::CpuTotal(s)) => cpu.total = s.value,
                    _ => {}
                }
            }
            out.cpu = Some(cpu);
        }
        Err(e) => out.problems.push(format!("/proc/stat: {e}")),
    }
}

fn memory(out: &mut Reading, text: &str) {
    if text.trim().is_empty() {
        return;
    }
    match lustre_collector::parse_meminfo_output(text.as_bytes()) {
        Ok(records) => {
            let (mut total, mut free) = (None, None);
            for record in records {
                match record {
                    Record::Node(NodeStats::MemTotal(s)) => total = Some(s.value),
                    Record::Node(NodeStats::MemFree(s)) => free = Some(s.value),
                    _ => {}
                }
            }
            if let (Some(total_kb), Some(free_kb)) = (total, free) {
                out.memory = Some(Memory { total_kb, free_kb });
            }
        }
        Err(e) => out.problems.push(format!("/proc/meminfo: {e}")),
    }
}

fn lnet(out: &mut Reading, text: &str) {
    if !text.contains("statistics:") {
        return;
    }
    match lustre_collector::parse_lnetctl_stats(text.as_bytes()) {
        Ok(records) => {
            let mut lnet = Lnet::default();
            for record in records {
                match record {
                    Record::LNetStat(LNetStats::SendCount(s)) => lnet.send_count += s.value,
                    Record::LNetStat(LNetStats::RecvCount(s)) => lnet.recv_count += s.value,
                    Record::LNetStat(LNetStats::DropCount(s)) => lnet.drop_count += s.value,
                    Record::LNetStat(LNetStats::SendLength(s)) => lnet.send_length = s.value,
                    Record::LNetStat(LNetStats::RecvLength(s)) => lnet.recv_length = s.value,
                    _ => {}
                }
            }
            out.lnet = Some(lnet);
        }
        Err(e) => out.problems.push(format!("lnetctl stats: {e}")),
    }
}

#[derive(serde::Deserialize)]
struct JobStatsDoc {
    job_stats: Option<Vec<JobEntry>>,
}

#[derive(serde::Deserialize)]
struct JobEntry {
    job_id: serde_yaml::Value,
    #[serde(flatten)]
    stats: BTreeMap<String, serde_yaml::Value>,
}

/// `lctl get_param *.*.job_stats`: a `NAME=` line per target, then YAML.
fn job_stats(text: &str) -> Result<BTreeMap<String, Vec<JobCounters>>, String> {
    let mut blocks: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_suffix(".job_stats=") {
            let target = name.split_once('.').map_or(name, |(_, t)| t);
            blocks.push((target.to_owned(), String::new()));
        } else if let Some((_, yaml)) = blocks.last_mut() {
            yaml.push_str(line);
            yaml.push('\n');
        }
    }
    let mut out = BTreeMap::new();
    for (target, yaml) in blocks {
        let doc: JobStatsDoc = serde_yaml::from_str(&yaml).map_err(|e| format!("{target}: {e}"))?;
        let jobs = doc
            .job_stats
            .unwrap_or_default()
            .into_iter()
            .map(job_counters)
            .collect();
        out.insert(target, jobs);
    }
    Ok(out)
}

fn job_counters(entry: JobEntry) -> JobCounters {
    let field = |stat: &serde_yaml::Value, name: &str| stat.get(name).and_then(serde_yaml::Value::as_u64).unwrap_or(0);
    let mut counters = JobCounters {
        job: match entry.job_id {
            serde_yaml::Value::String(s) => s,
            other => serde_yaml::to_string(&other).unwrap_or_default().trim().to_owned(),
        },
        read_bytes: 0,
        write_bytes: 0,
        ops: 0,
    };
    for (name, stat) in &entry.stats {
        if !stat.is_mapping() {
            continue;
        }
        match name.as_str() {
            "read_bytes" => counters.read_bytes = field(stat, "sum"),
            "write_bytes" => counters.write_bytes = field(stat, "sum"),
            _ => {}
        }
        counters.ops += field(stat, "samples");
    }
    counters
}

/// The cluster as crm_mon shows it (resources also inside groups and
/// clones); `None` when there is no Pacemaker output.
fn pacemaker(text: &str) -> Result<Option<ClusterStatus>, String> {
    if !text.contains('<') {
        return Ok(None);
    }
    ClusterStatus::parse(text).map(Some)
}

/// `fence_event`s of crm_mon's XML (none when it printed none or no XML).
fn fences(text: &str) -> Vec<Fence> {
    let Some(start) = text.find('<') else {
        return Vec::new();
    };
    let Ok(doc) = roxmltree::Document::parse(&text[start..]) else {
        return Vec::new();
    };
    doc.descendants()
        .filter(|n| n.has_tag_name("fence_event"))
        .map(|n| Fence {
            target: n.attribute("target").unwrap_or_default().to_owned(),
            action: n.attribute("action").unwrap_or_default().to_owned(),
            succeeded: n.attribute("status") == Some("success"),
            delegate: n.attribute("delegate").map(str::to_owned),
            completed: n.attribute("completed").and_then(crm_time),
        })
        .collect()
}

/// A time as crm_mon prints it: `2026-12-06 05:00:00Z`, or with an offset
/// (`2026-12-06 06:00:00 +01:00`) when the server's zone is not UTC.
fn crm_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Some(utc) = text.strip_suffix('Z') {
        let naive = chrono::NaiveDateTime::parse_from_str(utc.trim_end(), "%Y-%m-%d %H:%M:%S").ok()?;
        return Some(naive.and_utc());
    }
    ["%Y-%m-%d %H:%M:%S %:z", "%Y-%m-%d %H:%M:%S%:z", "%Y-%m-%d %H:%M:%S %z"]
        .iter()
        .find_map(|f| DateTime::parse_from_str(text, f).ok())
        .or_else(|| DateTime::parse_from_rfc3339(text).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// `systemctl is-active UNIT…`: one state per line, in the order asked.
fn ha_units(text: &str) -> Result<Vec<(&'static str, String)>, String> {
    let states: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if states.len() != crate::poll::HA_UNITS.len() {
        return Err(format!(
            "{} lines for {} units: {text:?}",
            states.len(),
            crate::poll::HA_UNITS.len()
        ));
    }
    Ok(crate::poll::HA_UNITS
        .into_iter()
        .zip(states)
        .map(|(unit, state)| (unit, state.to_owned()))
        .collect())
}

const SEVERITIES: [&str; 8] = ["emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"];

/// `journalctl -o json`: one object per line.
pub fn journal(text: &str, problems: &mut Vec<String>) -> Vec<JournalLine> {
    let mut lines = Vec::new();
    for raw in text.lines().filter(|l| l.starts_with('{')) {
        let entry: serde_json::Value = match serde_json::from_str(raw) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("journal line: {e}"));
                continue;
            }
        };
        let field = |name: &str| entry.get(name).and_then(serde_json::Value::as_str);
        let (Some(cursor), Some(micros)) = (
            field("__CURSOR"),
            field("__REALTIME_TIMESTAMP").and_then(|t| t.parse::<i64>().ok()),
        ) else {
            problems.push("journal line without __CURSOR or __REALTIME_TIMESTAMP".into());
            continue;
        };
        let Some(at) = DateTime::from_timestamp_micros(micros) else {
            continue;
        };
        let priority = field("PRIORITY").and_then(|p| p.parse::<usize>().ok()).unwrap_or(6);
        // journald gives MESSAGE as an array of bytes when it is not UTF-8.
        let message = match entry.get("MESSAGE") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Array(bytes)) => {
                let bytes: Vec<u8> = bytes
                    .iter()
                    .filter_map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                    .collect();
                String::from_utf8_lossy(&bytes).into_owned()
            }
            _ => String::new(),
        };
        lines.push(JournalLine {
            cursor: cursor.to_owned(),
            at,
            severity: SEVERITIES.get(priority).copied().unwrap_or("info"),
            source: field("SYSLOG_IDENTIFIER")
                .or(field("_COMM"))
                .unwrap_or("unknown")
                .to_owned(),
            message,
        });
    }
    lines
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;

    #[test]
    fn job_stats_of_several_targets() {
        let text = "obdfilter.fs1-OST0000.job_stats=\njob_stats:\n- job_id:          dd.0\n  snapshot_time:   1700000000\n  \
                    read_bytes:      { samples:          30, unit: bytes, min:    4096, max: 1048576, sum:        1000 }\n  \
                    write_bytes:     { samples:          20, unit: bytes, min:    4096, max: 1048576, sum:         500 }\n\
                    mdt.fs1-MDT0000.job_stats=\njob_stats:\n";
        let jobs = job_stats(text).unwrap();
        assert_eq!(
            jobs.get("fs1-OST0000").unwrap(),
            &vec![JobCounters {
                job: "dd.0".into(),
                read_bytes: 1000,
                write_bytes: 500,
                ops: 50
            }]
        );
        assert_eq!(jobs.get("fs1-MDT0000").unwrap(), &Vec::new());
    }

    #[test]
    fn crm_mon_resources_and_their_nodes() {
        let xml = r#"<?xml version="1.0"?>
<crm_mon version="2.1.5">
  <nodes><node name="oss1" id="1" online="true"/></nodes>
  <resources>
    <resource id="fs1-OST0000" role="Started" active="true" failed="false" nodes_running_on="1">
      <node name="oss2" id="3" cached="true"/>
    </resource>
    <resource id="MGS" role="Stopped" active="false" failed="true" nodes_running_on="0"/>
  </resources>
</crm_mon>"#;
        let resources = pacemaker(xml).unwrap().unwrap().resources;
        assert_eq!(resources.len(), 2);
        assert_eq!(resources[0].nodes, vec!["oss2".to_owned()]);
        assert!(resources[1].failed && resources[1].nodes.is_empty());
        assert_eq!(pacemaker("").unwrap(), None);
        assert!(pacemaker("<crm_mon").is_err());
    }

    #[test]
    fn fence_history_with_completion_times() {
        let xml = r#"<pacemaker-result><fence_history>
    <fence_event action="reboot" target="oss1.cluster" client="pacemaker-controld.1" origin="oss2.cluster" status="success" delegate="oss2.cluster" completed="2026-12-06 05:00:00Z"/>
    <fence_event action="reboot" target="oss1.cluster" status="failed" exit-reason="no power" delegate="oss2.cluster" completed="2026-12-06 06:00:00 +01:00"/>
    <fence_event action="off" target="oss2.cluster" status="pending"/>
</fence_history></pacemaker-result>"#;
        let fences = fences(xml);
        assert_eq!(fences.len(), 3);
        let at = "2026-12-06T05:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(fences[0].completed, Some(at));
        assert!(fences[0].succeeded && !fences[1].succeeded);
        assert_eq!(fences[1].completed, Some(at));
        assert_eq!(fences[2].completed, None);
        assert_eq!(fences[0].delegate.as_deref(), Some("oss2.cluster"));
        assert!(super::fences("crm_mon: connection refused").is_empty());
    }

    #[test]
    fn ha_unit_states_are_read_line_by_line() {
        let sections = HashMap::from([(Section::HaUnits, "active\nfailed\n".to_owned())]);
        let units = reading(&sections).ha_units.unwrap();
        assert_eq!(
            units,
            vec![("corosync", "active".to_owned()), ("pacemaker", "failed".to_owned())]
        );
        let garbled = reading(&HashMap::from([(Section::HaUnits, String::new())]));
        assert!(garbled.ha_units.is_none() && !garbled.problems.is_empty());
        assert!(reading(&HashMap::new()).ha_units.is_none());
    }

    #[test]
    fn journal_entries_with_priorities() {
        let text = r#"{"__CURSOR":"s=a;i=1","__REALTIME_TIMESTAMP":"1700000000000000","PRIORITY":"3","SYSLOG_IDENTIFIER":"kernel","MESSAGE":"LustreError: oops"}
{"__CURSOR":"s=a;i=2","__REALTIME_TIMESTAMP":"1700000001000000","MESSAGE":[104,105]}
not json"#;
        let mut problems = Vec::new();
        let lines = journal(text, &mut problems);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].severity, "error");
        assert_eq!(lines[0].source, "kernel");
        assert_eq!(lines[1].message, "hi");
        assert_eq!(lines[1].severity, "info");
        assert!(problems.is_empty(), "{problems:?}");
    }
}
