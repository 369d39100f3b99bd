//! Readings become samples of named metrics: gauges as read, counters as
//! per-second rates. File-system series are sums over its targets, written
//! at collection time so a dashboard reads one series, not one per target.

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use store::metrics::{ObjectKind, Sample, SeriesKey};
use uuid::Uuid;

use crate::parse::{Reading, TargetReading};
use crate::rates::Rates;

/// Adds samples to a list, keyed to one object.
struct Out<'a> {
    samples: &'a mut Vec<Sample>,
    kind: ObjectKind,
    id: Uuid,
}

impl Out<'_> {
    fn push(&mut self, name: &str, value: Option<f64>) {
        if let Some(value) = value {
            self.samples.push(Sample {
                key: SeriesKey {
                    kind: self.kind,
                    object_id: self.id,
                    name: name.to_owned(),
                },
                value,
            });
        }
    }
}

fn kib(v: Option<u64>) -> Option<f64> {
    v.map(|v| v as f64 * 1024.0)
}

/// The samples of one mounted target.
pub fn target(
    samples: &mut Vec<Sample>,
    rates: &mut Rates,
    at: DateTime<Utc>,
    id: Uuid,
    is_mdt: bool,
    reading: &TargetReading,
) {
    let mut out = Out {
        samples,
        kind: ObjectKind::Target,
        id,
    };
    out.push("space_total", kib(reading.kbytes_total));
    out.push("space_free", kib(reading.kbytes_free));
    out.push("space_avail", kib(reading.kbytes_avail));
    let used = reading
        .kbytes_total
        .zip(reading.kbytes_free)
        .map(|(t, f)| t.saturating_sub(f));
    out.push("space_used", kib(used));
    out.push("inodes_total", reading.files_total.map(|v| v as f64));
    out.push("inodes_free", reading.files_free.map(|v| v as f64));
    let used = reading
        .files_total
        .zip(reading.files_free)
        .map(|(t, f)| t.saturating_sub(f));
    out.push("inodes_used", used.map(|v| v as f64));
    out.push("clients", reading.exports.map(|v| v as f64));
    let mut rate =
        |name: &str, value: Option<u64>| value.and_then(|v| rates.rate(format!("target/{id}/{name}"), at, v as f64));
    let stat = |name: &str| reading.stats.get(name).copied();
    let read_bytes = rate("read_bytes", stat("read_bytes").map(|c| c.sum));
    let write_bytes = rate("write_bytes", stat("write_bytes").map(|c| c.sum));
    let read_iops = rate("read_iops", stat("read_bytes").map(|c| c.samples));
    let write_iops = rate("write_iops", stat("write_bytes").map(|c| c.samples));
    out.push("read_bytes", read_bytes);
    out.push("write_bytes", write_bytes);
    out.push("read_iops", read_iops);
    out.push("write_iops", write_iops);
    // Without `md_stats` this round (unreadable), nothing: counting every
    // operation as 0 would make the next rate a spike.
    if is_mdt && !reading.stats.is_empty() {
        for op in store::metric_query::MD_OPS {
            let name = format!("md_ops_{op}");
            // An operation never done has no stats line: its count is 0.
            let count = stat(op).map_or(0, |c| c.samples);
            let value = rate(&name, Some(count));
            out.push(&name, value);
        }
    }
}

/// The samples of one server.
pub fn host(samples: &mut Vec<Sample>, rates: &mut Rates, at: DateTime<Utc>, id: Uuid, reading: &Reading) {
    let mut out = Out {
        samples,
        kind: ObjectKind::Host,
        id,
    };
    if let Some(cpu) = reading.cpu {
        let mut delta = |name: &str, v: u64| rates.delta(format!("host/{id}/{name}"), at, v as f64);
        let total = delta("cpu_total", cpu.total);
        let user = delta("cpu_user", cpu.user);
        let system = delta("cpu_system", cpu.system);
        let iowait = delta("cpu_iowait", cpu.iowait);
        if let Some(total) = total.filter(|t| *t > 0.0) {
            let share = |v: Option<f64>| v.map(|v| (v / total * 100.0).clamp(0.0, 100.0));
            out.push("cpu_user", share(user));
            out.push("cpu_system", share(system));
            out.push("cpu_iowait", share(iowait));
            out.push("cpu_used", share(user.zip(system).map(|(u, s)| u + s)));
        }
    }
    if let Some(memory) = reading.memory {
        out.push("mem_total", kib(Some(memory.total_kb)));
        out.push("mem_free", kib(Some(memory.free_kb)));
        out.push("mem_used", kib(Some(memory.total_kb.saturating_sub(memory.free_kb))));
    }
    out.push("lustre_mem_used", reading.lustre_memused.map(|v| v as f64));
    if let Some(lnet) = reading.lnet {
        let mut rate = |name: &str, v: i64| rates.rate(format!("host/{id}/{name}"), at, v as f64);
        let values = [
            ("lnet_send", rate("lnet_send", lnet.send_count)),
            ("lnet_recv", rate("lnet_recv", lnet.recv_count)),
            ("lnet_drop", rate("lnet_drop", lnet.drop_count)),
            ("lnet_send_bytes", rate("lnet_send_bytes", lnet.send_length)),
            ("lnet_recv_bytes", rate("lnet_recv_bytes", lnet.recv_length)),
        ];
        for (name, value) in values {
            out.push(name, value);
        }
    }
}

