//! The shape of a simulated cluster: which hosts exist and which block
//! devices each one sees. Built from `--hosts` (the default layout, or
//! `--layout multipath`, see [`crate::layout::multipath`]) or read from a
//! `--config` JSON file.

use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::block::{Multipath, Partition};
use crate::latency::Latencies;

/// Size of every device in the default layout: 100 GiB.
pub const DEFAULT_DEVICE_SIZE: u64 = 100 * 1024 * 1024 * 1024;

/// Device paths each host sees in the default layout.
pub const DEFAULT_DEVICE_PATHS: [&str; 4] = ["/dev/sdb", "/dev/sdc", "/dev/sdd", "/dev/sde"];

/// A whole cluster layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// Hosts in order; host *i* listens on `base_port + i`.
    pub hosts: Vec<HostLayout>,
    /// How long each command takes when served (none: no wait at all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latencies: Option<Latencies>,
}

/// One host and the devices it sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostLayout {
    /// Host name, answered by `hostname`.
    pub name: String,
    /// LNet NID of the host; defaults to `10.0.0.<i+1>@tcp`.
    #[serde(default)]
    pub nid: Option<String>,
    /// Devices visible from this host. A device with the same serial on two
    /// hosts is one shared device (a failover pair).
    pub devices: Vec<DeviceLayout>,
    /// Pacemaker and corosync are not installed on this host.
    #[serde(default)]
    pub no_pacemaker: bool,
    /// Lustre (its utilities and kernel modules) is not installed on this host.
    #[serde(default)]
    pub no_lustre: bool,
}

/// One block device as a host sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceLayout {
    /// Path, e.g. `/dev/sdb`.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Serial number; the device's identity across hosts.
    pub serial: String,
    /// The dm-multipath map holding its SCSI paths on this host; `path` is
    /// then the map's `/dev/mapper/NAME`.
    #[serde(default)]
    pub multipath: Option<Multipath>,
    /// Its partitions (an OS disk's), with what uses them.
    #[serde(default)]
    pub partitions: Vec<Partition>,
}

impl HostLayout {
    /// Host `name` seeing `devices`, with the default NID, Pacemaker and
    /// Lustre installed.
    pub fn new(name: &str, devices: Vec<DeviceLayout>) -> HostLayout {
        HostLayout {
            name: name.to_owned(),
            nid: None,
            devices,
            no_pacemaker: false,
            no_lustre: false,
        }
    }
}

