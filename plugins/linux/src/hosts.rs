//! One SSH session per managed server, kept between calls and opened again
//! when it drops. Every server's key must match the fingerprint Chroma
//! pinned for it; no other key is ever trusted.

use std::time::Duration;

use chroma_ssh::{ExecOutput, Fingerprint, HostKeyPolicy, KeyPair, Session, SshError, Target, Timeouts};

use crate::inventory::HostInfo;

/// Chroma logs in to its servers as root.
const USER: &str = "root";

/// Why a command gave no output to use.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The server could not be reached (or its key did not match).
    #[error("{host} cannot be reached: {reason}")]
    Unreachable {
        /// Host name.
        host: String,
        /// What failed.
        reason: String,
    },
    /// The server answered but the command failed (missing, non-zero exit, timeout).
    #[error("`{command}` failed on {host}: {reason}")]
    Command {
        /// Host name.
        host: String,
        /// The command.
        command: String,
        /// Exit status and stderr, or the timeout.
        reason: String,
    },
}

/// A server and its session, if one is open.
#[derive(Debug)]
pub struct Connection {
    /// The server.
    pub host: HostInfo,
    session: Option<Session>,
}

impl Connection {
    /// A connection to `host`, not yet opened.
    pub fn new(host: HostInfo) -> Self {
        Self { host, session: None }
    }

    /// Runs `argv`, connecting first if needed and once more if the session
    /// turns out to have dropped. Returns stdout of a successful command.
    pub async fn run(&mut self, key: &KeyPair, argv: &[&str], timeout: Duration) -> Result<String, HostError> {
        let mut retried = false;
        loop {
            let session = self.session(key).await?;
            match session.exec(argv, timeout).await {
                Ok(output) => return self.checked(argv, output),
                Err(error @ (SshError::CommandTimeout { .. } | SshError::InvalidCommand { .. })) => {
                    return Err(self.command_error(argv, error.to_string()));
                }
                Err(error) => {
                    // The connection is gone: open a new one, once.
                    self.session = None;
                    if retried {
                        return Err(self.unreachable(error.to_string()));
                    }
                    eprintln!("{}: session lost ({error}); reconnecting", self.host.name);
                    retried = true;
                }
            }
        }
    }

    async fn session(&mut self, key: &KeyPair) -> Result<&Session, HostError> {
        if self.session.as_ref().is_some_and(Session::is_closed) {
            self.session = None;
        }
        if self.session.is_none() {
            let fingerprint = Fingerprint::parse(&self.host.fingerprint)
                .map_err(|e| self.unreachable(format!("its pinned fingerprint is unusable: {e}")))?;
            let target = Target::new(self.host.address.clone(), self.host.port, USER);
            let (session, _) = Session::connect(&target, key, HostKeyPolicy::Pinned(fingerprint), &Timeouts::default())
                .await
                .map_err(|e| self.unreachable(e.to_string()))?;
            self.session = Some(session);
        }
        self.session
            .as_ref()
            .ok_or_else(|| self.unreachable("no session".to_string()))
    }

    fn checked(&self, argv: &[&str], output: ExecOutput) -> Result<String, HostError> {
        if output.success() {
            return Ok(output.stdout);
        }
        let status = output.exit_status.map_or_else(
            || format!("signal {}", output.exit_signal.unwrap_or_default()),
            |s| format!("exit {s}"),
        );
        Err(self.command_error(argv, format!("{status}: {}", output.stderr.trim())))
    }

    fn command_error(&self, argv: &[&str], reason: String) -> HostError {
        HostError::Command {
            host: self.host.name.clone(),
            command: argv.join(" "),
            reason,
        }
    }

    fn unreachable(&self, reason: String) -> HostError {
        HostError::Unreachable {
            host: self.host.name.clone(),
            reason,
        }
    }

    /// Closes the session, if open.
    pub async fn close(&mut self) {
        if let Some(session) = self.session.take() {
            let _ = session.close().await;
        }
    }
}
