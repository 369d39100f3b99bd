//! Resource ids: unique within the plugin and stable between detections,
//! since Chroma keeps each resource's history by its id.

/// The array.
pub const ARRAY: &str = "array";
/// The only enclosure.
pub const ENCLOSURE: &str = "enclosure-0";

/// Controller `A` → `ctrl-a`.
pub fn controller(name: &str) -> String {
    format!("ctrl-{}", name.to_ascii_lowercase())
}

/// Fan 1 → `fan-1`.
pub fn fan(index: u32) -> String {
    format!("fan-{index}")
}

/// The disk in slot 3 → `disk-3`.
pub fn disk(slot: u32) -> String {
    format!("disk-{slot}")
}

/// Pools are named like ids already (`pool-0`).
pub fn pool(name: &str) -> String {
    name.to_string()
}

/// LUN `lun7` → `lun-lun7` (LUN names are unique in the array).
pub fn lun(name: &str) -> String {
    format!("lun-{name}")
}
