//! What can go wrong in a `chroma` command, and the exit code each maps to:
//! 1 the operation failed, 2 bad usage, 3 the server could not be reached
//! or would not accept us.

use std::process::ExitCode;

use api_types::envelope::ErrorBody;

/// One error from the server's envelope, with the field at fault.
fn line(error: &ErrorBody) -> String {
    match &error.field {
        Some(field) => format!("{field}: {}", error.message),
        None => error.message.clone(),
    }
}

/// The server's errors, one per line.
fn lines(errors: &[ErrorBody]) -> String {
    errors.iter().map(line).collect::<Vec<_>>().join("\n")
}

/// Why a command did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Arguments that parse but make no sense (a bad `--mdt` spec).
    #[error("{0}")]
    Usage(String),
    /// The server could not be reached, or did not answer like Chroma.
    #[error("cannot reach the Chroma server at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// 401: no token, or an expired or revoked one.
    #[error("{}\nlog in with `chroma login`", lines(.0))]
    Unauthenticated(Vec<ErrorBody>),
    /// The server speaks another major API version.
    #[error("server speaks API version {server}; this chroma CLI speaks {client} — upgrade the CLI")]
    VersionMismatch { server: String, client: &'static str },
    /// 409 `confirmation_required`.
    #[error("{0}\nrun the command again with --yes to go ahead")]
    ConfirmationRequired(String),
    /// A route this server does not have yet.
    #[error("{0} is not supported by this server yet")]
    NotSupported(String),
    /// Any other refusal by the server (4xx), or an internal error (5xx).
    #[error("{}", lines(.errors))]
    Server { status: u16, errors: Vec<ErrorBody> },
    /// A name that matches no object, or several.
    #[error("{0}")]
    NotFound(String),
    /// A command that ended failed or cancelled.
    #[error("command {id} {state}")]
    CommandFailed { id: String, state: String },
    /// Local trouble: the config file, the terminal.
    #[error("{0}")]
    Local(String),
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Unreachable { .. } | CliError::Unauthenticated(_) | CliError::VersionMismatch { .. } => 3,
            // The server is up but a dependency of it is not: as good as
            // unreachable, and worth retrying.
            CliError::Server { status: 502..=504, .. } => 3,
            CliError::Server { .. }
            | CliError::ConfirmationRequired(_)
            | CliError::NotSupported(_)
            | CliError::NotFound(_)
            | CliError::CommandFailed { .. }
            | CliError::Local(_) => 1,
        }
    }

    /// The error as an `ExitCode`.
    pub fn exit(&self) -> ExitCode {
        ExitCode::from(self.exit_code())
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = CliError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn server(status: u16) -> CliError {
        CliError::Server {
            status,
            errors: vec![ErrorBody {
                code: "x".into(),
                message: "m".into(),
                field: None,
            }],
        }
    }

    #[test]
    fn exit_codes_follow_the_contract() {
        assert_eq!(CliError::Usage("bad".into()).exit_code(), 2);
        assert_eq!(
            CliError::Unreachable {
                url: "u".into(),
                reason: "r".into()
            }
            .exit_code(),
            3
        );
        assert_eq!(CliError::Unauthenticated(Vec::new()).exit_code(), 3);
        assert_eq!(
            CliError::VersionMismatch {
                server: "2".into(),
                client: "1"
            }
            .exit_code(),
            3
        );
        assert_eq!(server(400).exit_code(), 1);
        assert_eq!(server(403).exit_code(), 1);
        assert_eq!(server(404).exit_code(), 1);
        assert_eq!(server(500).exit_code(), 1);
        assert_eq!(server(503).exit_code(), 3);
        assert_eq!(CliError::ConfirmationRequired("c".into()).exit_code(), 1);
        assert_eq!(
            CliError::CommandFailed {
                id: "i".into(),
                state: "failed".into()
            }
            .exit_code(),
            1
        );
    }

    #[test]
    fn server_errors_print_their_field() {
        let err = CliError::Server {
            status: 400,
            errors: vec![
                ErrorBody {
                    code: "invalid_field".into(),
                    message: "is not a file system name".into(),
                    field: Some("name".into()),
                },
                ErrorBody {
                    code: "invalid_field".into(),
                    message: "unknown volume".into(),
                    field: Some("mdts[0].volume_id".into()),
                },
            ],
        };
        assert_eq!(
            err.to_string(),
            "name: is not a file system name\nmdts[0].volume_id: unknown volume"
        );
    }

    #[test]
    fn version_mismatch_says_what_to_do() {
        let err = CliError::VersionMismatch {
            server: "2".into(),
            client: "1",
        };
        assert_eq!(
            err.to_string(),
            "server speaks API version 2; this chroma CLI speaks 1 — upgrade the CLI"
        );
    }
}
