//! ZFS pools and datasets on the simulated servers, as OpenZFS 2.1 keeps
//! them: a pool lives on its vdevs (shared devices), is imported on at
//! most one host at a time, and with `multihost=on` (which mkfs.lustre
//! sets) refuses an import, even forced, while another live host has it
//! imported. A host that boots has no pool imported (`cachefile=none`);
//! a pool its last importer did not export needs `zpool import -f`.
//!
//! A Lustre target on ZFS is kept on its pool's first vdev (the
//! `Device::target` every Lustre command reads), with its dataset named in
//! `Target::zfs_dataset`; one Lustre dataset per pool, as the Lustre
//! manual lays them out.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::faults::Faults;
use crate::state::ClusterState;

/// One pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zpool {
    /// Its name.
    pub name: String,
    /// Its GUID (what blkid shows as the vdevs' `UUID`).
    pub guid: u64,
    /// The serials of its vdevs, in `zpool create` order.
    pub vdevs: Vec<String>,
    /// The host it is imported on.
    pub imported_on: Option<String>,
    /// The host that last had it imported.
    pub last_host: String,
    /// Its last importer exported it (an import needs no `-f`).
    pub exported: bool,
    /// `multihost=on`: the activity check refuses an import while another
    /// live host has it imported.
    pub multihost: bool,
    /// `zpool destroy` ran: its vdevs keep their labels, it imports no more.
    pub destroyed: bool,
    /// Its datasets below the root, by full name (`pool/ost0`).
    pub datasets: BTreeSet<String>,
}

/// The hostid of `host` (`/etc/hostid`, set by `zgenhostid`): eight hex
/// digits, stable per name.
pub fn hostid(host: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in host.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

impl ClusterState {
    /// The live (not destroyed) pool named `name` imported on `host`.
    pub fn imported_pool(&self, host: &str, name: &str) -> Option<&Zpool> {
        self.zpools
            .iter()
            .find(|p| p.name == name && !p.destroyed && p.imported_on.as_deref() == Some(host))
    }

    /// The pool whose vdev is device `serial` (the newest, destroyed or not).
    pub fn pool_of_vdev(&self, serial: &str) -> Option<&Zpool> {
        self.zpools.iter().rev().find(|p| p.vdevs.iter().any(|v| v == serial))
    }

    /// What blkid reads from vdev `serial`'s ZFS label: `(pool, guid)`
    /// (a destroyed pool's labels stay).
    pub fn vdev_signature(&self, serial: &str) -> Option<(String, String)> {
        self.pool_of_vdev(serial).map(|p| (p.name.clone(), p.guid.to_string()))
    }

    /// The serial holding the Lustre target of dataset `name` (`pool/ds`)
    /// when its pool is imported on `host`.
    pub fn resolve_dataset(&self, host: &str, name: &str) -> Option<String> {
        let (pool, _) = name.split_once('/')?;
        let pool = self.imported_pool(host, pool)?;
        pool.vdevs
            .first()
            .filter(|serial| {
                self.devices
                    .get(*serial)
                    .and_then(|d| d.target.as_ref())
                    .is_some_and(|t| t.zfs_dataset.as_deref() == Some(name))
            })
            .cloned()
    }

    /// A boot of `host`: its pools are no longer imported, and were not
    /// exported.
    pub fn pools_lost(&mut self, host: &str) {
        for pool in self
            .zpools
            .iter_mut()
            .filter(|p| p.imported_on.as_deref() == Some(host))
        {
            pool.imported_on = None;
            pool.exported = false;
        }
    }

    /// Forgets pools whose vdevs were overwritten (a new pool or an
    /// ldiskfs format on one of them).
    pub fn vdevs_overwritten(&mut self, serials: &[String]) {
        self.zpools.retain(|p| !p.vdevs.iter().any(|v| serials.contains(v)));
        for serial in serials {
            if let Some(dev) = self.devices.get_mut(serial) {
                dev.target = None;
            }
        }
    }
}

/// Whether `path` names a dataset (`pool/ost0`) rather than a device: no
/// leading `/` (udev's `disk/…` links aside) yet a `/` inside.
pub fn is_dataset(path: &str) -> bool {
    !path.starts_with('/') && !path.starts_with("disk/") && path.contains('/')
}

/// Whether `host` is down (an MMP activity check sees no writes from it).
pub fn host_down(faults: &Faults, host: &str) -> bool {
    faults.host(host).down
}
