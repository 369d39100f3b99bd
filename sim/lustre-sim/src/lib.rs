//! lustre-sim: simulated Lustre servers behind a real SSH server.
//!
//! Each simulated host has its own SSH endpoint (russh), host key and block
//! devices, and answers the administration commands Chroma runs
//! (`mkfs.lustre`, `mount -t lustre`, `lctl dl`, `lsblk -J`, …) and the
//! ones its monitor polls (`lctl get_param`, `cat /proc/stat`,
//! `lnetctl stats show`, `journalctl -o json [-f]`, …) in the formats real
//! Lustre 2.15 servers on RHEL 8 print. Each host keeps a journal that what
//! happens on it writes to. State persists in a directory, so a restart is
//! a reboot, not amnesia; faults are injected through the same directory by
//! `lustre-sim fault`.
//!
//! Start a cluster in-process with [`Cluster::start`]:
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use lustre_sim::{Cluster, FaultCommand, SimConfig};
//! let hosts = vec!["mds1".to_string(), "oss1".to_string(), "oss2".to_string()];
//! // Port 0: every host gets a free port; see `cluster.hosts` for them.
//! let config = SimConfig::new("/tmp/sim".as_ref(), &hosts, 0, "/tmp/authorized_keys".as_ref());
//! let cluster = Cluster::start(config).await?;
//! for host in &cluster.hosts {
//!     println!("{} {} {}", host.name, host.addr, host.fingerprint);
//! }
//! lustre_sim::inject_fault("/tmp/sim".as_ref(), "oss1", FaultCommand::Down)?;
//! let shown = lustre_sim::show("/tmp/sim".as_ref())?; // what `lustre-sim show` prints
//! # let _ = shown;
//! cluster.shutdown().await;
//! # Ok(()) }
//! ```

pub mod block;
pub mod commands;
pub mod effects;
pub mod exec;
pub mod faults;
pub mod hsm;
pub mod journal;
pub mod keys;
pub mod latency;
pub mod layout;
pub mod namespace;
pub mod oneshot;
pub mod pacemaker;
pub mod processes;
pub mod runtime;
pub mod server;
pub mod state;
pub mod zfs;

pub use faults::{inject as inject_fault, FaultCommand};
pub use layout::Layout;
pub use server::{show, Cluster, ClusterHandle, HostEndpoint, SimConfig};
