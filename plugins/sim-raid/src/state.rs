//! The simulated array, as kept in its state file: what it is made of and
//! the faults injected into it. Loaded before every answer so that a
//! `fault` run from another process shows up at once; saved atomically
//! (temporary file, then rename) after every change.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// Bytes in one simulated disk ("4 TB").
pub const DISK_SIZE: u64 = 4_000_787_030_016;
/// Disks in the enclosure.
pub const DISK_COUNT: u32 = 12;
/// Disks in each RAID6 pool.
pub const DISKS_PER_POOL: u32 = 6;
/// Size of each LUN created with the array.
pub const DEFAULT_LUN_SIZE: u64 = 2 * 1024 * 1024 * 1024 * 1024;

/// Health of a controller, fan or disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Working.
    Ok,
    /// Broken.
    Failed,
    /// A disk being rebuilt onto (disks only).
    Rebuilding,
}

impl Health {
    /// The name the protocol uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::Failed => "failed",
            Health::Rebuilding => "rebuilding",
        }
    }
}

/// One of the two controllers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Controller {
    /// `A` or `B`.
    pub name: String,
    /// Health.
    pub status: Health,
}

/// One enclosure fan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fan {
    /// 0 or 1.
    pub index: u32,
    /// Health; a failed fan reads 0 rpm.
    pub status: Health,
}

/// One disk in the enclosure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disk {
    /// Slot number, 0 to 11.
    pub slot: u32,
    /// `SIMHDD000NN`.
    pub serial: String,
    /// Bytes.
    pub size: u64,
    /// Health.
    pub status: Health,
    /// A temperature forced by fault injection, in °C.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
}

/// A RAID6 pool over some disks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    /// `pool-0`, `pool-1`.
    pub name: String,
    /// Slots of its disks.
    pub disks: Vec<u32>,
}

/// A LUN carved from a pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lun {
    /// Unique in the array.
    pub name: String,
    /// The pool it is built on.
    pub pool: String,
    /// Bytes.
    pub size: u64,
    /// What a server sees as the block device's serial.
    pub serial: String,
}

/// The whole array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArrayState {
    /// `sim-array`.
    pub name: String,
    /// Model string.
    pub model: String,
    /// Firmware version.
    pub firmware: String,
    /// When the array was created (seconds since the epoch); I/O counters
    /// grow from it.
    pub created_at: u64,
    /// Controllers A and B.
    pub controllers: Vec<Controller>,
    /// The enclosure's fans.
    pub fans: Vec<Fan>,
    /// The enclosure's disks.
    pub disks: Vec<Disk>,
    /// The pools.
    pub pools: Vec<Pool>,
    /// The LUNs.
    pub luns: Vec<Lun>,
    /// Number for the next `SIMLUN000NN` serial.
    pub next_lun: u32,
}

/// Health of a pool (and of the LUNs on it), derived from its disks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolStatus {
    /// Every disk working.
    Ok,
    /// Running without full redundancy: one or two disks failed, or one rebuilding.
    Degraded,
    /// Three or more disks failed: RAID6 cannot survive that.
    Failed,
}

impl PoolStatus {
    /// The name the protocol uses.
    pub fn as_str(self) -> &'static str {
        match self {
            PoolStatus::Ok => "ok",
            PoolStatus::Degraded => "degraded",
            PoolStatus::Failed => "failed",
        }
    }
}

