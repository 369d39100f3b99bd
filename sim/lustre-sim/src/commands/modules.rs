//! The kernel modules of a simulated server and how LNet depends on them,
//! as Lustre 2.15 behaves (`lnet/lnet/module.c`, `api-ni.c`):
//!
//! * `modprobe lnet` loads `libcfs` and `lnet`; only then does `/dev/lnet`
//!   exist for `lnetctl`.
//! * `lnetctl lnet configure` brings LNet up and takes a reference on the
//!   `lnet` module (`ln_niinit_self`); with `--all` it also starts the
//!   networks of the module parameters, loading their LND (`ksocklnd`).
//! * Mounting a target loads the Lustre server stack; `ptlrpc` calls
//!   `LNetNIInit` when it loads and keeps that reference until it is
//!   unloaded, so LNet stays up (and `lnet unconfigure` answers EBUSY) even
//!   with nothing mounted.
//!
//! The module list is a subset of the real stack (no `mdd`, `lod`, `osp`,
//! `lfsck`, `ost`, client modules): enough for `lsmod`, `rmmod` and
//! `lustre_rmmod` to meet the same dependencies and refusals as on a server.

use crate::state::{ClusterState, HostState, Target};

/// One module: its name, size in bytes and the modules it depends on.
struct Module {
    name: &'static str,
    size: u64,
    deps: &'static [&'static str],
}

const MODULES: &[Module] = &[
    Module {
        name: "libcfs",
        size: 196_608,
        deps: &[],
    },
    Module {
        name: "lnet",
        size: 696_320,
        deps: &["libcfs"],
    },
    Module {
        name: "ksocklnd",
        size: 184_320,
        deps: &["lnet", "libcfs"],
    },
    Module {
        name: "ko2iblnd",
        size: 262_144,
        deps: &["lnet", "libcfs"],
    },
    Module {
        name: "obdclass",
        size: 3_141_632,
        deps: &["lnet", "libcfs"],
    },
    Module {
        name: "ptlrpc",
        size: 2_449_408,
        deps: &["obdclass", "lnet", "libcfs"],
    },
    Module {
        name: "fld",
        size: 86_016,
        deps: &["ptlrpc", "obdclass", "libcfs"],
    },
    Module {
        name: "fid",
        size: 40_960,
        deps: &["ptlrpc", "obdclass", "libcfs"],
    },
    Module {
        name: "lquota",
        size: 450_560,
        deps: &["ptlrpc", "obdclass", "libcfs"],
    },
    Module {
        name: "mgc",
        size: 98_304,
        deps: &["ptlrpc", "obdclass", "lnet", "libcfs"],
    },
    Module {
        name: "ldiskfs",
        size: 692_224,
        deps: &[],
    },
    Module {
        name: "osd_ldiskfs",
        size: 573_440,
        deps: &["ldiskfs", "lquota", "fid", "fld", "ptlrpc", "obdclass", "libcfs"],
    },
    Module {
        name: "spl",
        size: 118_784,
        deps: &[],
    },
    Module {
        name: "zfs",
        size: 4_997_120,
        deps: &["spl"],
    },
    Module {
        name: "osd_zfs",
        size: 462_848,
        deps: &["zfs", "lquota", "fid", "fld", "ptlrpc", "obdclass", "libcfs"],
    },
    Module {
        name: "mgs",
        size: 557_056,
        deps: &["mgc", "ptlrpc", "obdclass", "lnet", "libcfs"],
    },
    Module {
        name: "mdt",
        size: 1_245_184,
        deps: &["lquota", "fid", "fld", "ptlrpc", "obdclass", "lnet", "libcfs"],
    },
    Module {
        name: "ofd",
        size: 421_888,
        deps: &["lquota", "fid", "fld", "ptlrpc", "obdclass", "lnet", "libcfs"],
    },
];

/// The modules `modprobe lnet` loads.
pub const LNET: &str = "lnet";

fn module(name: &str) -> Option<&'static Module> {
    MODULES.iter().find(|m| m.name == name)
}

/// Is `name` a module the simulated servers have (`modprobe` finds it)?
/// `-` and `_` are the same in module names.
pub fn known(name: &str) -> Option<&'static str> {
    let name = name.replace('-', "_");
    module(&name).map(|m| m.name)
}

