//! The simulated cluster's state: devices with their Lustre targets, what is
//! mounted where, each MGS's configuration llogs, and each host's boot,
//! counters and journal. It is persisted as `state.json` in the state
//! directory before a command that changed it (or saw a change) replies
//! (see [`crate::exec::Simulator::persist`]), the journals as
//! `journal/HOST.json`.
//!
//! Restart semantics: a restart of the simulator is a reboot of every host
//! whose HA stack (Pacemaker) brings its targets back. Formatted devices are
//! kept *and so are mounts, loaded modules and LNet*, so a restarted
//! simulator answers exactly as before; a test that wants a cold cluster
//! unmounts explicitly, or reboots a host (`fault HOST reboot`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::journal::Journal;
use crate::layout::Layout;
use crate::runtime::{Activity, Boot};

/// File name of the persisted state inside the state directory.
pub const STATE_FILE: &str = "state.json";

/// One MGS's configuration llogs by name (`fs-client`, `fs-MDT0000`,
/// `params`): record bodies in llog order, markers included (see
/// `commands::config_log`).
pub type Llogs = BTreeMap<String, Vec<String>>;

/// The llogs of an MGS that has written none.
static NO_LLOGS: Llogs = BTreeMap::new();

/// Everything the simulator knows about its cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterState {
    /// Hosts in order.
    pub hosts: Vec<HostState>,
    /// Devices keyed by serial.
    pub devices: BTreeMap<String, Device>,
    /// Mounted targets, in mount order.
    pub mounts: Vec<Mount>,
    /// Each MGS's configuration llogs (the `CONFIGS` directory of its
    /// MGT), by the serial of the device it runs from: a lone MGS's, or an
    /// MDT formatted `--mgs --mdt`. State files written before there was
    /// more than one set kept a flat `llogs`; [`StateStore::load`] gives it
    /// to the MGS.
    #[serde(default)]
    pub mgs_llogs: BTreeMap<String, Llogs>,
    /// Ids of one-shot faults (`fail-next`, `failover`, `log`) already
    /// used, so each acts only once.
    #[serde(default)]
    pub consumed_faults: BTreeSet<u64>,
    /// Each host's journal. Shared (`Arc`) so the copy taken around every
    /// command is cheap; [`ClusterState::log`] copies a journal on write.
    /// Saved in files of their own, not in `state.json`.
    #[serde(skip)]
    pub journals: BTreeMap<String, Arc<Journal>>,
    /// Files written on each host (`install … /dev/stdin PATH`), by host
    /// then path; `cat PATH` prints them.
    #[serde(default)]
    pub files: BTreeMap<String, BTreeMap<String, File>>,
    /// Pacemaker and corosync: units per host, CIB per cluster.
    #[serde(default)]
    pub ha: crate::pacemaker::Ha,
    /// ZFS pools, oldest first (see [`crate::zfs`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zpools: Vec<crate::zfs::Zpool>,
    /// Side effects that really ran (`lustre-sim counters`).
    #[serde(default)]
    pub counters: Counters,
    /// Lustre client mounts and the namespace they see (see
    /// [`crate::namespace`]).
    #[serde(default)]
    pub clients: crate::namespace::Clients,
    /// HSM coordinators, requests, copytools (see [`crate::hsm`]).
    #[serde(default)]
    pub hsm: crate::hsm::Hsm,
    /// The other commands running on the host of the command being run
    /// (see [`crate::processes`]), set before each command; never saved.
    #[serde(skip)]
    pub running: Vec<crate::processes::Running>,
    /// How long commands take when served (the layout's `latencies`).
    #[serde(default, skip_serializing_if = "crate::latency::Latencies::is_empty")]
    pub latencies: crate::latency::Latencies,
}

