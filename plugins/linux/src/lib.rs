//! The Linux storage plugin for Chroma (docs/plugins.md): logs in to each
//! managed server over SSH (its host key pinned) and reports its block
//! devices — disks, partitions, multipath maps, logical volumes — with
//! their serials, so Chroma can link them to LUNs and to its own volumes,
//! and their I/O counters from `/proc/diskstats`.

pub mod classes;
pub mod diskstats;
pub mod handler;
pub mod hosts;
pub mod inventory;
pub mod lsblk;
pub mod lvs;
pub mod multipath;
