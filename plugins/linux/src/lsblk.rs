//! `lsblk -J -b -p -o NAME,KNAME,PATH,SIZE,SERIAL,TYPE,WWN,MAJ:MIN`, parsed.
//!
//! util-linux before 2.33 (and lustre-sim) print every value as a string or
//! `null`; later versions print sizes as numbers. Both are accepted. With
//! `-p` newer versions print `KNAME` as a path too; it is kept without the
//! `/dev/` so it matches `/proc/diskstats` and `multipath -ll`.

use serde::Deserialize;
use serde_json::Value;

/// The command, as an argv.
pub const COMMAND: [&str; 6] = [
    "lsblk",
    "-J",
    "-b",
    "-p",
    "-o",
    "NAME,KNAME,PATH,SIZE,SERIAL,TYPE,WWN,MAJ:MIN",
];

/// One block device, with the devices stacked on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The device's path, e.g. `/dev/sdb` or `/dev/mapper/mpatha`.
    pub path: String,
    /// Kernel name without `/dev/`, e.g. `sdb`, `dm-0`.
    pub kname: String,
    /// Bytes; 0 when lsblk does not say.
    pub size: u64,
    /// Serial number, when the device has one.
    pub serial: Option<String>,
    /// lsblk's TYPE: `disk`, `part`, `mpath`, `lvm`, `rom`, `loop`…
    pub kind: String,
    /// World wide name, when the device has one.
    pub wwn: Option<String>,
    /// Devices built on this one (partitions, multipath maps, LVs).
    pub children: Vec<Node>,
}

#[derive(Deserialize)]
struct Report {
    blockdevices: Vec<Raw>,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    kname: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    size: Value,
    #[serde(default)]
    serial: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    wwn: Option<String>,
    #[serde(default)]
    children: Vec<Raw>,
}

/// lsblk's JSON could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LsblkError {
    /// Not the JSON lsblk prints.
    #[error("lsblk printed something that is not its JSON report: {0}")]
    Json(#[from] serde_json::Error),
    /// A device without NAME or PATH.
    #[error("lsblk listed a device with neither NAME nor PATH")]
    Nameless,
}

/// Parses lsblk's JSON report into trees of devices.
pub fn parse(text: &str) -> Result<Vec<Node>, LsblkError> {
    let report: Report = serde_json::from_str(text)?;
    report.blockdevices.into_iter().map(node).collect()
}

fn node(raw: Raw) -> Result<Node, LsblkError> {
    let path = raw
        .path
        .or_else(|| raw.name.clone().map(|n| with_dev(&n)))
        .filter(|p| !p.is_empty())
        .ok_or(LsblkError::Nameless)?;
    let kname = raw
        .kname
        .or(raw.name)
        .map_or_else(|| path.clone(), |k| k.clone())
        .trim_start_matches("/dev/")
        .to_string();
    Ok(Node {
        kname,
        size: bytes(&raw.size),
        serial: non_empty(raw.serial),
        kind: raw.kind.unwrap_or_else(|| "disk".to_string()),
        wwn: non_empty(raw.wwn),
        children: raw.children.into_iter().map(node).collect::<Result<_, _>>()?,
        path,
    })
}

