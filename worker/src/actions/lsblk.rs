//! Block devices as `lsblk -J -b -o NAME,SIZE,SERIAL,TYPE` lists them. A
//! volume is known by its serial: kernel names (`/dev/sdb`) change across
//! reboots, so actions look the path up when they act.

use serde::Deserialize;
use serde_json::Value;

use super::servers::Server;
use crate::shared::Shared;

/// The listing command, the same for probing and for resolving.
const LSBLK: [&str; 5] = ["lsblk", "-J", "-b", "-o", "NAME,SIZE,SERIAL,TYPE"];

/// A whole disk with a serial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disk {
    /// `/dev/NAME`.
    pub path: String,
    pub serial: String,
    pub size: i64,
}

/// One device of the listing. Older util-linux prints sizes as strings,
/// newer as numbers.
#[derive(Debug, Deserialize)]
struct Device {
    name: String,
    size: Option<Value>,
    serial: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Listing {
    blockdevices: Vec<Device>,
}

/// Parses the listing into the whole disks that have a serial.
pub fn parse(stdout: &str) -> Result<Vec<Disk>, String> {
    let listing: Listing = serde_json::from_str(stdout).map_err(|e| format!("cannot parse lsblk output: {e}"))?;
    Ok(listing.blockdevices.into_iter().filter_map(disk).collect())
}

fn disk(device: Device) -> Option<Disk> {
    if device.kind.as_deref().is_some_and(|k| k != "disk") {
        return None;
    }
    let serial = device.serial.filter(|s| !s.is_empty())?;
    let size = match device.size? {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    Some(Disk {
        path: format!("/dev/{}", device.name),
        serial,
        size,
    })
}

/// The whole disks `host` sees now.
pub async fn disks(shared: &Shared, host: &Server) -> Result<Vec<Disk>, String> {
    parse(&host.check(shared, &LSBLK).await?)
}

/// The path of the disk with `serial` on `host` now, if it sees one.
pub async fn path_of(shared: &Shared, host: &Server, serial: &str) -> Result<Option<String>, String> {
    Ok(disks(shared, host)
        .await?
        .into_iter()
        .find(|d| d.serial == serial)
        .map(|d| d.path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(path: &str, serial: &str, size: i64) -> Disk {
        Disk {
            path: path.into(),
            serial: serial.into(),
            size,
        }
    }

    #[test]
    fn parses_lsblk_of_old_and_new_util_linux() {
        let old = r#"{"blockdevices": [{"name": "sdb", "size": "107374182400", "serial": "S1", "type": "disk"},
            {"name": "sdb1", "size": "1024", "serial": null, "type": "part"},
            {"name": "sr0", "size": "1024", "serial": "", "type": "rom"}]}"#;
        assert_eq!(parse(old), Ok(vec![disk("/dev/sdb", "S1", 107_374_182_400)]));
        let new = r#"{"blockdevices": [{"name": "vdc", "size": 42, "serial": "S2", "type": "disk"}]}"#;
        assert_eq!(parse(new), Ok(vec![disk("/dev/vdc", "S2", 42)]));
        assert!(parse("not json").is_err());
    }
}