/// Side effects counted as they really happen, so a test can prove that
/// no step ran twice: mounts and moves per device (a Pacemaker start is a
/// mount too), and `lctl conf_param` records written. Formats are
/// [`Device::format_count`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// By device serial.
    #[serde(default)]
    pub devices: BTreeMap<String, DeviceCounters>,
    /// Records written by `lctl conf_param`, by `DEVICE.PARAM=VALUE` as
    /// given (`fs1.sys.timeout=40`; `-d` writes `fs1.sys.timeout=`).
    #[serde(default)]
    pub conf_params: BTreeMap<String, u64>,
}

/// What happened to one device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCounters {
    /// Successful mounts, on any host.
    pub mounts: u64,
    /// Mounts on another host than the one it was last mounted on (a
    /// failover or a failback).
    pub moves: u64,
    /// Where it was last mounted.
    pub last_host: Option<String>,
    /// When each counted mount happened, oldest first (the chaos suite
    /// matches each mount to a step that could have caused it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mounted_at: Vec<chrono::DateTime<chrono::Utc>>,
}

impl Counters {
    /// Counts a mount of device `serial` on `host`.
    pub fn mounted(&mut self, serial: &str, host: &str) {
        let device = self.devices.entry(serial.to_owned()).or_default();
        device.mounts += 1;
        device.mounted_at.push(chrono::Utc::now());
        if device.last_host.as_deref().is_some_and(|last| last != host) {
            device.moves += 1;
        }
        device.last_host = Some(host.to_owned());
    }

    /// Counts a record written by `lctl conf_param`.
    pub fn conf_param(&mut self, param: &str) {
        *self.conf_params.entry(param.to_owned()).or_default() += 1;
    }
}

/// A file written on a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct File {
    /// Its content.
    pub content: String,
    /// Its mode, e.g. `0644`.
    pub mode: String,
}

/// One host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostState {
    /// Host name.
    pub name: String,
    /// LNet NID.
    pub nid: String,
    /// `address:port` it listens on, when serving.
    #[serde(default)]
    pub address: Option<String>,
    /// SSH host-key fingerprint (`SHA256:…`), when serving.
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// LNet is running (the kernel's `ln_refcount` is not zero): brought up
    /// by `lnetctl lnet configure` ([`HostState::lnet_self`]) or by ptlrpc,
    /// which a mount loads (see `commands::modules`).
    #[serde(default)]
    pub lnet_up: bool,
    /// `lnetctl lnet configure` holds LNet up (`ln_niinit_self`).
    #[serde(default)]
    pub lnet_self: bool,
    /// LNet was configured without `--all`: only the loopback network.
    #[serde(default)]
    pub lnet_lo_only: bool,
    /// Local NIs added with `lnetctl import` since LNet came up:
    /// `(network, interface)` (see `commands::lnet_nets`).
    #[serde(default)]
    pub lnet_nis: Vec<(String, String)>,
    /// Kernel modules loaded, oldest first (`lsmod` lists the newest
    /// first); none after a boot.
    #[serde(default)]
    pub modules: Vec<String>,
    /// When the host last booted, and that boot's id.
    #[serde(default)]
    pub boot: Boot,
    /// What the host has served since it booted (CPU and LNet counters).
    #[serde(default)]
    pub activity: Activity,
    /// The server has seen the host down (a `down` fault) and not yet back.
    #[serde(default)]
    pub seen_down: bool,
    /// Pacemaker and corosync are not installed (`--no-pacemaker`).
    #[serde(default)]
    pub no_pacemaker: bool,
    /// Lustre is not installed (`--no-lustre`): see `commands::installed`.
    #[serde(default)]
    pub no_lustre: bool,
}

/// A block device, possibly visible from two hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Serial number (the key).
    pub serial: String,
    /// Size in bytes.
    pub size: u64,
    /// Path on each host that sees it.
    pub paths: BTreeMap<String, String>,
    /// The Lustre target on it, once formatted.
    pub target: Option<Target>,
    /// How many times it was really formatted (mkfs.lustre ran to the end).
    pub format_count: u64,
    /// The dm-multipath map each host reaches it through (multipath
    /// layout); its `paths` entry is then `/dev/mapper/NAME`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub multipath: BTreeMap<String, crate::block::Multipath>,
    /// Its partitions (the OS disk's); such a disk is local to one host.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<crate::block::Partition>,
}

