//! The resource classes this plugin declares in `initialize`.

use serde_json::{json, Value};

/// Name given in `initialize`; the manifest's `name` must match it.
pub const PLUGIN_NAME: &str = "sim-raid";

/// The `initialize` result.
pub fn initialize_result() -> Value {
    json!({
        "protocol": 1,
        "name": PLUGIN_NAME,
        "version": env!("CARGO_PKG_VERSION"),
        "levels": ["detect", "monitor", "configure"],
        "classes": classes(),
    })
}

/// Every class, parents before children.
pub fn classes() -> Value {
    json!([array(), controller(), enclosure(), fan(), disk(), pool(), lun()])
}

fn health(values: &[&str]) -> Value {
    json!({"name": "status", "type": "enum", "values": values})
}

fn array() -> Value {
    json!({
        "name": "array", "label": "RAID array",
        "attributes": [
            {"name": "name", "type": "string"},
            {"name": "model", "type": "string"},
            {"name": "firmware", "type": "string"},
        ],
        "identity": {"scope": "global", "attributes": ["name"]},
    })
}

fn controller() -> Value {
    json!({
        "name": "controller", "label": "Controller",
        "attributes": [{"name": "name", "type": "string"}, health(&["ok", "failed"])],
        "identity": {"scope": "parent", "attributes": ["name"]},
        "alerts": [{"name": "controller_failed", "attribute": "status", "bad_values": ["failed"],
                    "severity": "error", "message": "controller {name} has failed"}],
    })
}

fn enclosure() -> Value {
    json!({
        "name": "enclosure", "label": "Enclosure",
        "attributes": [{"name": "name", "type": "string"}],
        "identity": {"scope": "parent", "attributes": ["name"]},
    })
}

fn fan() -> Value {
    json!({
        "name": "fan", "label": "Fan",
        "attributes": [{"name": "index", "type": "integer"}, health(&["ok", "failed"])],
        "identity": {"scope": "parent", "attributes": ["index"]},
        "statistics": [{"name": "rpm", "kind": "gauge", "unit": "rpm", "chart": "Fan speed"}],
        "alerts": [
            {"name": "fan_failed", "attribute": "status", "bad_values": ["failed"],
             "severity": "error", "message": "fan {index} has failed"},
            {"name": "fan_slow", "statistic": "rpm", "below": 1000,
             "severity": "warning", "message": "fan {index} is turning at {value} rpm"},
        ],
    })
}

fn disk() -> Value {
    json!({
        "name": "disk", "label": "Disk",
        "attributes": [
            {"name": "slot", "type": "integer"},
            {"name": "serial", "type": "string"},
            {"name": "size", "type": "bytes"},
            health(&["ok", "failed", "rebuilding"]),
        ],
        "identity": {"scope": "parent", "attributes": ["slot"]},
        "statistics": [{"name": "temperature", "kind": "gauge", "unit": "celsius", "chart": "Temperature"}],
        "alerts": [
            {"name": "disk_failed", "attribute": "status", "bad_values": ["failed"],
             "severity": "error", "message": "disk {serial} in slot {slot} has failed"},
            {"name": "disk_hot", "statistic": "temperature", "above": 60,
             "severity": "warning", "message": "disk {serial} in slot {slot} is at {value} °C"},
        ],
    })
}

fn pool() -> Value {
    json!({
        "name": "pool", "label": "Pool",
        "attributes": [
            {"name": "name", "type": "string"},
            {"name": "raid_level", "type": "string"},
            health(&["ok", "degraded", "failed"]),
            {"name": "capacity", "type": "bytes"},
            {"name": "free", "type": "bytes"},
        ],
        "identity": {"scope": "parent", "attributes": ["name"]},
        "alerts": [
            {"name": "pool_degraded", "attribute": "status", "bad_values": ["degraded"],
             "severity": "warning", "message": "pool {name} is degraded: a disk has failed"},
            {"name": "pool_failed", "attribute": "status", "bad_values": ["failed"],
             "severity": "error", "message": "pool {name} has failed: its data is unavailable"},
        ],
        "actions": [{"name": "create_lun", "label": "Create a LUN",
                     "args": [{"name": "name", "type": "string"}, {"name": "size", "type": "bytes"}]}],
    })
}

fn lun() -> Value {
    json!({
        "name": "lun", "label": "LUN",
        "attributes": [
            {"name": "name", "type": "string"},
            {"name": "size", "type": "bytes"},
            health(&["ok", "degraded", "failed"]),
            {"name": "serial", "type": "string", "link": "serial"},
        ],
        "identity": {"scope": "parent", "attributes": ["name"]},
        "statistics": [
            {"name": "read_bytes", "kind": "counter", "unit": "bytes", "chart": "Throughput"},
            {"name": "write_bytes", "kind": "counter", "unit": "bytes", "chart": "Throughput"},
            {"name": "latency", "kind": "histogram", "unit": "ms", "chart": "Latency", "bins": LATENCY_BINS},
        ],
    })
}

/// Upper bounds of the LUN latency histogram, in ms.
pub const LATENCY_BINS: [u64; 4] = [1, 5, 10, 50];
