//! What one host's commands printed, turned into resources and
//! relationships.
//!
//! Each device lsblk lists becomes one resource, its class chosen by its
//! TYPE: a partition is a `partition` whose parent is the device it is cut
//! from; a multipath map a `multipath_device` and an LV a
//! `logical_volume`, both children of the host and `built_on` the devices
//! under them; anything else a `block_device` of the host. A device that
//! lsblk shows under several parents (a multipath map under each of its
//! paths) is one resource. `multipath -ll` and `lvs` add what lsblk cannot
//! say (WWIDs, path counts, VG names, the physical volumes of an LV).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{json, Map, Value};

use crate::lsblk::Node;
use crate::lvs::LogicalVolume;
use crate::multipath;

const MPATH: &str = "multipath_device";
const LV: &str = "logical_volume";

/// A managed server, as `initialize` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostInfo {
    /// Chroma's id for the host.
    pub id: String,
    /// Host name.
    pub name: String,
    /// Address to connect to.
    pub address: String,
    /// sshd's port.
    pub port: u16,
    /// Pinned host-key fingerprint, `SHA256:…`.
    pub fingerprint: String,
}

impl HostInfo {
    /// The host's resource id.
    pub fn resource_id(&self) -> String {
        self.name.clone()
    }

    /// The resource id of its device at `path`.
    pub fn device_id(&self, path: &str) -> String {
        format!("{}:{path}", self.name)
    }
}

/// What the commands printed on one host, parsed. `None` for a layer whose
/// command was missing or failed.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// lsblk's devices.
    pub devices: Vec<Node>,
    /// `multipath -ll`'s maps.
    pub multipath: Option<Vec<multipath::Map>>,
    /// `lvs`'s volumes.
    pub volumes: Option<Vec<LogicalVolume>>,
}

/// The resources of one host.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    /// Resources in the order found (host first, parents before children).
    pub resources: Vec<Value>,
    /// `built_on` relationships, as `(from, to)` ids.
    pub built_on: BTreeSet<(String, String)>,
    /// Kernel name → resource id, to attribute `/proc/diskstats` lines.
    pub by_kname: HashMap<String, String>,
}

impl Inventory {
    /// The relationships in protocol form.
    pub fn relationships(&self) -> Vec<Value> {
        self.built_on
            .iter()
            .map(|(from, to)| json!({"from": from, "to": to, "kind": "built_on"}))
            .collect()
    }
}

/// The host resource alone.
pub fn host_resource(host: &HostInfo, reachable: bool) -> Value {
    json!({
        "id": host.resource_id(), "class": "host",
        "attributes": {"name": host.name, "address": host.address, "reachable": reachable},
    })
}

/// Builds the inventory of a host that answered.
pub fn build(host: &HostInfo, scan: &Scan) -> Inventory {
    let mut builder = Builder {
        host,
        order: Vec::new(),
        devices: BTreeMap::new(),
        inventory: Inventory::default(),
    };
    for node in &scan.devices {
        builder.add(node, None);
    }
    for map in scan.multipath.iter().flatten() {
        builder.add_multipath(map);
    }
    for volume in scan.volumes.iter().flatten() {
        builder.add_volume(volume);
    }
    let Builder {
        order,
        mut devices,
        mut inventory,
        ..
    } = builder;
    inventory.resources.push(host_resource(host, true));
    inventory
        .resources
        .extend(order.iter().filter_map(|id| devices.remove(id)));
    inventory
}

struct Builder<'a> {
    host: &'a HostInfo,
    order: Vec<String>,
    devices: BTreeMap<String, Value>,
    inventory: Inventory,
}