/// What module `name` depends on.
pub fn deps(name: &str) -> Vec<&'static str> {
    module(name).map(|m| m.deps.to_vec()).unwrap_or_default()
}

/// The OSD module a target's back end needs: `osd_zfs` on a ZFS dataset.
fn osd_module(target: &Target) -> &'static str {
    if target.zfs_dataset.is_some() {
        "osd_zfs"
    } else {
        "osd_ldiskfs"
    }
}

/// The file-system module under the OSD (`zfs`, or `ldiskfs`).
fn backend_module(target: &Target) -> &'static str {
    if target.zfs_dataset.is_some() {
        "zfs"
    } else {
        "ldiskfs"
    }
}

/// The service module a target's mount holds.
fn service_module(target: &Target) -> &'static str {
    if target.mdt {
        "mdt"
    } else if target.ost {
        "ofd"
    } else {
        "mgs"
    }
}

/// The LND of a NID's network: `ko2iblnd` for `@o2ib`, else `ksocklnd`.
fn lnd(nid: &str) -> &'static str {
    if nid.contains("@o2ib") {
        "ko2iblnd"
    } else {
        "ksocklnd"
    }
}

impl HostState {
    /// Is module `name` loaded?
    pub fn loaded(&self, name: &str) -> bool {
        self.modules.iter().any(|m| m == name)
    }
}

impl ClusterState {
    /// Loads `name` and what it depends on, dependencies first, skipping
    /// what is loaded; loading ptlrpc starts LNet (`LNetNIInit`).
    pub fn load_module(&mut self, host: &str, name: &str, now_us: u64) {
        let Some(m) = module(name) else {
            return;
        };
        if self.host(host).is_none_or(|h| h.loaded(name)) {
            return;
        }
        for dep in m.deps.iter().rev() {
            self.load_module(host, dep, now_us);
        }
        if let Some(h) = self.host_mut(host) {
            h.modules.push(name.to_string());
        }
        match name {
            "obdclass" => super::console::lustre_loaded(self, host, now_us),
            "ptlrpc" => self.lnet_ni_init(host, true, now_us),
            _ => {}
        }
    }

    /// What a mount of `target` loads: the OSD, the service module and
    /// so the whole stack under them (as mount.lustre and the kernel's
    /// `request_module` do).
    pub fn load_for_mount(&mut self, host: &str, target: &Target, now_us: u64) {
        for name in [osd_module(target), "mgc", service_module(target)] {
            self.load_module(host, name, now_us);
        }
    }

    /// LNet comes up on `host` (`LNetNIInit`): with its networks unless
    /// `lo_only` (`lnetctl lnet configure` without `--all`), which loads
    /// their LND. Nothing changes if it is up already.
    pub fn lnet_ni_init(&mut self, host: &str, networks: bool, now_us: u64) {
        let Some(h) = self.host(host) else {
            return;
        };
        if h.lnet_up {
            return;
        }
        let driver = lnd(&h.nid);
        if let Some(h) = self.host_mut(host) {
            h.lnet_lo_only = !networks;
        }
        if networks {
            self.load_module(host, driver, now_us);
        }
        self.set_lnet(host, true, now_us);
    }

    /// The modules that depend on `name` and are loaded, newest first (the
    /// order `lsmod` prints them in).
    pub fn holders(&self, host: &str, name: &str) -> Vec<String> {
        let Some(h) = self.host(host) else {
            return Vec::new();
        };
        h.modules
            .iter()
            .rev()
            .filter(|m| module(m).is_some_and(|m| m.deps.contains(&name)))
            .cloned()
            .collect()
    }

    /// `lsmod`'s use count: holders, plus the references LNet and mounted
    /// targets take (`lnet_configure`'s `try_module_get`, an LND with a
    /// network up, the OSD, ldiskfs and service module of each mount).
    pub fn use_count(&self, host: &str, name: &str) -> usize {
        let Some(h) = self.host(host) else {
            return 0;
        };
        let mounts = self.mounts.iter().filter(|m| m.host == host);
        let by_mounts = mounts
            .filter_map(|m| self.devices.get(&m.serial)?.target.as_ref())
            .filter(|t| [osd_module(t), backend_module(t), service_module(t)].contains(&name))
            .count();
        let by_lnet = match name {
            "lnet" => usize::from(h.lnet_self),
            n if n == lnd(&h.nid) => usize::from(h.lnet_up && !h.lnet_lo_only),
            _ => 0,
        };
        self.holders(host, name).len() + by_mounts + by_lnet
    }