/// The permanent disk data of a formatted target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Has the MGS role.
    pub mgs: bool,
    /// Is an MDT.
    pub mdt: bool,
    /// Is an OST.
    pub ost: bool,
    /// File system name (may be empty for a lone MGS).
    pub fsname: String,
    /// Target index (none for a lone MGS).
    pub index: Option<u32>,
    /// Parameters as `key=value`, in the order mkfs.lustre prints them.
    pub params: Vec<String>,
    /// Persistent mount options.
    pub mount_opts: String,
    /// Never mounted yet (the `first_time` flag; the label has a colon).
    pub first_time: bool,
    /// Formatted with `--servicenode` (the `no_primnode` flag).
    pub no_primnode: bool,
    /// `tunefs.lustre --writeconf` ran: the next mount regenerates the
    /// configuration llogs (dropping conf_params), as real Lustre does.
    #[serde(default)]
    pub writeconf: bool,
    /// `tunefs.lustre --nolocallogs` ran: the next mount fetches the
    /// configuration from the MGS instead of its local copy.
    #[serde(default)]
    pub no_local_logs: bool,
    /// `mkfs.lustre --mkfsoptions`: what mke2fs was given (`-I 1024 …`).
    #[serde(default)]
    pub mkfs_options: Option<String>,
    /// On ZFS: its dataset (`pool/ost0`); `None`: ldiskfs on the device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zfs_dataset: Option<String>,
    /// File-system UUID of the backing ldiskfs.
    pub uuid: String,
}

/// A target mounted on a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    /// Host it is mounted on.
    pub host: String,
    /// Device serial.
    pub serial: String,
    /// Mount point.
    pub mountpoint: String,
    /// When it was mounted (seconds since the epoch); statistics grow from it.
    #[serde(default)]
    pub since: u64,
    /// Parameters changed with `lctl set_param` while mounted.
    #[serde(default)]
    pub tunables: BTreeMap<String, String>,
}

impl Target {
    /// Server name without separator: `MGS`, or `MDT0000` / `OST000a`.
    fn suffix(&self) -> String {
        let index = self.index.unwrap_or(0);
        if self.mdt {
            format!("MDT{index:04x}")
        } else if self.ost {
            format!("OST{index:04x}")
        } else {
            "MGS".to_string()
        }
    }

    /// Service name as Lustre uses it once registered: `fs-OST0000`, `MGS`.
    pub fn svname(&self) -> String {
        if self.mdt || self.ost {
            format!("{}-{}", self.fsname, self.suffix())
        } else {
            "MGS".to_string()
        }
    }

    /// The backing file-system label, as `server_make_name` in Lustre
    /// 2.15's `mkfs_lustre.c` writes it: `fs:OST0000` before the first
    /// mount, `fs=OST0000` after `tunefs.lustre --writeconf`,
    /// `fs+OST0000` after `--nolocallogs`, `fs-OST0000` once mounted
    /// (mount.lustre relabels), `MGS`.
    pub fn label(&self) -> String {
        if !(self.mdt || self.ost) {
            return "MGS".to_string();
        }
        let sep = if self.first_time {
            ':'
        } else if self.writeconf {
            '='
        } else if self.no_local_logs {
            '+'
        } else {
            '-'
        };
        format!("{}{}{}", self.fsname, sep, self.suffix())
    }

    /// The `ldd_flags` word.
    pub fn flags(&self) -> u32 {
        let mut flags = 0;
        if self.mdt {
            flags |= 0x1;
        }
        if self.ost {
            flags |= 0x2;
        }
        if self.mgs {
            flags |= 0x4;
        }
        if self.first_time {
            flags |= 0x20 | 0x40;
        }
        if self.writeconf {
            flags |= 0x100;
        }
        if self.no_primnode {
            flags |= 0x1000;
        }
        if self.no_local_logs {
            flags |= 0x10000;
        }
        flags
    }