impl Builder<'_> {
    fn add(&mut self, node: &Node, under: Option<&str>) {
        let id = self.host.device_id(&node.path);
        let (class, kind) = match node.kind.as_str() {
            "disk" => ("block_device", "disk"),
            "part" => ("partition", "part"),
            "mpath" => (MPATH, "mpath"),
            "lvm" => (LV, "lvm"),
            _ => ("block_device", "other"),
        };
        // A partition lives inside its device; everything else belongs to the
        // host and depends on the devices under it.
        let parent = match (class, under) {
            ("partition", Some(under)) => under.to_string(),
            (_, Some(under)) => {
                self.inventory.built_on.insert((id.clone(), under.to_string()));
                self.host.resource_id()
            }
            (_, None) => self.host.resource_id(),
        };
        if !self.devices.contains_key(&id) {
            let mut attributes = Map::new();
            attributes.insert("path".into(), json!(node.path));
            attributes.insert("size".into(), json!(node.size));
            attributes.insert("type".into(), json!(kind));
            if let Some(serial) = &node.serial {
                attributes.insert("serial".into(), json!(serial));
            }
            if let Some(wwn) = &node.wwn {
                attributes.insert("wwn".into(), json!(wwn));
            }
            let resource = json!({"id": id, "class": class, "parent": parent, "attributes": attributes});
            self.devices.insert(id.clone(), resource);
            self.order.push(id.clone());
            self.inventory.by_kname.insert(node.kname.clone(), id.clone());
        }
        for child in &node.children {
            self.add(child, Some(&id));
        }
    }

    /// The id of the device a command names by path (`/dev/sdb1`) or kernel
    /// name (`sdb1`, `/dev/dm-0`).
    fn find(&self, name: &str) -> Option<String> {
        let id = self.host.device_id(name);
        if self.devices.contains_key(&id) {
            return Some(id);
        }
        self.inventory.by_kname.get(name.trim_start_matches("/dev/")).cloned()
    }

    /// The id of the resource at `path`, created with `class` if lsblk did not list it.
    fn ensure(&mut self, path: &str, class: &str, kind: &str, size: u64) -> String {
        let id = self.host.device_id(path);
        if !self.devices.contains_key(&id) {
            let attributes = json!({"path": path, "size": size, "type": kind});
            let resource =
                json!({"id": id, "class": class, "parent": self.host.resource_id(), "attributes": attributes});
            self.devices.insert(id.clone(), resource);
            self.order.push(id.clone());
        }
        id
    }

    /// Sets an attribute of `id`, if it is of `class` (one that declares it).
    fn set(&mut self, id: &str, class: &str, name: &str, value: Value) {
        let resource = self.devices.get_mut(id).filter(|r| r["class"] == class);
        if let Some(attributes) = resource.and_then(|r| r["attributes"].as_object_mut()) {
            attributes.insert(name.to_string(), value);
        }
    }

    fn add_multipath(&mut self, map: &multipath::Map) {
        let known = map.dm.as_deref().and_then(|dm| self.find(dm));
        let id = match known {
            Some(id) => id,
            None => self.ensure(&format!("/dev/mapper/{}", map.name), MPATH, "mpath", map.size),
        };
        if let Some(dm) = &map.dm {
            self.inventory.by_kname.entry(dm.clone()).or_insert_with(|| id.clone());
        }
        self.set(&id, MPATH, "wwid", json!(map.wwid));
        self.set(&id, MPATH, "paths", json!(map.paths.len()));
        self.set(
            &id,
            MPATH,
            "active_paths",
            json!(map.paths.iter().filter(|p| p.active).count()),
        );
        for path in &map.paths {
            if let Some(under) = self.find(&path.kname) {
                self.inventory.built_on.insert((id.clone(), under));
            }
        }
    }

    fn add_volume(&mut self, volume: &LogicalVolume) {
        let path = volume.mapper_path();
        let id = match self.find(&path) {
            Some(id) => id,
            None => self.ensure(&path, LV, "lvm", volume.size),
        };
        self.set(&id, LV, "lv_name", json!(volume.name));
        self.set(&id, LV, "vg_name", json!(volume.vg));
        for device in &volume.devices {
            if let Some(under) = self.find(device) {
                self.inventory.built_on.insert((id.clone(), under));
            }
        }
    }
}
