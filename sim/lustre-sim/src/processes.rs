//! Commands still running on a host: a command in its `slow` fault delay
//! stands for one that takes that long (an `lfs mirror extend` or `lfs
//! migrate` copying data), and `pgrep`/`ps` show it until it ends. A command
//! whose SSH channel is signalled is dropped during its delay and leaves
//! the list with it; one whose channel merely closes runs on, as under
//! sshd (see `server.rs`).

use std::sync::Mutex;

/// First pid handed out to a running command (copytools take theirs from
/// [`crate::hsm::Hsm`], well below).
const FIRST_PID: u32 = 40_000;

/// A command running on a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub pid: u32,
    pub host: String,
    /// Its words joined by spaces, as `/proc/PID/cmdline` reads in `pgrep -a`.
    pub cmdline: String,
}

/// The commands running on every host of one simulator.
#[derive(Debug, Default)]
pub struct Processes {
    inner: Mutex<(u32, Vec<Running>)>,
}

impl Processes {
    /// Records `cmdline` as running on `host` until the guard is dropped.
    pub fn start(&self, host: &str, cmdline: String) -> Started<'_> {
        let mut inner = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.0 += 1;
        let pid = FIRST_PID + inner.0;
        inner.1.push(Running {
            pid,
            host: host.to_string(),
            cmdline,
        });
        Started { processes: self, pid }
    }

    /// What runs on `host` besides the command `own`.
    pub fn on(&self, host: &str, own: u32) -> Vec<Running> {
        let inner = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        inner
            .1
            .iter()
            .filter(|r| r.host == host && r.pid != own)
            .cloned()
            .collect()
    }
}

/// A command running until dropped.
#[derive(Debug)]
pub struct Started<'a> {
    processes: &'a Processes,
    pub pid: u32,
}

impl Drop for Started<'_> {
    fn drop(&mut self) {
        let mut inner = self
            .processes
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.1.retain(|r| r.pid != self.pid);
    }
}