    /// Words describing the flags, as mkfs.lustre prints them.
    pub fn flag_words(&self) -> String {
        let mut words = String::new();
        for (set, word) in [
            (self.mdt, "MDT "),
            (self.ost, "OST "),
            (self.mgs, "MGS "),
            (self.first_time, "first_time update "),
            (self.writeconf, "writeconf "),
            (self.no_primnode, "no_primnode "),
            (self.no_local_logs, "nolocallogs "),
        ] {
            if set {
                words.push_str(word);
            }
        }
        words
    }

    /// Values of a parameter key (`mgsnode`), split on `:` and `,`.
    pub fn param_nids(&self, key: &str) -> Vec<String> {
        let prefix = format!("{key}=");
        self.params
            .iter()
            .filter_map(|p| p.strip_prefix(&prefix))
            .flat_map(|v| v.split([':', ',']))
            .map(str::to_string)
            .collect()
    }
}

impl ClusterState {
    /// A fresh cluster, nothing formatted, every host booted now.
    pub fn from_layout(layout: &Layout) -> ClusterState {
        let mut devices: BTreeMap<String, Device> = BTreeMap::new();
        let mut hosts = Vec::new();
        for (i, host) in layout.hosts.iter().enumerate() {
            hosts.push(HostState {
                name: host.name.clone(),
                nid: layout.nid(i),
                address: None,
                fingerprint: None,
                lnet_up: false,
                lnet_self: false,
                lnet_lo_only: false,
                lnet_nis: Vec::new(),
                modules: Vec::new(),
                boot: Boot::default(),
                activity: Activity::default(),
                seen_down: false,
                no_pacemaker: host.no_pacemaker,
                no_lustre: host.no_lustre,
            });
            for dev in &host.devices {
                let entry = devices.entry(dev.serial.clone()).or_insert_with(|| Device {
                    serial: dev.serial.clone(),
                    size: dev.size,
                    paths: BTreeMap::new(),
                    target: None,
                    format_count: 0,
                    multipath: BTreeMap::new(),
                    partitions: dev.partitions.clone(),
                });
                entry.paths.insert(host.name.clone(), dev.path.clone());
                if let Some(map) = &dev.multipath {
                    entry.multipath.insert(host.name.clone(), map.clone());
                }
            }
        }
        let mut state = ClusterState {
            hosts,
            devices,
            mounts: Vec::new(),
            mgs_llogs: BTreeMap::new(),
            consumed_faults: BTreeSet::new(),
            journals: BTreeMap::new(),
            files: BTreeMap::new(),
            ha: crate::pacemaker::Ha::default(),
            zpools: Vec::new(),
            counters: Counters::default(),
            clients: Default::default(),
            hsm: Default::default(),
            running: Vec::new(),
            latencies: layout.latencies.clone().unwrap_or_default(),
        };
        let names: Vec<String> = state.hosts.iter().map(|h| h.name.clone()).collect();
        for name in names {
            state.boot(&name, now_micros());
        }
        state
    }

    /// The host record by name.
    pub fn host(&self, name: &str) -> Option<&HostState> {
        self.hosts.iter().find(|h| h.name == name)
    }

    /// Devices a host sees, as `(path, serial)`, sorted by path.
    pub fn host_devices(&self, host: &str) -> Vec<(String, String)> {
        let mut list: Vec<(String, String)> = self
            .devices
            .values()
            .filter_map(|d| d.paths.get(host).map(|p| (p.clone(), d.serial.clone())))
            .collect();
        list.sort();
        list
    }