    /// `rmmod NAME`, with kmod's refusals (`tools/rmmod.c`); unloading
    /// ptlrpc drops its LNet reference.
    pub fn unload_module(&mut self, host: &str, name: &str, now_us: u64) -> Result<(), String> {
        if self.host(host).is_none_or(|h| !h.loaded(name)) {
            return Err(format!("rmmod: ERROR: Module {name} is not currently loaded\n"));
        }
        let holders = self.holders(host, name);
        if !holders.is_empty() {
            return Err(format!(
                "rmmod: ERROR: Module {name} is in use by: {}\n",
                holders.join(" ")
            ));
        }
        if self.use_count(host, name) > 0 {
            return Err(format!("rmmod: ERROR: Module {name} is in use\n"));
        }
        if let Some(h) = self.host_mut(host) {
            h.modules.retain(|m| m != name);
        }
        if name == "ptlrpc" && self.host(host).is_some_and(|h| !h.lnet_self) {
            self.set_lnet(host, false, now_us);
        }
        Ok(())
    }

    /// A reboot (or power cycle): nothing is loaded, LNet is down.
    pub fn unload_all_modules(&mut self, host: &str) {
        if let Some(h) = self.host_mut(host) {
            h.modules.clear();
            h.lnet_up = false;
            h.lnet_self = false;
            h.lnet_lo_only = false;
        }
    }

    /// A state saved before modules were modelled: whatever ran then (LNet
    /// up, targets mounted) had its modules loaded. Settling logs nothing:
    /// it describes the past.
    pub fn settle_modules(&mut self) {
        let journals = self.journals.clone();
        let hosts: Vec<(String, bool)> = self
            .hosts
            .iter()
            .filter(|h| h.modules.is_empty())
            .map(|h| (h.name.clone(), h.lnet_up))
            .collect();
        for (host, lnet_up) in hosts {
            let targets: Vec<Target> = self
                .mounts
                .iter()
                .filter(|m| m.host == host)
                .filter_map(|m| self.devices.get(&m.serial)?.target.clone())
                .collect();
            for target in &targets {
                self.load_for_mount(&host, target, 0);
            }
            if lnet_up {
                let driver = self.host(&host).map_or("ksocklnd", |h| lnd(&h.nid));
                self.load_module(&host, driver, 0);
            }
            if let Some(h) = self.host_mut(&host) {
                h.lnet_self = lnet_up && targets.is_empty();
            }
        }
        self.journals = journals;
    }
}

/// One `lsmod` line: kmod's `"%-19s %8ld  %d"`, then the holders.
pub fn lsmod_line(state: &ClusterState, host: &str, name: &str) -> String {
    let size = module(name).map_or(0, |m| m.size);
    let holders = state.holders(host, name);
    let mut line = format!("{name:<19} {size:>8}  {}", state.use_count(host, name));
    if !holders.is_empty() {
        line.push(' ');
        line.push_str(&holders.join(","));
    }
    line
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use crate::commands::test_support::{cluster, run};

    #[test]
    fn a_mount_loads_the_stack_under_its_service() {
        let mut state = cluster();
        assert_eq!(run(&mut state, "mds1", "mkfs.lustre --mgs /dev/sdb").code, 0);
        assert!(state.host("mds1").is_some_and(|h| h.modules.is_empty()));
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdb /mnt/mgs").code, 0);
        let host = state.host("mds1").cloned().unwrap();
        for name in [
            "libcfs",
            "lnet",
            "ksocklnd",
            "obdclass",
            "ptlrpc",
            "ldiskfs",
            "osd_ldiskfs",
            "mgs",
        ] {
            assert!(host.loaded(name), "{name}: {:?}", host.modules);
        }
        assert!(host.lnet_up && !host.lnet_self);
        assert_eq!(state.use_count("mds1", "mgs"), 1);
        assert_eq!(state.holders("mds1", "ptlrpc").first().map(String::as_str), Some("mgs"));
    }
}
