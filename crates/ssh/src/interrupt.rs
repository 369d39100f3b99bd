//! Interrupting a remote command so that it really stops.
//!
//! Dropping an exec's future leaves its command running on the server: SSH
//! has no "cancel", and a command that does not write never notices its
//! closed channel. A caller that wants its commands stoppable runs them
//! inside [`Interrupt::scope`]; once [`Interrupt::interrupt`] is called, an
//! exec in that scope kills its command and waits (bounded) until the
//! server reports it ended, and a later exec refuses to start.
//!
//! Killing takes two ways, since no one way works on every server:
//!
//! 1. The SSH `signal` request (`KILL`). OpenSSH's `session.c`
//!    (`session_signal_req`) answers it with `killpg()` on the session's
//!    process group, but refuses it on root logins ("session signalling
//!    requires privilege separation"); lustre-sim honours it the same way.
//! 2. When the channel has not closed soon after, a second channel on the
//!    same connection kills every other session of that connection by
//!    process group: sshd makes each exec a session leader (`setsid()`),
//!    a child of the connection's process, so the command's group is a
//!    sibling of the killer's own shell. A pooled connection runs one
//!    command at a time, so the only sibling is the interrupted command.
//!
//!    The kill is refused unless the connection's process (`$PPID`) is
//!    sshd's (`sshd`, `sshd-session`) and not init, so that it can never
//!    reach unrelated process groups.
//!
//! The command is stopped once the server closes its channel. Until then
//! the kill is repeated with a growing pause, then the exec waits for the
//! end however long it takes: the caller goes on holding the command (a
//! worker, its step and the step's locks). Only a connection lost first
//! leaves the interrupt [`Interrupt::unconfirmed`].
//!
//! Limitation: only the command's own processes are killed. Work it handed
//! to another service (`systemctl start`, `pcs resource enable`, a mount
//! helper that systemd runs) goes on after its client is killed; the
//! service's own state shows what became of it.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// How long the server has to close the channel after the `signal` request.
pub const SIGNAL_GRACE: Duration = Duration::from_secs(2);

/// How long one process-group kill may take to run.
pub const KILLER_GRACE: Duration = Duration::from_secs(2);

/// The pause after the first process-group kill before the next; it
/// doubles each round up to [`KILL_RETRY_MAX`].
pub const KILL_RETRY_FIRST: Duration = Duration::from_secs(1);

/// The longest pause between kills.
pub const KILL_RETRY_MAX: Duration = Duration::from_secs(15);

/// How many process-group kills are tried before only waiting.
pub const KILL_ROUNDS: u32 = 8;

/// The command line that kills, by process group, every session of this
/// SSH connection other than its own shell (see the module comment). It
/// does nothing unless its parent is sshd's connection process.
pub const KILL_SIBLINGS: &str = concat!(
    r#"[ "$PPID" -gt 1 ] 2>/dev/null || exit 0; "#,
    r#"case "$(cat /proc/$PPID/comm 2>/dev/null)" in sshd*) ;; *) exit 0 ;; esac; "#,
    r#"for p in $(pgrep -P "$PPID"); do [ "$p" = "$$" ] || kill -KILL -- "-$p" 2>/dev/null; done; true"#,
);

/// A handle that interrupts the commands run in its scope.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    token: CancellationToken,
    unconfirmed: Arc<AtomicBool>,
    running: Arc<AtomicUsize>,
}

tokio::task_local! {
    static CURRENT: Interrupt;
}

impl Interrupt {
    /// A handle not yet interrupted.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `work` with this handle reaching every exec inside it.
    pub async fn scope<F: Future>(&self, work: F) -> F::Output {
        CURRENT.scope(self.clone(), work).await
    }

    /// Interrupts the commands of this scope: the running one is killed,
    /// later ones refuse to start.
    pub fn interrupt(&self) {
        self.token.cancel();
    }

    /// Whether [`Interrupt::interrupt`] was called.
    pub fn is_interrupted(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Waits until [`Interrupt::interrupt`] is called.
    pub async fn interrupted(&self) {
        self.token.cancelled().await;
    }

    /// Whether an interrupted command could not be seen to stop: it may
    /// still run on its server.
    pub fn unconfirmed(&self) -> bool {
        self.unconfirmed.load(Ordering::SeqCst)
    }

    /// How many commands of this scope are running now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// Counts a command as running until the guard drops.
    pub(crate) fn enter(&self) -> Running {
        self.running.fetch_add(1, Ordering::SeqCst);
        Running(self.running.clone())
    }

    pub(crate) fn mark_unconfirmed(&self) {
        self.unconfirmed.store(true, Ordering::SeqCst);
    }
}

/// A command counted running; dropping it counts it ended.
pub(crate) struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The handle of the scope the current task runs in, if any.
pub fn current() -> Option<Interrupt> {
    CURRENT.try_with(Clone::clone).ok()
}

#[cfg(test)]
mod tests {
    use super::KILL_SIBLINGS;
    use std::process::Command;

    /// Run from a process that is not sshd (this test), the kill leaves
    /// that process's other children alone.
    #[test]
    fn the_sibling_kill_does_nothing_outside_sshd() -> std::io::Result<()> {
        // Its own session and process group, as sshd makes each exec.
        let mut bystander = Command::new("setsid").args(["sleep", "30"]).spawn()?;
        std::thread::sleep(std::time::Duration::from_millis(200));
        // bash, root's usual login shell, whose `kill` takes `--`.
        let status = Command::new("bash").args(["-c", KILL_SIBLINGS]).status()?;
        assert!(status.success());
        std::thread::sleep(std::time::Duration::from_millis(200));
        let survived = bystander.try_wait()?.is_none();
        bystander.kill()?;
        bystander.wait()?;
        assert!(survived, "the kill reached a process group outside sshd");
        Ok(())
    }
}
