//! Reaching a managed server: its connection details from the database, and
//! commands run on it as root over the pooled SSH sessions. Every argv
//! element is passed as its own argument (chroma-ssh quotes it). A server
//! that presents a host key other than the pinned one raises a
//! `host_key_changed` alert and the command fails.

use chroma_ssh::{ExecOutput, Fingerprint, SshError, Target};
use std::time::Duration;
use uuid::Uuid;

use crate::error::{db_error, ActionError};
use crate::shared::Shared;

/// Longest an ordinary command may take.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
/// Login user on managed servers.
pub const USER: &str = "root";

/// A managed host as the actions need it.
#[derive(Debug, Clone)]
pub struct Server {
    pub id: Uuid,
    /// How messages name it: its node name once probed, else `address:port`.
    pub name: String,
    pub target: Target,
    /// The pinned host key; `None` until the host is probed.
    pub fingerprint: Option<Fingerprint>,
    /// Its LNet NIDs as last seen (`10.0.0.2@tcp`), without `0@lo`.
    pub nids: Vec<String>,
    /// Its Pacemaker node name (`crm_node -n`), once its cluster runs.
    pub ha_node: Option<String>,
}

impl Server {
    /// Loads host `id`.
    pub async fn load(shared: &Shared, id: Uuid) -> Result<Server, ActionError> {
        let row = store::hosts::connection(&shared.db, id)
            .await
            .map_err(db_error("read the host"))?
            .ok_or_else(|| ActionError::Bug(format!("host {id} does not exist")))?;
        let store::hosts::Connection {
            address,
            port,
            fingerprint,
            nodename,
            nids,
            ha_node,
        } = row;
        let port = u16::try_from(port).map_err(|e| ActionError::Bug(format!("bad port of host {id}: {e}")))?;
        let fingerprint = fingerprint
            .map(|f| Fingerprint::parse(&f))
            .transpose()
            .map_err(|e| ActionError::Bug(format!("bad stored fingerprint of host {id}: {e}")))?;
        Ok(Server {
            id,
            name: nodename.unwrap_or_else(|| format!("{address}:{port}")),
            target: Target::new(address, port, USER),
            fingerprint,
            nids,
            ha_node,
        })
    }

    /// Loads every host in `ids`, in that order.
    pub async fn load_all(shared: &Shared, ids: &[Uuid]) -> Result<Vec<Server>, ActionError> {
        let mut servers = Vec::with_capacity(ids.len());
        for id in ids {
            servers.push(Server::load(shared, *id).await?);
        }
        Ok(servers)
    }

    /// Its Pacemaker node name, which every `crm_resource --node` and
    /// location constraint must use (never its host name).
    pub fn node_name(&self) -> Result<&str, ActionError> {
        self.ha_node.as_deref().ok_or_else(|| {
            ActionError::Refused(format!(
                "{} has no Pacemaker node name yet: set up its HA cluster first (chroma ha setup)",
                self.name
            ))
        })
    }

    /// Its NIDs, which mkfs.lustre and clients name it by; fails when it
    /// has none.
    pub fn require_nids(&self) -> Result<&[String], ActionError> {
        Some(self.nids.as_slice()).filter(|n| !n.is_empty()).ok_or_else(|| {
            ActionError::Refused(format!(
                "LNet is not up on {}: it has no NIDs (start LNet on it first)",
                self.name
            ))
        })
    }

    /// Runs `argv` within [`COMMAND_TIMEOUT`]; any exit status is `Ok`.
    pub async fn exec<S: AsRef<str>>(&self, shared: &Shared, argv: &[S]) -> Result<ExecOutput, ActionError> {
        self.exec_for(shared, argv, COMMAND_TIMEOUT).await
    }

    /// Runs `argv` within `timeout`; any exit status is `Ok`.
    pub async fn exec_for<S: AsRef<str>>(
        &self,
        shared: &Shared,
        argv: &[S],
        timeout: Duration,
    ) -> Result<ExecOutput, ActionError> {
        let fingerprint = self
            .fingerprint
            .as_ref()
            .ok_or_else(|| ActionError::Refused(format!("host {} has not been probed", self.name)))?;
        match shared.ssh.exec(&self.target, fingerprint, argv, timeout).await {
            Ok(output) => {
                super::transcript::record(&self.name, &shown(argv), &output);
                Ok(output)
            }
            Err(err) => {
                if let SshError::HostKeyMismatch { expected, seen, .. } = &err {
                    host_key_changed(shared, self.id, &self.name, expected, seen).await?;
                }
                Err(ActionError::Ssh {
                    context: format!("{}: `{}` failed", self.name, shown(argv)),
                    source: Box::new(err),
                })
            }
        }
    }