    /// The serial of the device at `path` on `host`: its kernel name
    /// (`/dev/sdb`) or one of its udev links ([`ClusterState::device_links`],
    /// with or without `/dev/`), or the legacy `/dev/disk/by-id/scsi-SERIAL`.
    pub fn resolve_device(&self, host: &str, path: &str) -> Option<String> {
        if crate::zfs::is_dataset(path) {
            return self.resolve_dataset(host, path);
        }
        let legacy = path.strip_prefix("/dev/disk/by-id/scsi-");
        let link = path.strip_prefix("/dev/").unwrap_or(path);
        let by_link = path.starts_with("/dev/disk/") || path.starts_with("disk/");
        self.devices
            .values()
            .filter(|d| d.paths.contains_key(host))
            .find(|d| {
                d.paths.get(host).is_some_and(|p| p == path)
                    || d.multipath
                        .get(host)
                        .is_some_and(|m| path == format!("/dev/dm-{}", m.dm))
                    || legacy == Some(d.serial.as_str())
                    || (by_link && self.device_links(host, &d.serial).iter().any(|l| l == link))
            })
            .map(|d| d.serial.clone())
    }

    /// The udev links of device `serial` on `host`, relative to `/dev`, as
    /// `udevadm info --query=symlink` lists them: `disk/by-id/scsi-3…` and
    /// `disk/by-id/wwn-0x…` (an NAA-6 world-wide name under the LIO OUI
    /// `001405`, derived from the serial, the same on every host) and
    /// `disk/by-path/…` (the host's own SCSI address).
    /// A multipath map has the links of [`ClusterState::multipath_links`],
    /// a partitioned (local) disk those of
    /// [`ClusterState::local_disk_links`].
    pub fn device_links(&self, host: &str, serial: &str) -> Vec<String> {
        if let Some(map) = self.multipath(host, serial) {
            return self.multipath_links(serial, map);
        }
        if self.devices.get(serial).is_some_and(|d| !d.partitions.is_empty()) {
            return self.local_disk_links(serial);
        }
        let naa = naa_id(serial);
        let mut links = vec![format!("disk/by-id/scsi-3{naa}"), format!("disk/by-id/wwn-0x{naa}")];
        if let Some(i) = self.host_devices(host).iter().position(|(_, s)| s == serial) {
            links.push(format!("disk/by-path/pci-0000:00:10.0-scsi-0:0:{}:0", i + 1));
        }
        links
    }

    /// The mount of a device, wherever it is.
    pub fn mount_of(&self, serial: &str) -> Option<&Mount> {
        self.mounts.iter().find(|m| m.serial == serial)
    }

    /// The host record by name, for changing it.
    pub fn host_mut(&mut self, name: &str) -> Option<&mut HostState> {
        self.hosts.iter_mut().find(|h| h.name == name)
    }

    /// The host name whose NID is `nid`.
    pub fn host_by_nid(&self, nid: &str) -> Option<&HostState> {
        self.hosts.iter().find(|h| h.nid == nid)
    }

    /// Does the device `serial` hold a target with the MGS role?
    fn is_mgs(&self, serial: &str) -> bool {
        self.devices
            .get(serial)
            .and_then(|d| d.target.as_ref())
            .is_some_and(|t| t.mgs)
    }

    /// The MGS mounted on `host`, by the serial of its device. Lustre runs
    /// one MGS per node (`server_start_mgs`), so `lctl` on a host acts on
    /// that one.
    pub fn mgs_on(&self, host: &str) -> Option<String> {
        self.mounts
            .iter()
            .find(|m| m.host == host && self.is_mgs(&m.serial))
            .map(|m| m.serial.clone())
    }

    /// The MGS mounted on a host whose running LNet has one of `nids`
    /// (a target's `mgsnode=` NIDs, primary and failover).
    pub fn mgs_reached(&self, nids: &[String]) -> Option<String> {
        self.mounts
            .iter()
            .filter(|m| self.is_mgs(&m.serial))
            .find(|m| {
                self.host(&m.host)
                    .is_some_and(|h| crate::commands::lnet_nets::nids(h).iter().any(|n| nids.contains(n)))
            })
            .map(|m| m.serial.clone())
    }

