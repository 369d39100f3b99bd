//! A simulated RAID array, as a Chroma storage plugin (docs/plugins.md):
//! two controllers, an enclosure of twelve disks and two fans, two RAID6
//! pools and LUNs whose serials match lustre-sim's block devices, so that
//! Chroma links them to its volumes. Faults are injected by editing the
//! state file (`chroma-plugin-sim-raid fault …`).

pub mod classes;
pub mod cli;
pub mod configure;
pub mod detect;
pub mod fault;
pub mod handler;
pub mod ids;
pub mod monitor;

pub mod state;
