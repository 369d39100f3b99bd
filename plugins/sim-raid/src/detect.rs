//! `detect`: every resource of the array and how they depend on each other.

use serde_json::{json, Value};

use crate::ids;
use crate::state::ArrayState;

/// The `detect` result for `array`.
pub fn detect(array: &ArrayState) -> Value {
    let mut resources = vec![json!({
        "id": ids::ARRAY, "class": "array",
        "attributes": {"name": array.name, "model": array.model, "firmware": array.firmware},
    })];
    let mut relationships = Vec::new();
    for c in &array.controllers {
        resources.push(json!({
            "id": ids::controller(&c.name), "class": "controller", "parent": ids::ARRAY,
            "attributes": {"name": c.name, "status": c.status.as_str()},
        }));
    }
    resources.push(json!({
        "id": ids::ENCLOSURE, "class": "enclosure", "parent": ids::ARRAY,
        "attributes": {"name": "enclosure 0"},
    }));
    for f in &array.fans {
        resources.push(json!({
            "id": ids::fan(f.index), "class": "fan", "parent": ids::ENCLOSURE,
            "attributes": {"index": f.index, "status": f.status.as_str()},
        }));
    }
    for d in &array.disks {
        resources.push(json!({
            "id": ids::disk(d.slot), "class": "disk", "parent": ids::ENCLOSURE,
            "attributes": {"slot": d.slot, "serial": d.serial, "size": d.size, "status": d.status.as_str()},
        }));
    }
    for p in &array.pools {
        resources.push(json!({
            "id": ids::pool(&p.name), "class": "pool", "parent": ids::ARRAY,
            "attributes": {
                "name": p.name, "raid_level": "raid6", "status": array.pool_status(p).as_str(),
                "capacity": array.pool_capacity(p), "free": array.pool_free(p),
            },
        }));
        for slot in &p.disks {
            relationships.push(json!({"from": ids::pool(&p.name), "to": ids::disk(*slot), "kind": "built_on"}));
        }
    }
    for l in &array.luns {
        resources.push(json!({
            "id": ids::lun(&l.name), "class": "lun", "parent": ids::ARRAY,
            "attributes": {"name": l.name, "size": l.size, "status": lun_status(array, &l.pool), "serial": l.serial},
        }));
        relationships.push(json!({"from": ids::lun(&l.name), "to": ids::pool(&l.pool), "kind": "built_on"}));
    }
    json!({"resources": resources, "relationships": relationships})
}

/// A LUN's status is its pool's.
pub fn lun_status(array: &ArrayState, pool: &str) -> &'static str {
    array.pool(pool).map_or("failed", |p| array.pool_status(p).as_str())
}
