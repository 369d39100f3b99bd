//! Typed reads of a CIB `<configuration>`: cluster properties, resource
//! defaults, primitives and location constraints, and the nvpair writes
//! `crm_attribute` and `crm_resource` make.

use std::collections::BTreeMap;

use super::xml::Element;
use super::{parse_interval_ms, parse_score, INFINITY};

/// A primitive resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Primitive {
    /// Id.
    pub id: String,
    /// `ocf`, `stonith`, `systemd`, …
    pub class: String,
    /// `lustre`, `heartbeat`, or none.
    pub provider: Option<String>,
    /// `Lustre`, `fence_ipmilan`, …
    pub kind: String,
    /// Instance attributes.
    pub params: BTreeMap<String, String>,
    /// Meta attributes.
    pub meta: BTreeMap<String, String>,
    /// The recurring monitor's interval, if one is configured.
    pub monitor_ms: Option<u64>,
}

impl Primitive {
    /// `ocf:lustre:Lustre`, `stonith:fence_ipmilan`.
    pub fn agent(&self) -> String {
        match &self.provider {
            Some(p) => format!("{}:{p}:{}", self.class, self.kind),
            None => format!("{}:{}", self.class, self.kind),
        }
    }

    /// A fencing device.
    pub fn is_stonith(&self) -> bool {
        self.class == "stonith"
    }

    /// A Lustre target the simulator can mount.
    pub fn is_lustre(&self) -> bool {
        self.class == "ocf" && self.provider.as_deref() == Some("lustre") && self.kind == "Lustre"
    }

    /// A ZFS pool the simulator can import (`ocf:heartbeat:ZFS`).
    pub fn is_zfs(&self) -> bool {
        self.class == "ocf" && self.provider.as_deref() == Some("heartbeat") && self.kind == "ZFS"
    }

    /// `target-role` is `Stopped`.
    pub fn held_stopped(&self) -> bool {
        self.meta
            .get("target-role")
            .is_some_and(|r| r.eq_ignore_ascii_case("stopped"))
    }
}

/// A `rsc_location` with a node and a score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Id.
    pub id: String,
    /// Resource id.
    pub rsc: String,
    /// Node name.
    pub node: String,
    /// Score.
    pub score: i64,
}

fn nvpairs(set: &Element) -> impl Iterator<Item = (String, String)> + '_ {
    set.children
        .iter()
        .filter(|c| c.name == "nvpair")
        .filter_map(|n| Some((n.attr("name")?.to_string(), n.attr("value").unwrap_or("").to_string())))
}

/// The nvpairs of every `set_tag` child of the `section` element.
fn section_values(config: &Element, section: &str, set_tag: &str) -> BTreeMap<String, String> {
    config
        .child(section)
        .map(|s| {
            s.children
                .iter()
                .filter(|c| c.name == set_tag)
                .flat_map(nvpairs)
                .collect()
        })
        .unwrap_or_default()
}

/// Cluster properties set in `crm_config`.
pub fn properties(config: &Element) -> BTreeMap<String, String> {
    section_values(config, "crm_config", "cluster_property_set")
}

/// A boolean cluster property, or its default.
pub fn bool_property(config: &Element, name: &str, default: bool) -> bool {
    match properties(config).get(name).map(|v| v.to_ascii_lowercase()) {
        Some(v) => matches!(v.as_str(), "true" | "yes" | "on" | "y" | "1"),
        None => default,
    }
}

/// A cluster property or its default value.
pub fn property_or(config: &Element, name: &str, default: &str) -> String {
    properties(config)
        .get(name)
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

/// Resource defaults (`rsc_defaults`).
pub fn rsc_defaults(config: &Element) -> BTreeMap<String, String> {
    section_values(config, "rsc_defaults", "meta_attributes")
}

/// Every primitive, in configuration order (also inside groups).
pub fn primitives(config: &Element) -> Vec<Primitive> {
    let Some(resources) = config.child("resources") else {
        return Vec::new();
    };
    resources
        .descendants()
        .into_iter()
        .filter(|e| e.name == "primitive")
        .filter_map(|p| {
            let sets = |tag: &str| -> BTreeMap<String, String> {
                p.children.iter().filter(|c| c.name == tag).flat_map(nvpairs).collect()
            };
            let monitor_ms = p
                .child("operations")
                .and_then(|ops| {
                    ops.children
                        .iter()
                        .find(|o| o.name == "op" && o.attr("name") == Some("monitor"))
                })
                .and_then(|o| parse_interval_ms(o.attr("interval").unwrap_or("0")))
                .filter(|ms| *ms > 0);
            Some(Primitive {
                id: p.id()?.to_string(),
                class: p.attr("class").unwrap_or("").to_string(),
                provider: p.attr("provider").map(str::to_string),
                kind: p.attr("type").unwrap_or("").to_string(),
                params: sets("instance_attributes"),
                meta: sets("meta_attributes"),
                monitor_ms,
            })
        })
        .collect()
}

/// The primitive element with `id`.
pub fn primitive_mut<'a>(config: &'a mut Element, id: &str) -> Option<&'a mut Element> {
    fn find<'a>(e: &'a mut Element, id: &str) -> Option<&'a mut Element> {
        if e.name == "primitive" && e.id() == Some(id) {
            return Some(e);
        }
        e.children.iter_mut().find_map(|c| find(c, id))
    }
    find(config.child_mut("resources")?, id)
}

