//! One SSH connection to one server.
//!
//! [`Session::connect`] opens TCP, checks the host key against a
//! [`HostKeyPolicy`] and authenticates with Chroma's key, all within the
//! connect timeout. [`Session::exec`] runs one command per channel, reads
//! stdout and stderr until the server closes the channel and records the exit
//! status or signal; a command that overruns its timeout is signalled and its
//! channel closed.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::{PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::{Disconnect, Sig};
use tokio::net::TcpStream;

use crate::follow::Follow;
use crate::interrupt::{
    Interrupt, KILLER_GRACE, KILL_RETRY_FIRST, KILL_RETRY_MAX, KILL_ROUNDS, KILL_SIBLINGS, SIGNAL_GRACE,
};
use crate::output::Collected;
use crate::{command_line, ExecOutput, Fingerprint, KeyPair, SshError};

/// Where to connect and as whom.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// Host name or IP address.
    pub address: String,
    /// TCP port of `sshd`.
    pub port: u16,
    /// Remote user to log in as.
    pub user: String,
}

impl Target {
    /// A target from its parts.
    pub fn new(address: impl Into<String>, port: u16, user: impl Into<String>) -> Self {
        Self {
            address: address.into(),
            port,
            user: user.into(),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}:{}", self.user, self.address, self.port)
    }
}

/// How to treat the server's host key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyPolicy {
    /// Accept only a key with this fingerprint; any other is refused with
    /// [`SshError::HostKeyMismatch`].
    Pinned(Fingerprint),
    /// Accept whatever key the server presents and report it, so the caller
    /// can pin it (adding a host without a known fingerprint).
    TrustFirstUse,
}

/// Connection-level time limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect, key exchange and authentication together.
    pub connect: Duration,
    /// Send a keepalive after this much silence from the server; after three
    /// unanswered keepalives the connection is dropped. `None` disables it.
    pub keepalive: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            keepalive: Some(Duration::from_secs(15)),
        }
    }
}

/// What the host-key check saw, shared between the handler and `connect`.
#[derive(Debug, Default)]
struct Seen {
    fingerprint: Option<Fingerprint>,
    refused: bool,
}

/// The russh handler: only checks the host key.
struct Verifier {
    policy: HostKeyPolicy,
    seen: Arc<Mutex<Seen>>,
}

impl client::Handler for Verifier {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        let fingerprint = Fingerprint::of(&key.public_key());
        let accepted = match &self.policy {
            HostKeyPolicy::Pinned(expected) => *expected == fingerprint,
            HostKeyPolicy::TrustFirstUse => true,
        };
        let mut seen = self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        seen.fingerprint = Some(fingerprint);
        seen.refused = !accepted;
        Ok(accepted)
    }
}

