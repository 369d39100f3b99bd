//! The MDT side of each OST: the `osp` device an MDT runs per OST of its
//! file system (`FS-OSTxxxx-osc-MDTyyyy`, one per `osc` its configuration
//! llog attaches, as `mgs_write_log_osc_to_lov` writes them), and the
//! parameters an operator drains and deactivates an OST with (Lustre 2.15
//! `lustre/osp/lproc_osp.c`):
//! - `max_create_count`: how many objects the MDT may precreate on the OST
//!   at once, 20000 by default (`OST_MAX_PRECREATE`); 0 stops new objects
//!   there. `lctl set_param -P` on the MGS sets it on every MDT through the
//!   `params` log ([`super::params`] applies those records).
//! - `active`: 1, or 0 once `lctl conf_param FS-OSTxxxx.osc.active=0` wrote
//!   the `conf_param` record into the MDT's log, which each start of the
//!   MDT replays, so the deactivation outlives restarts.

use std::collections::BTreeMap;

use super::params::Param;
use crate::state::Target;

/// Lustre 2.15's `OST_MAX_PRECREATE` (`lustre_idl.h`), which
/// `osp_init_precreate` gives every new OSP device. Chroma's own copy is
/// `lustre::params::DEFAULT_MAX_CREATE_COUNT`; the simulator keeps its own
/// on purpose (it does not depend on Chroma's crates, and models Lustre
/// from Lustre's source), so that a wrong value on either side shows in
/// the integration tests instead of agreeing with itself.
pub const DEFAULT_MAX_CREATE_COUNT: &str = "20000";

/// The `osp.*` parameters of MDT `mdt` from its configuration log.
pub fn params(logs: &BTreeMap<String, Vec<String>>, mdt: &Target) -> Vec<Param> {
    let Some(records) = logs.get(&mdt.svname()) else {
        return Vec::new();
    };
    let mut out: Vec<Param> = Vec::new();
    for body in records {
        if field(body, "event") == Some("attach") && field(body, "type") == Some("osc") {
            if let Some(device) = field(body, "device") {
                let osp = format!("osp.{device}");
                out.push((format!("{osp}.active"), "1".into()));
                out.push((format!("{osp}.max_create_count"), DEFAULT_MAX_CREATE_COUNT.into()));
            }
        }
    }
    for body in records {
        if field(body, "event") != Some("conf_param") {
            continue;
        }
        let (Some(device), Some(param)) = (field(body, "device"), field(body, "parameter")) else {
            continue;
        };
        let Some(value) = param.strip_prefix("osc.active=") else {
            continue;
        };
        let name = format!("osp.{device}.active");
        if let Some(entry) = out.iter_mut().find(|(n, _)| *n == name) {
            // An empty value is a deletion (`conf_param -d`): back to 1.
            entry.1 = if value.is_empty() { "1".into() } else { value.into() };
        }
    }
    out
}

/// Whether `name` (`osp.fs1-OST0001-osc-MDT0000.max_create_count`) is a
/// parameter of an osp device MDT `mdt` runs: a live `lctl set_param` on
/// the MDS sets it there (until the MDT stops).
pub fn of_mdt(name: &str, mdt: &Target) -> bool {
    let Some(device) = name.strip_prefix("osp.").and_then(|n| n.split('.').next()) else {
        return false;
    };
    let svname = mdt.svname();
    let Some(index) = svname.strip_prefix(&format!("{}-", mdt.fsname)) else {
        return false;
    };
    device.starts_with(&format!("{}-OST", mdt.fsname)) && device.ends_with(&format!("-osc-{index}"))
}

