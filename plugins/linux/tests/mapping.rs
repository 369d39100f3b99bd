//! From what a server's commands print to the resources Chroma is told about.

use anyhow::Context;
use plugin_linux::inventory::{build, HostInfo, Inventory, Scan};
use plugin_linux::{lsblk, lvs, multipath};
use serde_json::{json, Value};

fn host() -> HostInfo {
    HostInfo {
        id: "0190-oss1".into(),
        name: "oss1".into(),
        address: "10.0.0.2".into(),
        port: 22,
        fingerprint: "SHA256:x".into(),
    }
}

fn resource<'a>(inventory: &'a Inventory, id: &str) -> anyhow::Result<&'a Value> {
    inventory
        .resources
        .iter()
        .find(|r| r["id"] == id)
        .with_context(|| format!("no resource {id} in {:#?}", inventory.resources))
}

fn built_on(inventory: &Inventory, from: &str) -> Vec<String> {
    let built: Vec<String> = inventory
        .built_on
        .iter()
        .filter(|(f, _)| f == from)
        .map(|(_, to)| to.clone())
        .collect();
    built
}

/// lustre-sim's oss1: four whole disks with serials, no partitions.
const SIMULATOR: &str = r#"{
   "blockdevices": [
      {"name": "/dev/sdb", "kname": "sdb", "path": "/dev/sdb", "size": "107374182400", "serial": "SIMDISK00100", "type": "disk", "wwn": "0x5000c50012345678", "maj:min": "8:16"},
      {"name": "/dev/sdc", "kname": "sdc", "path": "/dev/sdc", "size": "107374182400", "serial": "SIMDISK00101", "type": "disk", "wwn": "0x5000c50012345679", "maj:min": "8:32"}
   ]
}
"#;

#[test]
fn the_simulators_disks_become_linkable_block_devices() -> anyhow::Result<()> {
    let scan = Scan {
        devices: lsblk::parse(SIMULATOR)?,
        ..Scan::default()
    };
    let inventory = build(&host(), &scan);
    assert_eq!(inventory.resources.len(), 3);
    assert_eq!(
        inventory.resources[0],
        json!({"id": "oss1", "class": "host",
               "attributes": {"name": "oss1", "address": "10.0.0.2", "reachable": true}})
    );
    assert_eq!(
        *resource(&inventory, "oss1:/dev/sdb")?,
        json!({"id": "oss1:/dev/sdb", "class": "block_device", "parent": "oss1",
               "attributes": {"path": "/dev/sdb", "size": 107_374_182_400u64, "type": "disk",
                              "serial": "SIMDISK00100", "wwn": "0x5000c50012345678"}})
    );
    assert!(inventory.built_on.is_empty());
    assert_eq!(inventory.by_kname.get("sdc").map(String::as_str), Some("oss1:/dev/sdc"));
    Ok(())
}

/// A util-linux 2.37 server: a partitioned boot disk, two paths to one
/// array LUN under a multipath map, an LV on the map, and a CD drive.
const UTIL_LINUX: &str = r#"{
   "blockdevices": [
      {"name":"/dev/sda", "kname":"/dev/sda", "path":"/dev/sda", "size":53687091200, "serial":"QM00001", "type":"disk", "wwn":null, "maj:min":"8:0",
         "children": [
            {"name":"/dev/sda1", "kname":"/dev/sda1", "path":"/dev/sda1", "size":1073741824, "serial":null, "type":"part", "wwn":null, "maj:min":"8:1"}
         ]
      },
      {"name":"/dev/sdb", "kname":"/dev/sdb", "path":"/dev/sdb", "size":10737418240, "serial":"SIMDISK00100", "type":"disk", "wwn":"0x600508b4", "maj:min":"8:16",
         "children": [
            {"name":"/dev/mapper/mpatha", "kname":"/dev/dm-0", "path":"/dev/mapper/mpatha", "size":10737418240, "serial":null, "type":"mpath", "wwn":null, "maj:min":"253:0",
               "children": [
                  {"name":"/dev/mapper/vg0-lv0", "kname":"/dev/dm-1", "path":"/dev/mapper/vg0-lv0", "size":5368709120, "serial":null, "type":"lvm", "wwn":null, "maj:min":"253:1"}
               ]
            }
         ]
      },
      {"name":"/dev/sdc", "kname":"/dev/sdc", "path":"/dev/sdc", "size":10737418240, "serial":"SIMDISK00100", "type":"disk", "wwn":"0x600508b4", "maj:min":"8:32",
         "children": [
            {"name":"/dev/mapper/mpatha", "kname":"/dev/dm-0", "path":"/dev/mapper/mpatha", "size":10737418240, "serial":null, "type":"mpath", "wwn":null, "maj:min":"253:0",
               "children": [
                  {"name":"/dev/mapper/vg0-lv0", "kname":"/dev/dm-1", "path":"/dev/mapper/vg0-lv0", "size":5368709120, "serial":null, "type":"lvm", "wwn":null, "maj:min":"253:1"}
               ]
            }
         ]
      },
      {"name":"/dev/sr0", "kname":"/dev/sr0", "path":"/dev/sr0", "size":1073741312, "serial":null, "type":"rom", "wwn":null, "maj:min":"11:0"}
   ]
}"#;

