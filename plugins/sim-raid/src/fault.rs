//! Fault injection: `chroma-plugin-sim-raid fault --state FILE disk 3 fail`.
//! Edits the state file; a running plugin sees the change on its next answer.

use clap::{Subcommand, ValueEnum};

use crate::state::{ArrayState, Health};

/// Temperature a disk reads after `disk N hot`, above the 60 °C alert bound.
pub const HOT: f64 = 65.0;

/// Which part to break or mend.
#[derive(Debug, Clone, PartialEq, Subcommand)]
pub enum Fault {
    /// A disk, by slot (0–11).
    Disk {
        /// The slot.
        slot: u32,
        /// What to do to it.
        change: DiskChange,
    },
    /// A fan, by index (0–1). A failed fan reads 0 rpm.
    Fan {
        /// The index.
        index: u32,
        /// What to do to it.
        change: Change,
    },
    /// A controller, `A` or `B`.
    Controller {
        /// The name.
        name: String,
        /// What to do to it.
        change: Change,
    },
}

/// Break or mend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Change {
    /// Mark it failed.
    Fail,
    /// Mark it working.
    Ok,
}

/// What can happen to a disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiskChange {
    /// Mark it failed (its pool degrades, then fails at three).
    Fail,
    /// Mark it working.
    Ok,
    /// Mark it rebuilding.
    Rebuild,
    /// Make it read 65 °C.
    Hot,
    /// Back to its normal temperature.
    Cool,
}

fn health(change: Change) -> Health {
    match change {
        Change::Fail => Health::Failed,
        Change::Ok => Health::Ok,
    }
}

/// Applies `fault` to `array`; returns what changed, for the operator.
pub fn apply(array: &mut ArrayState, fault: &Fault) -> anyhow::Result<String> {
    match fault {
        Fault::Disk { slot, change } => {
            let Some(disk) = array.disks.iter_mut().find(|d| d.slot == *slot) else {
                anyhow::bail!(
                    "there is no disk in slot {slot} (slots are 0 to {})",
                    array.disks.len() - 1
                );
            };
            match change {
                DiskChange::Fail => disk.status = Health::Failed,
                DiskChange::Ok => disk.status = Health::Ok,
                DiskChange::Rebuild => disk.status = Health::Rebuilding,
                DiskChange::Hot => disk.temperature = Some(HOT),
                DiskChange::Cool => disk.temperature = None,
            }
            Ok(format!("disk {slot}: {}", disk.status.as_str()))
        }
        Fault::Fan { index, change } => {
            let Some(fan) = array.fans.iter_mut().find(|f| f.index == *index) else {
                anyhow::bail!("there is no fan {index} (fans are 0 to {})", array.fans.len() - 1);
            };
            fan.status = health(*change);
            Ok(format!("fan {index}: {}", fan.status.as_str()))
        }
        Fault::Controller { name, change } => {
            let Some(controller) = array.controllers.iter_mut().find(|c| c.name.eq_ignore_ascii_case(name)) else {
                anyhow::bail!("there is no controller {name} (controllers are A and B)");
            };
            controller.status = health(*change);
            Ok(format!(
                "controller {}: {}",
                controller.name,
                controller.status.as_str()
            ))
        }
    }
}