/// The value of `key` in a record body (`event: …, device: …`).
fn field<'a>(body: &'a str, key: &str) -> Option<&'a str> {
    let start = if body.starts_with(&format!("{key}: ")) {
        key.len() + 2
    } else {
        body.find(&format!(", {key}: "))? + key.len() + 4
    };
    let rest = &body[start..];
    Some(rest.split(", ").next().unwrap_or(rest))
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    /// fs1: MGS and MDT0 on mds1, OST0000 and OST0001 on oss1, mounted.
    fn file_system() -> crate::state::ClusterState {
        let mut state = cluster();
        for (host, cmd) in [
            ("mds1", "mkfs.lustre --mgs /dev/sdb"),
            (
                "mds1",
                "mkfs.lustre --mdt --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdc",
            ),
            (
                "oss1",
                "mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdb",
            ),
            (
                "oss1",
                "mkfs.lustre --ost --fsname=fs1 --index=1 --mgsnode=10.0.0.1@tcp /dev/sdc",
            ),
            ("mds1", "mount -t lustre /dev/sdb /mnt/mgs"),
            ("mds1", "mount -t lustre /dev/sdc /mnt/mdt"),
            ("oss1", "mount -t lustre /dev/sdb /mnt/ost0"),
            ("oss1", "mount -t lustre /dev/sdc /mnt/ost1"),
        ] {
            let out = run(&mut state, host, cmd);
            assert_eq!(out.code, 0, "{cmd}: {}", out.stderr);
        }
        state
    }

    #[test]
    fn an_mdt_shows_one_osp_per_ost_with_the_defaults() {
        let mut state = file_system();
        let out = run(&mut state, "mds1", "lctl get_param osp.*.max_create_count osp.*.active");
        assert_eq!(
            out.stdout,
            "osp.fs1-OST0000-osc-MDT0000.max_create_count=20000\n\
             osp.fs1-OST0001-osc-MDT0000.max_create_count=20000\n\
             osp.fs1-OST0000-osc-MDT0000.active=1\n\
             osp.fs1-OST0001-osc-MDT0000.active=1\n"
        );
        assert_ne!(
            run(&mut state, "oss1", "lctl get_param osp.*.active").code,
            0,
            "no osp on an OSS"
        );
    }

    #[test]
    fn a_drain_set_on_the_mgs_reaches_the_mdt_and_outlives_a_restart() {
        let mut state = file_system();
        let drain = "lctl set_param -P osp.fs1-OST0001-osc-MDT*.max_create_count=0";
        assert_eq!(run(&mut state, "mds1", drain).code, 0);
        let get = "lctl get_param -n osp.fs1-OST0001-osc-MDT0000.max_create_count";
        assert_eq!(run(&mut state, "mds1", get).stdout, "0\n");
        assert_eq!(run(&mut state, "mds1", "umount /mnt/mdt").code, 0);
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdc /mnt/mdt").code, 0);
        assert_eq!(run(&mut state, "mds1", get).stdout, "0\n");
        let other = "lctl get_param -n osp.fs1-OST0000-osc-MDT0000.max_create_count";
        assert_eq!(run(&mut state, "mds1", other).stdout, "20000\n");
    }

    #[test]
    fn a_permanent_deactivation_is_replayed_from_the_mdt_log() {
        let mut state = file_system();
        assert_eq!(
            run(&mut state, "mds1", "lctl conf_param fs1-OST0001.osc.active=0").code,
            0
        );
        let get = "lctl get_param -n osp.fs1-OST0001-osc-MDT0000.active";
        assert_eq!(run(&mut state, "mds1", get).stdout, "0\n");
        assert_eq!(run(&mut state, "mds1", "umount /mnt/mdt").code, 0);
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdc /mnt/mdt").code, 0);
        assert_eq!(run(&mut state, "mds1", get).stdout, "0\n");
        let mdt_log = run(&mut state, "mds1", "lctl --device MGS llog_print fs1-MDT0000").stdout;
        assert!(
            mdt_log.contains("device: fs1-OST0001-osc-MDT0000, parameter: osc.active=0"),
            "{mdt_log}"
        );
    }

    #[test]
    fn an_ost_deactivated_with_set_param_p_stays_inactive_on_an_mdt_added_later() {
        let mut state = file_system();
        for cmd in [
            "lctl conf_param fs1-OST0001.osc.active=0",
            "lctl set_param -P osp.fs1-OST0001-osc-MDT*.active=0",
            "mkfs.lustre --mdt --fsname=fs1 --index=1 --mgsnode=10.0.0.1@tcp /dev/sdd",
            "mount -t lustre /dev/sdd /mnt/mdt1",
        ] {
            let out = run(&mut state, "mds1", cmd);
            assert_eq!(out.code, 0, "{cmd}: {out:?}");
        }
        let get = "lctl get_param -n osp.fs1-OST0001-osc-MDT0001.active osp.fs1-OST0000-osc-MDT0001.active";
        assert_eq!(run(&mut state, "mds1", get).stdout, "0\n1\n");
    }

    #[test]
    fn an_osp_parameter_is_set_live_on_the_mds() {
        let mut state = file_system();
        let set = run(
            &mut state,
            "mds1",
            "lctl set_param osp.fs1-OST0001-osc-MDT0000.max_create_count=0",
        );
        assert_eq!(set.code, 0, "{set:?}");
        let get = "lctl get_param -n osp.fs1-OST0001-osc-MDT0000.max_create_count";
        assert_eq!(run(&mut state, "mds1", get).stdout, "0\n");
        let elsewhere = run(
            &mut state,
            "oss1",
            "lctl set_param osp.fs1-OST0001-osc-MDT0000.max_create_count=0",
        );
        assert_ne!(elsewhere.code, 0, "no osp on an OSS");
    }

    #[test]
    fn a_second_mdt_joins_a_live_file_system_and_a_used_ost_index_is_refused() {
        let mut state = file_system();
        let mdt1 = "mkfs.lustre --mdt --fsname=fs1 --index=1 --mgsnode=10.0.0.1@tcp /dev/sdd";
        assert_eq!(run(&mut state, "mds1", mdt1).code, 0);
        let mounted = run(&mut state, "mds1", "mount -t lustre /dev/sdd /mnt/mdt1");
        assert_eq!(mounted.code, 0, "{mounted:?}");
        let out = run(&mut state, "mds1", "lctl get_param -N osp.*-osc-MDT0001.active");
        assert_eq!(
            out.stdout,
            "osp.fs1-OST0000-osc-MDT0001.active\nosp.fs1-OST0001-osc-MDT0001.active\n"
        );
        // mgs_set_index: a new target asking for a registered index gets
        // EADDRINUSE from the MGS, which mount.lustre reports.
        let ost1 = "mkfs.lustre --ost --fsname=fs1 --index=1 --mgsnode=10.0.0.1@tcp /dev/sdd";
        assert_eq!(run(&mut state, "oss1", ost1).code, 0);
        let taken = run(&mut state, "oss1", "mount -t lustre /dev/sdd /mnt/ost1b");
        assert_eq!(taken.code, 98, "{taken:?}");
        assert!(taken.stderr.contains("index is already in use"), "{taken:?}");
        let index = "mkfs.lustre --ost --fsname=fs1 --index=65535 --mgsnode=10.0.0.1@tcp --reformat /dev/sdd";
        assert_ne!(run(&mut state, "oss1", index).code, 0, "0xffff is no index");
    }
}