impl ArrayState {
    /// A new array. `lun_serials` are the serials of the LUNs to create, the
    /// first half on `pool-0` and the rest on `pool-1`; empty means the
    /// default eight, matching lustre-sim's demo cluster.
    pub fn new(lun_serials: &[String], now: u64) -> Self {
        let defaults: Vec<String> = (0..4)
            .map(|i| format!("SIMDISK000{i:02}"))
            .chain((0..4).map(|i| format!("SIMDISK001{i:02}")))
            .collect();
        let serials = if lun_serials.is_empty() { &defaults } else { lun_serials };
        let first_pool_luns = serials.len().div_ceil(2);
        let luns = serials
            .iter()
            .enumerate()
            .map(|(i, serial)| Lun {
                name: default_lun_name(serial, i),
                pool: if i < first_pool_luns { "pool-0" } else { "pool-1" }.to_string(),
                size: DEFAULT_LUN_SIZE,
                serial: serial.clone(),
            })
            .collect();
        let controller = |name: &str| Controller {
            name: name.to_string(),
            status: Health::Ok,
        };
        Self {
            name: "sim-array".to_string(),
            model: "SimRAID 6000".to_string(),
            firmware: "1.4.2".to_string(),
            created_at: now,
            controllers: vec![controller("A"), controller("B")],
            fans: (0..2)
                .map(|index| Fan {
                    index,
                    status: Health::Ok,
                })
                .collect(),
            disks: (0..DISK_COUNT)
                .map(|slot| Disk {
                    slot,
                    serial: format!("SIMHDD{slot:05}"),
                    size: DISK_SIZE,
                    status: Health::Ok,
                    temperature: None,
                })
                .collect(),
            pools: (0..DISK_COUNT / DISKS_PER_POOL)
                .map(|p| Pool {
                    name: format!("pool-{p}"),
                    disks: (p * DISKS_PER_POOL..(p + 1) * DISKS_PER_POOL).collect(),
                })
                .collect(),
            luns,
            next_lun: 0,
        }
    }

    /// The pool named `name`.
    pub fn pool(&self, name: &str) -> Option<&Pool> {
        self.pools.iter().find(|p| p.name == name)
    }

    /// The health of `pool`, from its disks.
    pub fn pool_status(&self, pool: &Pool) -> PoolStatus {
        let of = |health: Health| {
            self.disks
                .iter()
                .filter(|d| pool.disks.contains(&d.slot) && d.status == health)
                .count()
        };
        match (of(Health::Failed), of(Health::Rebuilding)) {
            (0, 0) => PoolStatus::Ok,
            (failed, _) if failed >= 3 => PoolStatus::Failed,
            _ => PoolStatus::Degraded,
        }
    }

    /// Usable bytes of `pool`: RAID6 gives two disks' worth to parity.
    pub fn pool_capacity(&self, pool: &Pool) -> u64 {
        let data_disks = pool.disks.len().saturating_sub(2) as u64;
        data_disks * DISK_SIZE
    }

    /// Bytes of `pool` not given to LUNs.
    pub fn pool_free(&self, pool: &Pool) -> u64 {
        let used: u64 = self.luns.iter().filter(|l| l.pool == pool.name).map(|l| l.size).sum();
        self.pool_capacity(pool).saturating_sub(used)
    }

    /// Seconds since the array was created.
    pub fn uptime(&self, now: u64) -> u64 {
        now.saturating_sub(self.created_at)
    }
}

/// A LUN made with the array is named after its serial (`simdisk00100`),
/// which is what an operator sees on the server; `lun{i}` if the serial
/// does not make a valid name.
fn default_lun_name(serial: &str, i: usize) -> String {
    let name = serial.to_ascii_lowercase();
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-';
    if name.is_empty() || name.len() > 32 || !name.chars().all(allowed) {
        format!("lun{i}")
    } else {
        name
    }
}

/// Seconds since the epoch.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Where the array's state lives, and how a missing file is first filled.
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
    lun_serials: Vec<String>,
}

impl StateFile {
    /// The state at `path`; `lun_serials` are used only if it must be created.
    pub fn new(path: impl Into<PathBuf>, lun_serials: Vec<String>) -> Self {
        Self {
            path: path.into(),
            lun_serials,
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the state, creating (and saving) a new array if the file does
    /// not exist.
    pub fn load(&self) -> anyhow::Result<ArrayState> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text)
                .with_context(|| format!("failed to parse the state file {}", self.path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let state = ArrayState::new(&self.lun_serials, now_secs());
                self.save(&state)?;
                Ok(state)
            }
            Err(e) => Err(e).with_context(|| format!("failed to read the state file {}", self.path.display())),
        }
    }

