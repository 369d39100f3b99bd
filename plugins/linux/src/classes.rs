//! The resource classes this plugin declares in `initialize`.

use serde_json::{json, Value};

/// Name given in `initialize`; the manifest's `name` must match it.
pub const PLUGIN_NAME: &str = "linux";

/// Values of a device's `type` attribute.
pub const DEVICE_TYPES: [&str; 5] = ["disk", "part", "mpath", "lvm", "other"];

/// The `initialize` result.
pub fn initialize_result() -> Value {
    json!({
        "protocol": 1,
        "name": PLUGIN_NAME,
        "version": env!("CARGO_PKG_VERSION"),
        "levels": ["detect", "monitor"],
        "classes": [host(), device("block_device", "Block device", &[]),
                    device("partition", "Partition", &[]),
                    device("multipath_device", "Multipath device", &[
                        json!({"name": "wwid", "type": "string", "optional": true}),
                        json!({"name": "paths", "type": "integer", "optional": true}),
                        json!({"name": "active_paths", "type": "integer", "optional": true}),
                    ]),
                    device("logical_volume", "Logical volume", &[
                        json!({"name": "lv_name", "type": "string", "optional": true}),
                        json!({"name": "vg_name", "type": "string", "optional": true}),
                    ])],
    })
}

fn host() -> Value {
    json!({
        "name": "host", "label": "Server",
        "attributes": [
            {"name": "name", "type": "string"},
            {"name": "address", "type": "hostname"},
            {"name": "reachable", "type": "boolean"},
        ],
        "identity": {"scope": "global", "attributes": ["name"]},
        "alerts": [{"name": "host_unreachable", "attribute": "reachable", "bad_values": [false],
                    "severity": "error", "message": "server {name} ({address}) cannot be reached over SSH"}],
    })
}

/// Every kind of block device shares these attributes and statistics;
/// `extra` adds the kind's own attributes.
fn device(name: &str, label: &str, extra: &[Value]) -> Value {
    let mut attributes = vec![
        json!({"name": "path", "type": "path"}),
        json!({"name": "size", "type": "bytes"}),
        json!({"name": "serial", "type": "string", "link": "serial", "optional": true}),
        json!({"name": "type", "type": "enum", "values": DEVICE_TYPES}),
        json!({"name": "wwn", "type": "string", "optional": true}),
    ];
    attributes.extend_from_slice(extra);
    json!({
        "name": name, "label": label,
        "attributes": attributes,
        "identity": {"scope": "parent", "attributes": ["path"]},
        "statistics": [
            {"name": "read_bytes", "kind": "counter", "unit": "bytes", "chart": "Throughput"},
            {"name": "write_bytes", "kind": "counter", "unit": "bytes", "chart": "Throughput"},
        ],
    })
}