/// An authenticated SSH connection to one target.
pub struct Session {
    handle: Handle<Verifier>,
    target: Target,
    host_key: Fingerprint,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("target", &self.target)
            .field("host_key", &self.host_key)
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Session {
    /// Connect to `target`, verify its host key against `policy` and log in
    /// with `key`. Returns the session and the fingerprint the server
    /// presented (equal to the pinned one under [`HostKeyPolicy::Pinned`]).
    #[tracing::instrument(skip_all, fields(target = %target))]
    pub async fn connect(
        target: &Target,
        key: &KeyPair,
        policy: HostKeyPolicy,
        timeouts: &Timeouts,
    ) -> Result<(Session, Fingerprint), SshError> {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let verifier = Verifier {
            policy: policy.clone(),
            seen: Arc::clone(&seen),
        };
        let attempt = tokio::time::timeout(timeouts.connect, handshake(target, key, verifier, timeouts)).await;
        let outcome = attempt.unwrap_or_else(|_| {
            Err(SshError::ConnectTimeout {
                target: target.to_string(),
                timeout: timeouts.connect,
            })
        });
        let seen = std::mem::take(&mut *seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        // Whatever error russh reports after we refuse a key, the cause is the key.
        if let (true, Some(seen_fp), HostKeyPolicy::Pinned(expected)) = (seen.refused, &seen.fingerprint, &policy) {
            tracing::warn!(expected = %expected, seen = %seen_fp, "host key mismatch");
            return Err(SshError::HostKeyMismatch {
                target: target.to_string(),
                expected: expected.to_string(),
                seen: seen_fp.to_string(),
            });
        }
        let handle = outcome?;
        let host_key = seen.fingerprint.ok_or_else(|| SshError::Protocol {
            target: target.to_string(),
            source: Box::new(russh::Error::UnknownKey),
        })?;
        tracing::debug!(host_key = %host_key, "connected");
        Ok((
            Session {
                handle,
                target: target.clone(),
                host_key: host_key.clone(),
            },
            host_key,
        ))
    }

    /// Run `argv` (quoted with [`command_line`]) and collect its output until
    /// the server closes the channel. A command still running after `timeout`
    /// is sent `KILL`, its channel closed, and [`SshError::CommandTimeout`]
    /// returned; the session stays usable. Inside an
    /// [`Interrupt::scope`], an interrupt kills the command and waits for
    /// its end ([`SshError::Interrupted`]).
    ///
    /// OpenSSH ignores the `KILL` request on root logins (it only signals
    /// sessions under privilege separation), and a command that never writes
    /// does not notice its closed channel: as root, a timed-out command may
    /// keep running on the server until it ends by itself.
    pub async fn exec<S: AsRef<str>>(&self, argv: &[S], timeout: Duration) -> Result<ExecOutput, SshError> {
        self.exec_with_input(argv, None, timeout).await
    }

    /// Like [`Session::exec`], with `input` sent as the command's standard
    /// input (then end-of-file) when given: how files are written on a
    /// server without putting their content on a command line
    /// (`install -m 0600 /dev/stdin PATH`).
    #[tracing::instrument(skip_all, fields(target = %self.target))]
    pub async fn exec_with_input<S: AsRef<str>>(
        &self,
        argv: &[S],
        input: Option<&[u8]>,
        timeout: Duration,
    ) -> Result<ExecOutput, SshError> {
        let command = command_line(argv)?;
        let target = self.target.to_string();
        let interrupt = crate::interrupt::current();
        if interrupt.as_ref().is_some_and(Interrupt::is_interrupted) {
            return Err(SshError::Interrupted {
                target,
                command,
                stopped: true,
            });
        }
        let _running = interrupt.as_ref().map(Interrupt::enter);
        let deadline = tokio::time::Instant::now() + timeout;
        // A server that vanished without closing TCP never answers the open
        // request; bound it by the command's deadline. Nothing has run yet.
        let opened = tokio::time::timeout_at(deadline, self.handle.channel_open_session()).await;
        let mut channel = opened
            .unwrap_or(Err(russh::Error::ConnectionTimeout))
            .map_err(|source| SshError::ChannelOpen {
                target: target.clone(),
                source: Box::new(source),
            })?;
        let channel_error = |reason: String| SshError::Channel {
            target: target.clone(),
            command: command.clone(),
            reason,
        };
        channel
            .exec(true, command.as_bytes())
            .await
            .map_err(|e| channel_error(e.to_string()))?;
        tracing::debug!(%command, "exec");
        if let Some(input) = input {
            let sent = tokio::time::timeout_at(deadline, async {
                channel.data(input).await?;
                channel.eof().await
            })
            .await;
            match sent {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(channel_error(format!("cannot send its input: {e}"))),
                Err(_) => return Err(channel_error("timed out sending its input".to_owned())),
            }
        }

        let mut collected = Collected::default();
        let finished = tokio::time::timeout_at(deadline, async {
            match &interrupt {
                None => collected.read(&mut channel).await.map(|()| false),
                Some(interrupt) => tokio::select! {
                    read = collected.read(&mut channel) => read.map(|()| false),
                    () = interrupt.interrupted() => Ok(true),
                },
            }
        })
        .await;
        match finished {
            Ok(Ok(true)) => {
                let stopped = self.kill(&mut channel, &mut collected, &command).await;
                if !stopped {
                    if let Some(interrupt) = &interrupt {
                        interrupt.mark_unconfirmed();
                    }
                }
                Err(SshError::Interrupted {
                    target,
                    command,
                    stopped,
                })
            }
            Ok(Ok(false)) => Ok(collected.into_output()),
            Ok(Err(reason)) => Err(channel_error(reason)),
            Err(_) => {
                tracing::warn!(%command, ?timeout, "command timed out; closing its channel");
                // Best effort (see above): the signal may be ignored, but
                // closing the channel always frees it on both sides.
                let _ = channel.signal(Sig::KILL).await;
                let _ = channel.close().await;
                Err(SshError::CommandTimeout {
                    target,
                    command,
                    timeout,
                })
            }
        }
    }

    /// Kills the command of `channel` (see [`crate::interrupt`]): the
    /// `signal` request, then process-group kills from a second channel,
    /// again and again with a growing pause ([`KILL_ROUNDS`] times), then
    /// waits for the command to end however long it takes: while the
    /// connection lives, the caller holds on to the command (and its
    /// step's locks). `true` once the server closed the channel; `false`
    /// only when the connection was lost first, so whether the command
    /// still runs is unknown.
    async fn kill(&self, channel: &mut russh::Channel<client::Msg>, collected: &mut Collected, command: &str) -> bool {
        tracing::info!(%command, "interrupting command");
        let _ = channel.signal(Sig::KILL).await;
        if let Ok(read) = tokio::time::timeout(SIGNAL_GRACE, collected.read(channel)).await {
            return read.is_ok();
        }
        let mut pause = KILL_RETRY_FIRST;
        for round in 1..=KILL_ROUNDS {
            tracing::info!(%command, round, "the command outlived its kill; killing its process group");
            let _ = tokio::time::timeout(KILLER_GRACE, async {
                let killer = self.handle.channel_open_session().await.ok()?;
                killer.exec(true, KILL_SIBLINGS.as_bytes()).await.ok()?;
                let mut killer = killer;
                let _ = Collected::default().read(&mut killer).await;
                Some(())
            })
            .await;
            if let Ok(read) = tokio::time::timeout(pause, collected.read(channel)).await {
                return read.is_ok();
            }
            tracing::warn!(%command, round, "the interrupted command has not ended; killing it again in {pause:?}");
            let _ = channel.signal(Sig::KILL).await;
            pause = (pause * 2).min(KILL_RETRY_MAX);
        }
        loop {
            tracing::error!(
                %command,
                "an interrupted command outlived {KILL_ROUNDS} kills; waiting for it to end, its step holding its locks"
            );
            if let Ok(read) = tokio::time::timeout(KILL_RETRY_MAX, collected.read(channel)).await {
                return read.is_ok();
            }
        }
    }

    /// Start `argv` (quoted with [`command_line`]) and read its standard
    /// output line by line while it runs (see [`Follow`]). The command runs
    /// until it ends, the [`Follow`] is stopped or dropped with the session.
    #[tracing::instrument(skip_all, fields(target = %self.target))]
    pub async fn follow<S: AsRef<str>>(&self, argv: &[S], open_timeout: Duration) -> Result<Follow, SshError> {
        let command = command_line(argv)?;
        let target = self.target.to_string();
        let opened = tokio::time::timeout(open_timeout, self.handle.channel_open_session()).await;
        let channel = opened
            .unwrap_or(Err(russh::Error::ConnectionTimeout))
            .map_err(|source| SshError::ChannelOpen {
                target: target.clone(),
                source: Box::new(source),
            })?;
        channel
            .exec(true, command.as_bytes())
            .await
            .map_err(|e| SshError::Channel {
                target: target.clone(),
                command: command.clone(),
                reason: e.to_string(),
            })?;
        tracing::debug!(%command, "follow");
        Ok(Follow::new(channel, target, command))
    }

    /// Whether the connection has ended (server closed it, network error,
    /// keepalive timeout). A closed session cannot be used again.
    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }

    /// The target this session is connected to.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The fingerprint of the host key the server presented.
    pub fn host_key(&self) -> &Fingerprint {
        &self.host_key
    }

    /// Disconnect politely. Dropping a session also ends the connection.
    pub async fn close(self) -> Result<(), SshError> {
        if self.is_closed() {
            return Ok(());
        }
        self.handle
            .disconnect(Disconnect::ByApplication, "", "en")
            .await
            .map_err(|source| SshError::Protocol {
                target: self.target.to_string(),
                source: Box::new(source),
            })
    }
}

/// The TCP connection to `target`'s sshd.
pub(crate) async fn open_stream(target: &Target) -> Result<TcpStream, SshError> {
    let stream = TcpStream::connect((target.address.as_str(), target.port))
        .await
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::ConnectionRefused {
                SshError::ConnectionRefused {
                    target: target.to_string(),
                }
            } else {
                SshError::Connect {
                    target: target.to_string(),
                    source,
                }
            }
        })?;
    // Commands are small request/response exchanges; don't let Nagle delay them.
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// TCP connect, key exchange and public-key authentication.
async fn handshake(
    target: &Target,
    key: &KeyPair,
    verifier: Verifier,
    timeouts: &Timeouts,
) -> Result<Handle<Verifier>, SshError> {
    let name = target.to_string();
    let stream = open_stream(target).await?;
    let config = client::Config {
        keepalive_interval: timeouts.keepalive,
        keepalive_max: 3,
        ..Default::default()
    };
    let protocol = |source: russh::Error| SshError::Protocol {
        target: name.clone(),
        source: Box::new(source),
    };
    let mut handle = client::connect_stream(Arc::new(config), stream, verifier)
        .await
        .map_err(protocol)?;
    let auth = handle
        .authenticate_publickey(target.user.clone(), PrivateKeyWithHashAlg::new(key.private_key(), None))
        .await
        .map_err(protocol)?;
    if !auth.success() {
        return Err(SshError::AuthRefused { target: name });
    }
    Ok(handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_displays_as_user_at_host_port() {
        assert_eq!(Target::new("10.0.0.5", 2200, "root").to_string(), "root@10.0.0.5:2200");
    }
}