    /// Writes `content` to the file `path` on the server with `mode`
    /// (octal, `0600`), creating its directory: `install -D -m MODE
    /// /dev/stdin PATH` with the content on standard input, so nothing of
    /// it is ever on a command line.
    pub async fn write_file(&self, shared: &Shared, path: &str, mode: &str, content: &[u8]) -> Result<(), ActionError> {
        let argv = ["install", "-D", "-m", mode, "/dev/stdin", path];
        let output = self.exec_with_input(shared, &argv, content).await?;
        if output.success() {
            return Ok(());
        }
        Err(self.failed(&argv, &output))
    }

    /// Runs `argv`, which must succeed, with secret `input` on its
    /// standard input. Its output may echo the secret, so the transcript
    /// keeps the command and status only, and a failure says nothing of
    /// what it printed beyond its first line on stderr.
    pub async fn exec_secret<S: AsRef<str>>(
        &self,
        shared: &Shared,
        argv: &[S],
        input: &[u8],
    ) -> Result<(), ActionError> {
        let output = self.send_input(shared, argv, input).await?;
        let mut kept = output.clone();
        kept.stdout = String::new();
        kept.stderr = kept.stderr.lines().next().unwrap_or_default().to_owned();
        super::transcript::record(&self.name, &shown(argv), &kept);
        if output.success() {
            return Ok(());
        }
        Err(self.failed(argv, &kept))
    }

    /// Runs `argv` with `input` on its standard input; any exit status is
    /// `Ok`. The transcript keeps the command and its output, never the
    /// input.
    pub async fn exec_with_input<S: AsRef<str>>(
        &self,
        shared: &Shared,
        argv: &[S],
        input: &[u8],
    ) -> Result<ExecOutput, ActionError> {
        let output = self.send_input(shared, argv, input).await?;
        super::transcript::record(&self.name, &shown(argv), &output);
        Ok(output)
    }

    /// Runs `argv` with `input` on its standard input, recording nothing:
    /// the callers decide what the transcript may keep.
    async fn send_input<S: AsRef<str>>(
        &self,
        shared: &Shared,
        argv: &[S],
        input: &[u8],
    ) -> Result<ExecOutput, ActionError> {
        let fingerprint = self
            .fingerprint
            .as_ref()
            .ok_or_else(|| ActionError::Refused(format!("host {} has not been probed", self.name)))?;
        shared
            .ssh
            .exec_with_input(&self.target, fingerprint, argv, Some(input), COMMAND_TIMEOUT)
            .await
            .map_err(|err| ActionError::Ssh {
                context: format!("{}: `{}` failed", self.name, shown(argv)),
                source: Box::new(err),
            })
    }

    /// Runs `argv`, which must exit with status 0; returns its stdout.
    pub async fn check<S: AsRef<str>>(&self, shared: &Shared, argv: &[S]) -> Result<String, ActionError> {
        self.check_for(shared, argv, COMMAND_TIMEOUT).await
    }

    /// Runs `argv` within `timeout`; it must exit with status 0.
    pub async fn check_for<S: AsRef<str>>(
        &self,
        shared: &Shared,
        argv: &[S],
        timeout: Duration,
    ) -> Result<String, ActionError> {
        let output = self.exec_for(shared, argv, timeout).await?;
        if output.success() {
            return Ok(output.stdout);
        }
        Err(self.failed(argv, &output))
    }

    /// The error for `argv` having exited badly: host, command, status and
    /// what it printed on stderr (stdout when stderr is empty).
    pub fn failed<S: AsRef<str>>(&self, argv: &[S], output: &ExecOutput) -> ActionError {
        let status = match (&output.exit_status, &output.exit_signal) {
            (Some(code), _) => format!("status {code}"),
            (None, Some(signal)) => format!("signal {signal}"),
            (None, None) => "no status".to_owned(),
        };
        let said = if output.stderr.trim().is_empty() {
            output.stdout.trim()
        } else {
            output.stderr.trim()
        };
        ActionError::Command(format!("{}: `{}` exited with {status}: {said}", self.name, shown(argv)))
    }
}

/// An argv as a reader would type it (for messages only; never executed).
pub fn shown<S: AsRef<str>>(argv: &[S]) -> String {
    argv.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(" ")
}

/// Raises the `host_key_changed` alert of host `id` (once while active).
pub async fn host_key_changed(
    shared: &Shared,
    id: Uuid,
    name: &str,
    expected: &str,
    seen: &str,
) -> Result<(), ActionError> {
    let message = format!(
        "host key of {name} changed: expected {expected}, the server presented {seen}; \
         Chroma refuses to connect until the key is checked"
    );
    let alert = store::alerts::Raise {
        kind: store::alerts::AlertKind::HostKeyChanged,
        item: lustre::Item::Host(id),
        message,
        details: serde_json::json!({}),
    };
    store::alerts::raise(&shared.db, alert)
        .await
        .map_err(db_error("raise the host key alert"))?;
    Ok(())
}