fn with_dev(name: &str) -> String {
    if name.starts_with('/') {
        name.to_string()
    } else {
        format!("/dev/{name}")
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn bytes(value: &Value) -> u64 {
    match value {
        Value::Number(n) => n.as_u64().unwrap_or(0),
        Value::String(s) => s.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;

    /// As lustre-sim prints it (util-linux 2.32 style: strings, KNAME bare).
    const SIMULATOR: &str = r#"{
   "blockdevices": [
      {"name": "/dev/sdb", "kname": "sdb", "path": "/dev/sdb", "size": "107374182400", "serial": "SIMDISK00100", "type": "disk", "wwn": "0x5000c5001234abcd", "maj:min": "8:16"},
      {"name": "/dev/sdc", "kname": "sdc", "path": "/dev/sdc", "size": "107374182400", "serial": "SIMDISK00101", "type": "disk", "wwn": "0x5000c5001234abce", "maj:min": "8:32"}
   ]
}
"#;

    /// As util-linux 2.37 prints it: numbers for sizes, paths for KNAME,
    /// partitions and a multipath map with an LV nested as children.
    const UTIL_LINUX: &str = r#"{
   "blockdevices": [
      {"name":"/dev/sda", "kname":"/dev/sda", "path":"/dev/sda", "size":53687091200, "serial":"QM00001", "type":"disk", "wwn":null, "maj:min":"8:0",
         "children": [
            {"name":"/dev/sda1", "kname":"/dev/sda1", "path":"/dev/sda1", "size":1073741824, "serial":null, "type":"part", "wwn":null, "maj:min":"8:1"},
            {"name":"/dev/sda2", "kname":"/dev/sda2", "path":"/dev/sda2", "size":52612300800, "serial":null, "type":"part", "wwn":null, "maj:min":"8:2"}
         ]
      },
      {"name":"/dev/sdb", "kname":"/dev/sdb", "path":"/dev/sdb", "size":10737418240, "serial":"ARRAY0001", "type":"disk", "wwn":"0x600508b4000156d7", "maj:min":"8:16",
         "children": [
            {"name":"/dev/mapper/mpatha", "kname":"/dev/dm-0", "path":"/dev/mapper/mpatha", "size":10737418240, "serial":null, "type":"mpath", "wwn":null, "maj:min":"253:0",
               "children": [
                  {"name":"/dev/mapper/vg0-lv0", "kname":"/dev/dm-1", "path":"/dev/mapper/vg0-lv0", "size":5368709120, "serial":null, "type":"lvm", "wwn":null, "maj:min":"253:1"}
               ]
            }
         ]
      },
      {"name":"/dev/sr0", "kname":"/dev/sr0", "path":"/dev/sr0", "size":1073741312, "serial":"", "type":"rom", "wwn":null, "maj:min":"11:0"}
   ]
}"#;

    #[test]
    fn reads_the_simulators_strings() {
        let nodes = parse(SIMULATOR).unwrap();
        assert_eq!(nodes.len(), 2);
        assert_eq!(
            nodes[0],
            Node {
                path: "/dev/sdb".into(),
                kname: "sdb".into(),
                size: 107_374_182_400,
                serial: Some("SIMDISK00100".into()),
                kind: "disk".into(),
                wwn: Some("0x5000c5001234abcd".into()),
                children: vec![],
            }
        );
    }

    #[test]
    fn reads_util_linux_numbers_and_nested_children() {
        let nodes = parse(UTIL_LINUX).unwrap();
        assert_eq!(nodes.len(), 3);
        assert_eq!(nodes[0].size, 53_687_091_200);
        assert_eq!(nodes[0].kname, "sda");
        assert_eq!(nodes[0].wwn, None);
        let kinds: Vec<&str> = nodes[0].children.iter().map(|c| c.kind.as_str()).collect();
        assert_eq!(kinds, ["part", "part"]);
        let mpath = &nodes[1].children[0];
        assert_eq!((mpath.kname.as_str(), mpath.kind.as_str()), ("dm-0", "mpath"));
        assert_eq!(mpath.children[0].path, "/dev/mapper/vg0-lv0");
        assert_eq!(nodes[2].serial, None, "an empty serial is no serial");
    }

    #[test]
    fn falls_back_to_name_without_path_column() {
        let nodes = parse(r#"{"blockdevices": [{"name": "sdb", "size": "1", "type": "disk"}]}"#).unwrap();
        assert_eq!((nodes[0].path.as_str(), nodes[0].kname.as_str()), ("/dev/sdb", "sdb"));
    }

    #[test]
    fn refuses_what_is_not_a_report() {
        assert!(parse("NAME MAJ:MIN\nsdb 8:16").is_err());
        assert!(matches!(
            parse(r#"{"blockdevices": [{"size": "1"}]}"#),
            Err(LsblkError::Nameless)
        ));
    }
}