    /// The MGS the target on device `serial` belongs to: that device when
    /// the target has the MGS role (`--mgs --mdt`), else the MGS its
    /// `mgsnode=` NIDs reach ([`ClusterState::mgs_reached`]); while none
    /// runs there, an MGS device a host with one of those NIDs sees (the
    /// logs stay on its MGT).
    pub fn mgs_of(&self, serial: &str) -> Option<String> {
        let target = self.devices.get(serial)?.target.as_ref()?;
        if target.mgs {
            return Some(serial.to_string());
        }
        let nids = target.param_nids("mgsnode");
        if let Some(mgs) = self.mgs_reached(&nids) {
            return Some(mgs);
        }
        let hosts: Vec<&str> = self
            .hosts
            .iter()
            .filter(|h| nids.contains(&h.nid))
            .map(|h| h.name.as_str())
            .collect();
        self.devices
            .values()
            .find(|d| self.is_mgs(&d.serial) && d.paths.keys().any(|h| hosts.contains(&h.as_str())))
            .map(|d| d.serial.clone())
    }

    /// The configuration llogs of MGS `mgs` (a device serial); empty when
    /// it has written none.
    pub fn llogs(&self, mgs: &str) -> &Llogs {
        self.mgs_llogs.get(mgs).unwrap_or(&NO_LLOGS)
    }

    /// The configuration llogs of MGS `mgs`, for writing.
    pub fn llogs_mut(&mut self, mgs: &str) -> &mut Llogs {
        self.mgs_llogs.entry(mgs.to_string()).or_default()
    }

    /// Gives the one flat set of llogs a state file from before each MGS
    /// kept its own to the MGS that wrote it: the only device with the MGS
    /// role, else the first one mounted, else the first one.
    fn adopt_flat_llogs(&mut self, logs: Llogs) {
        if logs.is_empty() {
            return;
        }
        let mgss: Vec<&String> = self.devices.keys().filter(|s| self.is_mgs(s)).collect();
        let owner = mgss
            .iter()
            .find(|s| self.mount_of(s).is_some())
            .or(mgss.first())
            .map(|s| s.to_string());
        match owner {
            Some(mgs) => self.llogs_mut(&mgs).extend(logs),
            None => tracing::warn!(logs = logs.len(), "configuration llogs without an MGS device dropped"),
        }
    }
}