const MULTIPATH: &str = "\
mpatha (3600508b4000156d700012000000b0000) dm-0 SIM,RAID
size=10G features='1 queue_if_no_path' hwhandler='0' wp=rw
`-+- policy='service-time 0' prio=1 status=active
  |- 0:0:0:1 sdb 8:16 active ready running
  `- 1:0:0:1 sdc 8:32 failed faulty running
";

const LVS: &str = r#"{"report": [{"lv": [
    {"lv_name":"lv0", "vg_name":"vg0", "lv_size":"5368709120", "devices":"/dev/mapper/mpatha(0)"},
    {"lv_name":"swap", "vg_name":"vg1", "lv_size":"1073741824", "devices":"/dev/sda1(0)"}
]}]}"#;

#[test]
fn stacked_devices_become_partitions_multipath_maps_and_volumes() -> anyhow::Result<()> {
    let scan = Scan {
        devices: lsblk::parse(UTIL_LINUX)?,
        multipath: Some(multipath::parse(MULTIPATH)),
        volumes: Some(lvs::parse(LVS)?),
    };
    let inventory = build(&host(), &scan);
    let classes: Vec<(&str, &str)> = inventory
        .resources
        .iter()
        .filter_map(|r| Some((r["id"].as_str()?, r["class"].as_str()?)))
        .collect();
    assert_eq!(
        classes,
        [
            ("oss1", "host"),
            ("oss1:/dev/sda", "block_device"),
            ("oss1:/dev/sda1", "partition"),
            ("oss1:/dev/sdb", "block_device"),
            ("oss1:/dev/mapper/mpatha", "multipath_device"),
            ("oss1:/dev/mapper/vg0-lv0", "logical_volume"),
            ("oss1:/dev/sdc", "block_device"),
            ("oss1:/dev/sr0", "block_device"),
            ("oss1:/dev/mapper/vg1-swap", "logical_volume"),
        ],
        "one resource per device, however many times lsblk shows it"
    );
    assert_eq!(resource(&inventory, "oss1:/dev/sda1")?["parent"], "oss1:/dev/sda");
    assert_eq!(resource(&inventory, "oss1:/dev/sr0")?["attributes"]["type"], "other");

    let map = resource(&inventory, "oss1:/dev/mapper/mpatha")?;
    assert_eq!(map["parent"], "oss1");
    assert_eq!(map["attributes"]["wwid"], "3600508b4000156d700012000000b0000");
    assert_eq!(
        (
            map["attributes"]["paths"].clone(),
            map["attributes"]["active_paths"].clone()
        ),
        (json!(2), json!(1))
    );
    assert!(map["attributes"].get("serial").is_none());
    assert_eq!(
        built_on(&inventory, "oss1:/dev/mapper/mpatha"),
        ["oss1:/dev/sdb", "oss1:/dev/sdc"]
    );

    let lv = resource(&inventory, "oss1:/dev/mapper/vg0-lv0")?;
    assert_eq!(
        (lv["attributes"]["lv_name"].clone(), lv["attributes"]["vg_name"].clone()),
        (json!("lv0"), json!("vg0"))
    );
    assert_eq!(
        built_on(&inventory, "oss1:/dev/mapper/vg0-lv0"),
        ["oss1:/dev/mapper/mpatha"]
    );

    // lsblk did not show vg1/swap; lvs did, on a partition.
    let swap = resource(&inventory, "oss1:/dev/mapper/vg1-swap")?;
    assert_eq!(swap["attributes"]["size"], 1_073_741_824u64);
    assert_eq!(built_on(&inventory, "oss1:/dev/mapper/vg1-swap"), ["oss1:/dev/sda1"]);

    assert_eq!(
        inventory.by_kname.get("dm-1").map(String::as_str),
        Some("oss1:/dev/mapper/vg0-lv0")
    );
    assert_eq!(inventory.relationships().len(), 4);
    Ok(())
}

#[test]
fn declared_classes_cover_every_attribute_reported() -> anyhow::Result<()> {
    let init = plugin_linux::classes::initialize_result();
    let scan = Scan {
        devices: lsblk::parse(UTIL_LINUX)?,
        multipath: Some(multipath::parse(MULTIPATH)),
        volumes: Some(lvs::parse(LVS)?),
    };
    for r in build(&host(), &scan).resources {
        let class = init["classes"]
            .as_array()
            .and_then(|all| all.iter().find(|c| c["name"] == r["class"]))
            .with_context(|| format!("undeclared class in {r}"))?;
        let declared: Vec<&Value> = class["attributes"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        for (name, _) in r["attributes"].as_object().context("no attributes")? {
            assert!(
                declared.iter().any(|a| a["name"] == *name),
                "{} has undeclared {name}",
                r["id"]
            );
        }
        for a in &declared {
            let present = r["attributes"].get(a["name"].as_str().unwrap_or_default()).is_some();
            assert!(
                present || a["optional"] == true,
                "{} lacks required {}",
                r["id"],
                a["name"]
            );
        }
    }
    Ok(())
}
