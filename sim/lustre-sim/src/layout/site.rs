//! A large site described by a few numbers (`lustre-sim gen-cluster`):
//! MDS and OSS hosts in failover pairs, both hosts of a pair seeing the
//! pair's devices (one serial, one path on both, as the default layout
//! shares them), and the realistic command latencies of
//! [`Latencies::realistic`].
//!
//! Hosts come MDS first (`mds1`, `mds2`, …, then `oss1`, …), so `mds1`
//! has NID `10.0.0.1@tcp`; host *i* has `10.0.<i / 254>.<i % 254 + 1>@tcp`.
//! An MDS pair's devices are `/dev/mapper/mdt00`…, an OSS pair's
//! `/dev/mapper/ost00`…; with an odd count the last host has no partner.

use super::{DeviceLayout, HostLayout, Layout};
use crate::latency::Latencies;

/// Size of each OSS device: 64 TiB.
pub const OST_DEVICE_SIZE: u64 = 64 << 40;

/// Size of each MDS device: 4 TiB.
pub const MDT_DEVICE_SIZE: u64 = 4 << 40;

/// The numbers that describe a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSpec {
    /// MDS hosts (paired in order).
    pub mds: usize,
    /// Devices each MDS sees (shared with its partner).
    pub devices_per_mds: usize,
    /// OSS failover pairs.
    pub oss_pairs: usize,
    /// Devices each OSS sees (shared with its partner).
    pub devices_per_oss: usize,
    /// Write [`Latencies::realistic`] into the layout.
    pub latencies: bool,
}

impl Default for SiteSpec {
    /// Issue 19's site: 4 MDS (two pairs, four devices each) and 50 OSS
    /// pairs of 40 devices, 2,000 OST devices in all, with latencies.
    fn default() -> SiteSpec {
        SiteSpec {
            mds: 4,
            devices_per_mds: 4,
            oss_pairs: 50,
            devices_per_oss: 40,
            latencies: true,
        }
    }
}

impl Layout {
    /// The layout of the site `spec` describes (see the module documentation).
    pub fn site(spec: &SiteSpec) -> Layout {
        let mut hosts = Vec::new();
        for i in 0..spec.mds {
            let devices = pair_devices("mdt", "MDS", i / 2, spec.devices_per_mds, MDT_DEVICE_SIZE);
            hosts.push(HostLayout::new(&format!("mds{}", i + 1), devices));
        }
        for i in 0..2 * spec.oss_pairs {
            let devices = pair_devices("ost", "OSS", i / 2, spec.devices_per_oss, OST_DEVICE_SIZE);
            hosts.push(HostLayout::new(&format!("oss{}", i + 1), devices));
        }
        for (i, host) in hosts.iter_mut().enumerate() {
            host.nid = Some(format!("10.0.{}.{}@tcp", i / 254, i % 254 + 1));
        }
        Layout {
            hosts,
            latencies: spec.latencies.then(Latencies::realistic),
        }
    }
}

/// The devices of pair `pair` of one kind: `/dev/mapper/{prefix}NN`, serial
/// `SITE-{kind}{pair}-NN`.
fn pair_devices(prefix: &str, kind: &str, pair: usize, count: usize, size: u64) -> Vec<DeviceLayout> {
    (0..count)
        .map(|d| DeviceLayout {
            path: format!("/dev/mapper/{prefix}{d:02}"),
            size,
            serial: format!("SITE-{kind}{pair:03}-{d:02}"),
            multipath: None,
            partitions: Vec::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{SiteSpec, OST_DEVICE_SIZE};
    use crate::layout::Layout;
    use crate::state::ClusterState;

    #[test]
    fn the_issue_site_has_104_hosts_in_pairs_sharing_their_devices() {
        let layout = Layout::site(&SiteSpec::default());
        assert_eq!(layout.hosts.len(), 104);
        let names: Vec<&str> = layout.hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(&names[..5], ["mds1", "mds2", "mds3", "mds4", "oss1"]);
        assert_eq!(names[103], "oss100");
        assert_eq!(layout.nid(0), "10.0.0.1@tcp");
        assert_eq!(layout.nid(103), "10.0.0.104@tcp");
        assert!(layout.validate().is_ok());
        let state = ClusterState::from_layout(&layout);
        let osts: Vec<_> = state.devices.values().filter(|d| d.size == OST_DEVICE_SIZE).collect();
        assert_eq!(osts.len(), 2_000);
        assert!(osts.iter().all(|d| d.paths.len() == 2));
        assert_eq!(state.host_devices("oss1"), state.host_devices("oss2"));
        assert_ne!(state.host_devices("oss2"), state.host_devices("oss3"));
        assert_eq!(state.host_devices("mds3").len(), 4);
        assert!(layout.latencies.is_some_and(|l| !l.is_empty()));
    }

    #[test]
    fn an_odd_host_has_no_partner_and_nids_stay_valid_past_254_hosts() {
        let spec = SiteSpec {
            mds: 3,
            oss_pairs: 130,
            latencies: false,
            ..SiteSpec::default()
        };
        let layout = Layout::site(&spec);
        let state = ClusterState::from_layout(&layout);
        assert_eq!(state.host_devices("mds3").len(), 4);
        assert!(state
            .devices
            .values()
            .filter(|d| d.paths.contains_key("mds3"))
            .all(|d| d.paths.len() == 1));
        assert_eq!(layout.nid(254), "10.0.1.1@tcp");
        assert!(layout.latencies.is_none());
    }
}