/// The 32-hex-digit NAA-6 identifier of a simulated device: `6`, the
/// IEEE OUI `001405` (Linux-IO targets), then 25 digits from the serial.
pub fn naa_id(serial: &str) -> String {
    let mut h1: u64 = 0xcbf2_9ce4_8422_2325;
    let mut h2: u64 = 0x8422_2325_cbf2_9ce4;
    for b in serial.bytes() {
        h1 = (h1 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        h2 = (h2 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3 ^ 0x5bd1);
    }
    let digits = format!("{h1:016x}{h2:016x}");
    format!("6001405{}", &digits[..25])
}

/// Seconds since the epoch, now.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Microseconds since the epoch, now.
pub fn now_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

/// Reads and writes `state.json` in a state directory, and the journals
/// beside it ([`crate::journal::JournalFiles`]), so that a change to the
/// cluster does not rewrite every host's journal.
#[derive(Debug, Clone)]
pub struct StateStore {
    dir: PathBuf,
    journals: crate::journal::JournalFiles,
}

impl StateStore {
    /// A store for `dir` (created if missing).
    pub fn new(dir: &Path) -> anyhow::Result<StateStore> {
        std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
        Ok(StateStore {
            dir: dir.to_path_buf(),
            journals: crate::journal::JournalFiles::new(dir),
        })
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Loads the state, or `None` when there is none yet.
    pub fn load(&self) -> anyhow::Result<Option<ClusterState>> {
        let path = self.dir.join(STATE_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let parse_error = || format!("failed to parse {}", path.display());
                let mut value: serde_json::Value = serde_json::from_str(&text).with_context(parse_error)?;
                let flat = value.as_object_mut().and_then(|o| o.remove("llogs"));
                let mut state: ClusterState = serde_json::from_value(value).with_context(parse_error)?;
                if let Some(flat) = flat {
                    state.adopt_flat_llogs(serde_json::from_value(flat).with_context(parse_error)?);
                }
                let hosts: Vec<String> = state.hosts.iter().map(|h| h.name.clone()).collect();
                state.journals = self.journals.load(&hosts)?;
                state.settle_modules();
                Ok(Some(state))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("failed to read {}", path.display())),
        }
    }

    /// Writes the state atomically (temporary file, then rename), and the
    /// journals that changed since the last save. Compact JSON: at a
    /// thousand targets the pretty form is twice the size to write
    /// (`lustre-sim show` prints it readably).
    pub fn save(&self, state: &ClusterState) -> anyhow::Result<()> {
        self.save_serialized(&Self::serialize(state)?, &state.journals)
    }

    /// `state.json`'s bytes for `state`, to write with
    /// [`StateStore::save_serialized`] once the state's lock is let go.
    pub fn serialize(state: &ClusterState) -> anyhow::Result<Vec<u8>> {
        serde_json::to_vec(state).context("failed to serialise state")
    }

    /// Writes `state.json` as [`StateStore::serialize`] gave it, and the
    /// journals that changed since the last save.
    pub fn save_serialized(&self, text: &[u8], journals: &BTreeMap<String, Arc<Journal>>) -> anyhow::Result<()> {
        write_atomically(&self.dir.join(STATE_FILE), text)?;
        self.journals.save(journals)
    }
}

/// Reads the side-effect counters of a (running or stopped) simulator as
/// JSON (what `lustre-sim counters` prints): per device its label, formats,
/// mounts and moves; and the `lctl conf_param` records written.
pub fn counters(state_dir: &Path) -> anyhow::Result<serde_json::Value> {
    let state = StateStore::new(state_dir)?
        .load()?
        .with_context(|| format!("{} holds no cluster", state_dir.display()))?;
    let devices: Vec<serde_json::Value> = state
        .devices
        .values()
        .map(|d| {
            let counted = state.counters.devices.get(&d.serial).cloned().unwrap_or_default();
            serde_json::json!({
                "serial": d.serial,
                "label": d.target.as_ref().map(Target::svname),
                "formats": d.format_count,
                "mounts": counted.mounts,
                "moves": counted.moves,
                "mounted_at": counted.mounted_at,
                "mounted_on": state.mount_of(&d.serial).map(|m| m.host.clone()),
            })
        })
        .collect();
    Ok(serde_json::json!({"devices": devices, "conf_params": state.counters.conf_params}))
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a
/// reader never sees half a file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    let mut file = std::fs::File::create(&tmp).with_context(|| format!("failed to create {}", tmp.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("failed to write {}", tmp.display()))?;
    file.sync_all()
        .with_context(|| format!("failed to sync {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("failed to rename {} into place", tmp.display()))
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use crate::commands::test_support::{cluster, run};

    use super::StateStore;

    #[test]
    fn a_state_file_with_one_flat_llog_set_gives_it_to_the_mgs() {
        let mut state = cluster();
        for (host, line) in [
            ("mds1", "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/sdb"),
            ("mds1", "mount -t lustre /dev/sdb /mnt/mdt0"),
        ] {
            assert_eq!(run(&mut state, host, line).code, 0, "{line}");
        }
        let mgs = state.mgs_on("mds1").unwrap();
        let logs = state.mgs_llogs.remove(&mgs).unwrap();
        let mut old = serde_json::to_value(&state).unwrap();
        old["llogs"] = serde_json::to_value(&logs).unwrap();
        old.as_object_mut().unwrap().remove("mgs_llogs");

        let dir = std::env::temp_dir().join(format!("lustre-sim-flat-llogs-{}", std::process::id()));
        let store = StateStore::new(&dir).unwrap();
        std::fs::write(dir.join(super::STATE_FILE), old.to_string()).unwrap();
        let loaded = store.load().unwrap().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(loaded.llogs(&mgs), &logs);
        assert_eq!(loaded.mgs_llogs.len(), 1);
    }
}