    /// Writes the state to a temporary file beside the real one, then
    /// renames it into place, so a reader never sees half a file.
    pub fn save(&self, state: &ArrayState) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(state).context("failed to encode the state")?;
        let mut tmp_name = self.path.as_os_str().to_owned();
        tmp_name.push(format!(".tmp.{}", std::process::id()));
        let tmp = PathBuf::from(tmp_name);
        std::fs::write(&tmp, text).with_context(|| format!("failed to write {}", tmp.display()))?;
        keep_owner(&self.path, &tmp);
        std::fs::rename(&tmp, &self.path).with_context(|| format!("failed to rename {}", tmp.display()))
    }
}

/// Gives `new` the owner of `old` when they differ: `fault`, run by root,
/// must not take the file from the plugin, which Chroma may run as a user
/// of its own (docs/plugins.md). Only root can; anyone else keeps the file.
fn keep_owner(old: &Path, new: &Path) {
    use std::os::unix::fs::MetadataExt as _;
    let (Ok(old_meta), Ok(new_meta)) = (std::fs::metadata(old), std::fs::metadata(new)) else {
        return;
    };
    if (old_meta.uid(), old_meta.gid()) != (new_meta.uid(), new_meta.gid()) {
        let _ = std::os::unix::fs::chown(new, Some(old_meta.uid()), Some(old_meta.gid()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saving_keeps_the_files_owner() -> anyhow::Result<()> {
        use std::os::unix::fs::MetadataExt as _;
        let dir = std::env::temp_dir().join(format!("sim-raid-owner-{}-{}", std::process::id(), now_secs()));
        std::fs::create_dir_all(&dir)?;
        let file = StateFile::new(dir.join("array.state"), Vec::new());
        let array = file.load()?;
        // Given to another user, as the plugin's user owns it when Chroma
        // runs plugins as one; only root can change an owner.
        let (uid, gid) = (65534, 65534);
        if std::os::unix::fs::chown(file.path(), Some(uid), Some(gid)).is_err() {
            return Ok(());
        }
        file.save(&array)?;
        let meta = std::fs::metadata(file.path())?;
        assert_eq!((meta.uid(), meta.gid()), (uid, gid));
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn a_new_array_matches_the_demo_cluster() {
        let array = ArrayState::new(&[], 0);
        let serials: Vec<(&str, &str)> = array
            .luns
            .iter()
            .map(|l| (l.serial.as_str(), l.pool.as_str()))
            .collect();
        assert_eq!(serials[0], ("SIMDISK00000", "pool-0"));
        assert_eq!(serials[3], ("SIMDISK00003", "pool-0"));
        assert_eq!(serials[4], ("SIMDISK00100", "pool-1"));
        assert_eq!(serials[7], ("SIMDISK00103", "pool-1"));
        assert_eq!(array.disks[11].serial, "SIMHDD00011");
        assert_eq!(array.pools[1].disks, vec![6, 7, 8, 9, 10, 11]);
    }

    #[test]
    fn pool_status_follows_failed_disks() {
        let mut array = ArrayState::new(&[], 0);
        let pool = array.pools[0].clone();
        let mut statuses = vec![array.pool_status(&pool)];
        for slot in 0..3 {
            array.disks[slot].status = Health::Failed;
            statuses.push(array.pool_status(&pool));
        }
        use PoolStatus::*;
        assert_eq!(statuses, vec![Ok, Degraded, Degraded, Failed]);
        assert_eq!(array.pool_status(&array.pools[1].clone()), Ok);
    }

    #[test]
    fn free_space_is_capacity_less_luns() {
        let array = ArrayState::new(&[], 0);
        let pool = &array.pools[0];
        assert_eq!(array.pool_capacity(pool), 4 * DISK_SIZE);
        assert_eq!(array.pool_free(pool), 4 * DISK_SIZE - 4 * DEFAULT_LUN_SIZE);
    }
}
