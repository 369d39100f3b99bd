//! The error type of the SSH layer.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong between Chroma and a server's `sshd`.
///
/// Each variant names the target (`user@address:port`) so a step's output
/// says which host failed and why. [`SshError::code`] gives a stable
/// snake_case code for the API and metrics.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    /// Chroma's key file could not be read, created or written.
    #[error("failed to read or create SSH key {path}: {source}")]
    KeyIo {
        /// The key file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Chroma's key file exists but is not a usable private key.
    #[error("invalid SSH key {path}: {message}")]
    KeyInvalid {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A string is not an OpenSSH SHA256 fingerprint.
    #[error("invalid host key fingerprint {value:?}: expected SHA256:<base64>")]
    InvalidFingerprint {
        /// The rejected input.
        value: String,
    },
    /// An argument cannot be passed to a remote command at all.
    #[error("invalid command: {reason}")]
    InvalidCommand {
        /// Why the argv was refused.
        reason: &'static str,
    },
    /// Nothing listens on the target's port.
    #[error("connection to {target} refused")]
    ConnectionRefused {
        /// `user@address:port`.
        target: String,
    },
    /// The TCP connection failed for another reason (unreachable, DNS, …).
    #[error("failed to connect to {target}: {source}")]
    Connect {
        /// `user@address:port`.
        target: String,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Connecting, key exchange and authentication took longer than allowed.
    #[error("timed out after {timeout:?} connecting to {target}")]
    ConnectTimeout {
        /// `user@address:port`.
        target: String,
        /// The connect timeout.
        timeout: Duration,
    },
    /// The server presented a host key other than the pinned one.
    #[error("host key of {target} changed: expected {expected}, server presented {seen}; refusing to connect")]
    HostKeyMismatch {
        /// `user@address:port`.
        target: String,
        /// The pinned fingerprint.
        expected: String,
        /// The fingerprint the server presented.
        seen: String,
    },
    /// The server did not accept Chroma's public key.
    #[error("{target} refused public key authentication; is Chroma's public key in the authorized_keys of that user?")]
    AuthRefused {
        /// `user@address:port`.
        target: String,
    },
    /// The SSH transport failed (handshake, disconnect, protocol error).
    #[error("SSH connection to {target} failed: {source}")]
    Protocol {
        /// `user@address:port`.
        target: String,
        /// The russh error.
        source: Box<russh::Error>,
    },
    /// A session channel could not be opened; nothing was run.
    #[error("could not open a channel to {target}: {source}")]
    ChannelOpen {
        /// `user@address:port`.
        target: String,
        /// The russh error.
        source: Box<russh::Error>,
    },
    /// The channel failed after the command was sent; it may have run.
    #[error("channel to {target} failed while running {command:?}: {reason}")]
    Channel {
        /// `user@address:port`.
        target: String,
        /// The command line sent.
        command: String,
        /// What went wrong.
        reason: String,
    },
    /// The command did not finish in time; its channel was closed.
    #[error("command {command:?} on {target} timed out after {timeout:?}")]
    CommandTimeout {
        /// `user@address:port`.
        target: String,
        /// The command line sent.
        command: String,
        /// The command timeout.
        timeout: Duration,
    },
    /// The command was interrupted ([`crate::Interrupt`]): killed if it
    /// had started, and `stopped` unless it could not be seen to end.
    #[error("command {command:?} on {target} was interrupted{}", if *stopped { "" } else { "; it may still be running" })]
    Interrupted {
        /// `user@address:port`.
        target: String,
        /// The command line.
        command: String,
        /// Whether the server reported the command ended (or it never started).
        stopped: bool,
    },
    /// No pooled session became free in time.
    #[error("timed out waiting for a free SSH session to {target}")]
    PoolTimeout {
        /// `user@address:port`.
        target: String,
    },
    /// The pool itself failed (closed, misconfigured).
    #[error("SSH session pool for {target} failed: {message}")]
    Pool {
        /// `user@address:port`.
        target: String,
        /// What went wrong.
        message: String,
    },
}

impl SshError {
    /// A stable snake_case code for this error, for APIs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::KeyIo { .. } => "ssh_key_io",
            Self::KeyInvalid { .. } => "ssh_key_invalid",
            Self::InvalidFingerprint { .. } => "ssh_invalid_fingerprint",
            Self::InvalidCommand { .. } => "ssh_invalid_command",
            Self::ConnectionRefused { .. } => "ssh_connection_refused",
            Self::Connect { .. } => "ssh_connect_failed",
            Self::ConnectTimeout { .. } => "ssh_connect_timeout",
            Self::HostKeyMismatch { .. } => "ssh_host_key_mismatch",
            Self::AuthRefused { .. } => "ssh_auth_refused",
            Self::Protocol { .. } => "ssh_protocol",
            Self::ChannelOpen { .. } => "ssh_channel_open",
            Self::Channel { .. } => "ssh_channel",
            Self::CommandTimeout { .. } => "ssh_command_timeout",
            Self::Interrupted { .. } => "ssh_interrupted",
            Self::PoolTimeout { .. } => "ssh_pool_timeout",
            Self::Pool { .. } => "ssh_pool",
        }
    }

    /// Whether the session this error came from should be thrown away
    /// rather than returned to a pool.
    pub(crate) fn breaks_session(&self) -> bool {
        !matches!(
            self,
            Self::InvalidCommand { .. } | Self::CommandTimeout { .. } | Self::Interrupted { stopped: true, .. }
        )
    }
}