impl Layout {
    /// The default layout: four 100 GiB devices per host; after the first
    /// host, hosts pair up in order (2nd with 3rd, 4th with 5th, …) and both
    /// hosts of a pair see the same devices.
    pub fn default_for(names: &[String]) -> Layout {
        let hosts = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let group = if i == 0 { 0 } else { i.div_ceil(2) };
                let devices = DEFAULT_DEVICE_PATHS
                    .iter()
                    .enumerate()
                    .map(|(d, path)| DeviceLayout {
                        path: (*path).to_string(),
                        size: DEFAULT_DEVICE_SIZE,
                        serial: format!("SIMDISK{group:03}{d:02}"),
                        multipath: None,
                        partitions: Vec::new(),
                    })
                    .collect();
                HostLayout::new(name, devices)
            })
            .collect();
        Layout { hosts, latencies: None }
    }

    /// The layout `kind` (`default` or `multipath`) for `names`.
    pub fn named(kind: &str, names: &[String]) -> anyhow::Result<Layout> {
        match kind {
            "default" => Ok(Layout::default_for(names)),
            "multipath" => Ok(Layout::multipath_for(names)),
            other => anyhow::bail!("unknown layout {other:?}: use default or multipath"),
        }
    }

    /// Reads a layout from a JSON file of the form
    /// `{"hosts": [{"name", "nid"?, "no_pacemaker"?, "devices": [{"path", "size", "serial"}]}],
    /// "latencies"?: {"commands": {"mkfs.lustre": 8000, …}, "default_ms": 2}}`.
    pub fn from_file(path: &Path) -> anyhow::Result<Layout> {
        let text = std::fs::read_to_string(path).with_context(|| format!("failed to read {}", path.display()))?;
        let layout: Layout =
            serde_json::from_str(&text).with_context(|| format!("failed to parse {}", path.display()))?;
        layout.validate()?;
        Ok(layout)
    }

    /// Checks host names are unique and non-empty and a shared serial means
    /// the same size everywhere.
    pub fn validate(&self) -> anyhow::Result<()> {
        let mut names = std::collections::BTreeSet::new();
        let mut sizes = std::collections::BTreeMap::new();
        for host in &self.hosts {
            if host.name.is_empty() || !names.insert(host.name.as_str()) {
                anyhow::bail!("host name {:?} is empty or repeated", host.name);
            }
            for dev in &host.devices {
                if sizes
                    .insert(dev.serial.as_str(), dev.size)
                    .is_some_and(|size| size != dev.size)
                {
                    anyhow::bail!("device serial {} has two different sizes", dev.serial);
                }
            }
        }
        if self.hosts.is_empty() {
            anyhow::bail!("a cluster needs at least one host");
        }
        Ok(())
    }

    /// Marks `hosts` as having no Pacemaker or corosync installed; every
    /// name must be a host of the layout.
    pub fn without_pacemaker(mut self, hosts: &[String]) -> anyhow::Result<Layout> {
        for name in hosts {
            let host = self
                .hosts
                .iter_mut()
                .find(|h| &h.name == name)
                .with_context(|| format!("--no-pacemaker names {name}, which is not a host of the layout"))?;
            host.no_pacemaker = true;
        }
        Ok(self)
    }

    /// Marks `hosts` as having no Lustre installed; every name must be a
    /// host of the layout.
    pub fn without_lustre(mut self, hosts: &[String]) -> anyhow::Result<Layout> {
        for name in hosts {
            let host = self
                .hosts
                .iter_mut()
                .find(|h| &h.name == name)
                .with_context(|| format!("--no-lustre names {name}, which is not a host of the layout"))?;
            host.no_lustre = true;
        }
        Ok(self)
    }

    /// The NID of host `i`.
    pub fn nid(&self, i: usize) -> String {
        self.hosts
            .get(i)
            .and_then(|h| h.nid.clone())
            .unwrap_or_else(|| format!("10.0.0.{}@tcp", i + 1))
    }
}

pub mod multipath;
pub mod site;

pub use site::SiteSpec;

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;

    #[test]
    fn default_layout_pairs_hosts_after_the_first() {
        let names: Vec<String> = ["mds1", "oss1", "oss2", "oss3"].iter().map(|s| s.to_string()).collect();
        let layout = Layout::default_for(&names);
        let serials = |i: usize| {
            layout.hosts[i]
                .devices
                .iter()
                .map(|d| d.serial.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(serials(1), serials(2));
        assert_ne!(serials(0), serials(1));
        assert_ne!(serials(2), serials(3));
        assert_eq!(layout.hosts[0].devices.len(), 4);
        assert_eq!(layout.hosts[0].devices[0].path, "/dev/sdb");
        layout.validate().unwrap();
        assert_eq!(layout.nid(2), "10.0.0.3@tcp");
    }

    #[test]
    fn reads_a_config_file_with_a_shared_device() {
        let path = std::env::temp_dir().join(format!("lustre-sim-layout-{}.json", std::process::id()));
        let dev = |path: &str, serial: &str| serde_json::json!({"path": path, "size": 1u64 << 30, "serial": serial});
        let json = serde_json::json!({"hosts": [
            {"name": "a", "nid": "192.168.0.1@o2ib", "devices": [dev("/dev/sdb", "S1"), dev("/dev/sdc", "S2")]},
            {"name": "b", "devices": [dev("/dev/sdx", "S2")]},
        ]});
        std::fs::write(&path, json.to_string()).unwrap();
        let layout = Layout::from_file(&path).unwrap();
        assert_eq!(layout.nid(0), "192.168.0.1@o2ib");
        assert_eq!(layout.nid(1), "10.0.0.2@tcp");
        let state = crate::state::ClusterState::from_layout(&layout);
        assert_eq!(state.devices["S2"].paths.len(), 2);
        assert_eq!(state.resolve_device("b", "/dev/sdx").as_deref(), Some("S2"));
        std::fs::write(
            &path,
            r#"{"hosts": [{"name": "a", "devices": []}, {"name": "a", "devices": []}]}"#,
        )
        .unwrap();
        assert!(Layout::from_file(&path).is_err());
        std::fs::remove_file(&path).unwrap();
    }
}
