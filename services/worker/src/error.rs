//! How an action fails. Each variant says whose failure it is: the
//! database's or the network's (transient: the same step may succeed
//! later), the server's answer (a command that ran and failed, a state
//! that refuses the action, with a reason for the operator), or Chroma's
//! own bug (input that should never reach the worker). Whatever the
//! variant, its `Display` is the readable message the step records.

use chroma_ssh::SshError;
use sea_orm::DbErr;
use uuid::Uuid;

/// Why an action failed. Kept small (sources boxed): an action's
/// `Result`s pass through many nested futures, whose poll frames in debug
/// builds come close to a worker thread's stack limit.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The database failed while the action read or recorded `what`
    /// ("read the target"). Transient.
    #[error("cannot {what}: {source}")]
    Database {
        what: String,
        #[source]
        source: Box<DbErr>,
    },
    /// SSH failed: the server could not be reached, or a command could not
    /// be run on it (`context`: the host and command). Transient unless the
    /// server refused Chroma's key or presented another host key.
    #[error("{context}: {source}")]
    Ssh {
        context: String,
        #[source]
        source: Box<SshError>,
    },
    /// No server of several answered (each one's failure is in the
    /// message). Transient.
    #[error("{0}")]
    Unreachable(String),
    /// The server's answer: a command ran and failed, or printed something
    /// that shows the action cannot be done as asked.
    #[error("{0}")]
    Command(String),
    /// The action refuses to run in the state found (a target still
    /// mounted, a volume in use, LNet down…); the message tells the
    /// operator why and what to do.
    #[error("{0}")]
    Refused(String),
    /// Another worker took the step over; this attempt records nothing.
    #[error("attempt {attempt} of step {step_id} was taken over; not recording")]
    TakenOver { step_id: Uuid, attempt: i32 },
    /// Chroma's bug: input that should never have reached the worker (a
    /// missing or malformed row, an impossible value).
    #[error("{0}")]
    Bug(String),
}

impl ActionError {
    /// Whether the same step may succeed if run again later: the database
    /// or the network failed, not the action.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Database { .. } | Self::Unreachable(_) => true,
            Self::Ssh { source, .. } => !matches!(
                **source,
                SshError::HostKeyMismatch { .. }
                    | SshError::AuthRefused { .. }
                    | SshError::InvalidCommand { .. }
                    | SshError::InvalidFingerprint { .. }
                    | SshError::KeyIo { .. }
                    | SshError::KeyInvalid { .. }
            ),
            Self::Command(_) | Self::Refused(_) | Self::TakenOver { .. } | Self::Bug(_) => false,
        }
    }

    /// Whether the failure is Chroma's own bug rather than the server's
    /// or the operator's concern.
    pub fn is_bug(&self) -> bool {
        matches!(self, Self::Bug(_))
    }
}

/// Maps a database error met while the action did `what` ("read the
/// hosts"): the message reads "cannot read the hosts: …".
pub fn db_error(what: impl Into<String>) -> impl Fn(DbErr) -> ActionError {
    let what = what.into();
    move |source| ActionError::Database {
        what: what.clone(),
        source: Box::new(source),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_is_the_step_error() {
        let err = db_error("read the target")(DbErr::Custom("gone".into()));
        assert_eq!(err.to_string(), "cannot read the target: Custom Error: gone");
        assert!(err.is_transient());
        let refused = ActionError::Refused("fs1-OST0000 is mounted".into());
        assert_eq!(refused.to_string(), "fs1-OST0000 is mounted");
        assert!(!refused.is_transient());
        assert!(ActionError::Bug("bad row".into()).is_bug());
    }
}
