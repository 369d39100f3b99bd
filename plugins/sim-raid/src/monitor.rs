//! `monitor`: statistics, and the attributes that change between
//! detections (health, free space).
//!
//! The numbers are made up but plausible and deterministic: they depend
//! only on the state and the time, so a restarted plugin carries on where
//! the last one left off and counters never go backwards.

use serde_json::{json, Value};

use crate::classes::LATENCY_BINS;
use crate::detect::lun_status;
use crate::ids;
use crate::state::{ArrayState, Health};

/// Rpm of a working fan.
const FAN_RPM: u64 = 5200;

/// The `monitor` result for `array` at `now` (seconds since the epoch).
pub fn monitor(array: &ArrayState, now: u64) -> Value {
    let mut statistics = Vec::new();
    let mut attributes = Vec::new();
    let stat = |resource: String, name: &str, value: Value| json!({"resource": resource, "name": name, "value": value});
    let attrs = |resource: String, values: Value| json!({"resource": resource, "values": values});

    for c in &array.controllers {
        attributes.push(attrs(ids::controller(&c.name), json!({"status": c.status.as_str()})));
    }
    for f in &array.fans {
        let rpm = match f.status {
            Health::Failed => 0,
            _ => FAN_RPM + wobble(now, u64::from(f.index), 200),
        };
        statistics.push(stat(ids::fan(f.index), "rpm", json!(rpm)));
        attributes.push(attrs(ids::fan(f.index), json!({"status": f.status.as_str()})));
    }
    for d in &array.disks {
        let temperature = d
            .temperature
            .unwrap_or_else(|| 31.0 + f64::from(d.slot % 4) + wobble(now, u64::from(d.slot), 20) as f64 / 10.0);
        statistics.push(stat(ids::disk(d.slot), "temperature", json!(temperature)));
        attributes.push(attrs(ids::disk(d.slot), json!({"status": d.status.as_str()})));
    }
    for p in &array.pools {
        let values = json!({"status": array.pool_status(p).as_str(), "free": array.pool_free(p)});
        attributes.push(attrs(ids::pool(&p.name), values));
    }
    let uptime = array.uptime(now);
    for (i, l) in array.luns.iter().enumerate() {
        let id = ids::lun(&l.name);
        let rate = 1 + (i as u64 % 4);
        statistics.push(stat(id.clone(), "read_bytes", json!(uptime * rate * 40_000_000)));
        statistics.push(stat(id.clone(), "write_bytes", json!(uptime * rate * 25_000_000)));
        statistics.push(stat(id.clone(), "latency", json!(latency(now, i as u64))));
        attributes.push(attrs(id, json!({"status": lun_status(array, &l.pool)})));
    }
    json!({"statistics": statistics, "attributes": attributes})
}

/// A value in `0..span` that changes every ten seconds.
fn wobble(now: u64, seed: u64, span: u64) -> u64 {
    let mixed = (now / 10 + 1)
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(seed.wrapping_mul(1_442_695_040_888_963_407));
    (mixed >> 33) % span.max(1)
}

/// Requests completed in the last interval, by latency bin (one more count
/// than there are bins: the last is for slower than the last bound).
fn latency(now: u64, seed: u64) -> Vec<u64> {
    let weights = [40, 30, 15, 8, 2];
    debug_assert_eq!(weights.len(), LATENCY_BINS.len() + 1);
    weights
        .iter()
        .enumerate()
        .map(|(bin, w)| w * 10 + wobble(now, seed * 8 + bin as u64, *w))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(result: &Value, resource: &str, name: &str) -> Vec<Value> {
        let stats = result["statistics"].as_array().cloned().unwrap_or_default();
        stats
            .into_iter()
            .filter(|s| s["resource"] == resource && s["name"] == name)
            .map(|s| s["value"].clone())
            .collect()
    }

    #[test]
    fn counters_grow_with_time() {
        let array = ArrayState::new(&[], 1000);
        let early = values(&monitor(&array, 1010), "lun-simdisk00000", "read_bytes");
        let later = values(&monitor(&array, 1020), "lun-simdisk00000", "read_bytes");
        assert!(early[0].as_u64() < later[0].as_u64(), "{early:?} {later:?}");
    }

    #[test]
    fn the_histogram_has_a_count_per_bin_and_one_more() {
        let array = ArrayState::new(&[], 0);
        let latency = values(&monitor(&array, 50), "lun-simdisk00003", "latency");
        assert_eq!(latency[0].as_array().map(Vec::len), Some(LATENCY_BINS.len() + 1));
    }

    #[test]
    fn a_failed_fan_reads_zero() {
        let mut array = ArrayState::new(&[], 0);
        assert!(values(&monitor(&array, 0), "fan-1", "rpm")[0].as_u64() > Some(1000));
        array.fans[1].status = Health::Failed;
        assert_eq!(values(&monitor(&array, 0), "fan-1", "rpm"), vec![json!(0)]);
    }
}