/// What a file system's series are made of: its targets' samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Mdt,
    Ost,
}

/// File-system series from the samples of its targets: space and
/// bandwidth summed over OSTs, inodes and metadata operations over MDTs,
/// clients the most any MDT sees. A total is written only when every one
/// of the `expected` MDTs or OSTs (per file system) gave its part: a
/// server that did not answer would otherwise show as a dip in the file
/// system's space or bandwidth.
pub fn filesystems(
    samples: &mut Vec<Sample>,
    targets: &BTreeMap<Uuid, (Uuid, Role)>,
    expected: &BTreeMap<(Uuid, Role), usize>,
) {
    let mut sums: BTreeMap<(Uuid, String), f64> = BTreeMap::new();
    let mut parts: BTreeMap<(Uuid, String), usize> = BTreeMap::new();
    for sample in samples.iter().filter(|s| s.key.kind == ObjectKind::Target) {
        let Some((fs, role)) = targets.get(&sample.key.object_id) else {
            continue;
        };
        let name = sample.key.name.as_str();
        let counts = match role {
            Role::Ost => name.starts_with("space_") || name.ends_with("_bytes") || name.ends_with("_iops"),
            Role::Mdt => name.starts_with("inodes_") || name.starts_with("md_ops_") || name == "clients",
        };
        if !counts {
            continue;
        }
        *parts.entry((*fs, name.to_owned())).or_insert(0) += 1;
        let entry = sums.entry((*fs, name.to_owned())).or_insert(0.0);
        *entry = if name == "clients" {
            entry.max(sample.value)
        } else {
            *entry + sample.value
        };
    }
    for ((fs, name), value) in sums {
        let role = if name.starts_with("inodes_") || name.starts_with("md_ops_") || name == "clients" {
            Role::Mdt
        } else {
            Role::Ost
        };
        let given = parts.get(&(fs, name.clone())).copied().unwrap_or(0);
        if given < expected.get(&(fs, role)).copied().unwrap_or(0) {
            continue;
        }
        samples.push(Sample {
            key: SeriesKey {
                kind: ObjectKind::Filesystem,
                object_id: fs,
                name,
            },
            value,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Counter;

    #[test]
    fn ost_bandwidth_becomes_rates_and_sums_into_its_filesystem() {
        let mut rates = Rates::default();
        let (fs, ost) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let mut reading = TargetReading {
            kbytes_total: Some(1000),
            kbytes_free: Some(250),
            ..Default::default()
        };
        reading
            .stats
            .insert("write_bytes".into(), Counter { samples: 10, sum: 1000 });
        let mut first = Vec::new();
        target(&mut first, &mut rates, t0, ost, false, &reading);
        assert!(!first.iter().any(|s| s.key.name == "write_bytes"));
        reading
            .stats
            .insert("write_bytes".into(), Counter { samples: 30, sum: 6000 });
        let mut second = Vec::new();
        target(
            &mut second,
            &mut rates,
            t0 + chrono::Duration::seconds(10),
            ost,
            false,
            &reading,
        );
        let value = |samples: &[Sample], kind, name: &str| {
            samples
                .iter()
                .find(|s| s.key.kind == kind && s.key.name == name)
                .map(|s| s.value)
        };
        assert_eq!(value(&second, ObjectKind::Target, "write_bytes"), Some(500.0));
        assert_eq!(value(&second, ObjectKind::Target, "write_iops"), Some(2.0));
        assert_eq!(value(&second, ObjectKind::Target, "space_used"), Some(750.0 * 1024.0));
        let roles = BTreeMap::from([(ost, (fs, Role::Ost))]);
        // With a second OST that gave nothing, no total.
        let mut partial = second.clone();
        filesystems(&mut partial, &roles, &BTreeMap::from([((fs, Role::Ost), 2)]));
        assert_eq!(value(&partial, ObjectKind::Filesystem, "space_total"), None);
        filesystems(&mut second, &roles, &BTreeMap::from([((fs, Role::Ost), 1)]));
        assert_eq!(value(&second, ObjectKind::Filesystem, "write_bytes"), Some(500.0));
        assert_eq!(
            value(&second, ObjectKind::Filesystem, "space_total"),
            Some(1000.0 * 1024.0)
        );
    }
}