/// The resources that must run with `with` (`rsc_colocation rsc=R
/// with-rsc=WITH score=INFINITY`), in constraint order. They are placed
/// where `with` runs, started before it and stopped after it (the
/// simulator reads every such dependent as also ordered first, as a
/// ZFS pool is before its Lustre target: `rsc_order first=R then=WITH`).
pub fn dependents(config: &Element, with: &str) -> Vec<String> {
    config
        .child("constraints")
        .map(|c| {
            c.children
                .iter()
                .filter(|e| e.name == "rsc_colocation" && e.attr("with-rsc") == Some(with))
                .filter(|e| e.attr("score").and_then(parse_score) == Some(INFINITY))
                .filter_map(|e| e.attr("rsc").map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `id` must run with another resource (see [`dependents`]).
pub fn is_dependent(config: &Element, id: &str) -> bool {
    config.child("constraints").is_some_and(|c| {
        c.children.iter().any(|e| {
            e.name == "rsc_colocation"
                && e.attr("rsc") == Some(id)
                && e.attr("score").and_then(parse_score) == Some(INFINITY)
        })
    })
}

/// Location constraints with a node and score (rules are not evaluated).
pub fn locations(config: &Element) -> Vec<Location> {
    config
        .child("constraints")
        .map(|c| {
            c.children
                .iter()
                .filter(|e| e.name == "rsc_location")
                .filter_map(|e| {
                    Some(Location {
                        id: e.id()?.to_string(),
                        rsc: e.attr("rsc")?.to_string(),
                        node: e.attr("node")?.to_string(),
                        score: parse_score(e.attr("score")?)?,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The migration threshold of a primitive (meta, then defaults, else
/// INFINITY).
pub fn migration_threshold(config: &Element, p: &Primitive) -> i64 {
    p.meta
        .get("migration-threshold")
        .cloned()
        .or_else(|| rsc_defaults(config).get("migration-threshold").cloned())
        .and_then(|v| parse_score(&v))
        .filter(|t| *t > 0)
        .unwrap_or(INFINITY)
}

/// The stickiness of a primitive (meta, then defaults, else 0).
pub fn stickiness(config: &Element, p: &Primitive) -> i64 {
    p.meta
        .get("resource-stickiness")
        .cloned()
        .or_else(|| rsc_defaults(config).get("resource-stickiness").cloned())
        .and_then(|v| parse_score(&v))
        .unwrap_or(0)
}

/// Sets `name` in the first `set_tag` of `parent` that has it, else in
/// the set `default_set` (created at the end of `parent` if missing).
/// Returns the nvpair's id, and the set's id when the pair was created.
pub fn set_nvpair(
    parent: &mut Element,
    set_tag: &str,
    default_set: &str,
    name: &str,
    value: &str,
) -> (String, Option<String>) {
    for set in parent.children.iter_mut().filter(|c| c.name == set_tag) {
        if let Some(pair) = set
            .children
            .iter_mut()
            .find(|n| n.name == "nvpair" && n.attr("name") == Some(name))
        {
            pair.set("value", value);
            return (pair.id().unwrap_or("").to_string(), None);
        }
    }
    let set = match parent
        .children
        .iter()
        .position(|c| c.name == set_tag && c.id() == Some(default_set))
    {
        Some(i) => &mut parent.children[i],
        None => {
            parent.children.push(Element::new(set_tag).with("id", default_set));
            let last = parent.children.len() - 1;
            &mut parent.children[last]
        }
    };
    let id = format!("{default_set}-{name}");
    set.children.push(
        Element::new("nvpair")
            .with("id", &id)
            .with("name", name)
            .with("value", value),
    );
    (id, Some(default_set.to_string()))
}

/// Removes `name` from every `set_tag` of `parent`; the removed pair's id.
pub fn delete_nvpair(parent: &mut Element, set_tag: &str, name: &str) -> Option<String> {
    let mut removed = None;
    for set in parent.children.iter_mut().filter(|c| c.name == set_tag) {
        if let Some(i) = set
            .children
            .iter()
            .position(|n| n.name == "nvpair" && n.attr("name") == Some(name))
        {
            removed = set.children.remove(i).id().map(str::to_string);
        }
    }
    removed
}

/// Reads `name` from the `set_tag`s of `parent`.
pub fn get_nvpair(parent: &Element, set_tag: &str, name: &str) -> Option<String> {
    parent
        .children
        .iter()
        .filter(|c| c.name == set_tag)
        .flat_map(nvpairs)
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}
