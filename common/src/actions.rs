//! The step actions a worker knows, parsed from `{"action", "args"}` into
//! typed values once, at the boundary. No action runs arbitrary commands.

use serde::{Deserialize, Serialize};

/// Longest a diagnostic `sleep` may last (one hour).
pub const MAX_SLEEP_MS: u64 = 3_600_000;
/// Longest message a diagnostic `fail` may carry.
pub const MAX_FAIL_MESSAGE: usize = 4_096;

/// A validated step action with its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", content = "args", rename_all = "snake_case")]
pub enum Action {
    /// Does nothing and succeeds.
    Noop,
    /// Waits `ms` milliseconds, then succeeds.
    Sleep { ms: u64 },
    /// Fails with `message`.
    Fail { message: String },
    /// Connects to a host over SSH (pinning its key on first contact) and
    /// records what it is: node name, kernel, Lustre version, block devices.
    ProbeHost { host_id: uuid::Uuid },
}

/// Why an action and its arguments were refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ActionError {
    #[error("unknown action {0:?}; known actions are noop, sleep, fail, probe_host")]
    UnknownAction(String),
    #[error("bad args for {action}: {reason}")]
    BadArgs { action: &'static str, reason: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoArgs {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SleepArgs {
    ms: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FailArgs {
    message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HostArgs {
    host_id: uuid::Uuid,
}

fn args_of<T: serde::de::DeserializeOwned>(action: &'static str, args: &serde_json::Value) -> Result<T, ActionError> {
    // A missing `args` arrives as null; treat it as an empty object.
    let args = if args.is_null() {
        serde_json::json!({})
    } else {
        args.clone()
    };
    serde_json::from_value(args).map_err(|e| ActionError::BadArgs {
        action,
        reason: e.to_string(),
    })
}

impl Action {
    /// Parses an action name and its JSON arguments.
    pub fn parse(name: &str, args: &serde_json::Value) -> Result<Self, ActionError> {
        match name {
            "noop" => args_of::<NoArgs>("noop", args).map(|_| Action::Noop),
            "sleep" => {
                let SleepArgs { ms } = args_of("sleep", args)?;
                if ms > MAX_SLEEP_MS {
                    return Err(ActionError::BadArgs {
                        action: "sleep",
                        reason: format!("ms must be at most {MAX_SLEEP_MS}"),
                    });
                }
                Ok(Action::Sleep { ms })
            }
            "fail" => {
                let FailArgs { message } = args_of("fail", args)?;
                if message.contains('\0') {
                    return Err(ActionError::BadArgs {
                        action: "fail",
                        reason: "message must not contain NUL characters".into(),
                    });
                }
                if message.len() > MAX_FAIL_MESSAGE {
                    return Err(ActionError::BadArgs {
                        action: "fail",
                        reason: format!("message must be at most {MAX_FAIL_MESSAGE} bytes"),
                    });
                }
                Ok(Action::Fail { message })
            }
            "probe_host" => args_of::<HostArgs>("probe_host", args).map(|a| Action::ProbeHost { host_id: a.host_id }),
            other => Err(ActionError::UnknownAction(other.to_owned())),
        }
    }

    /// The action's name.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Noop => "noop",
            Action::Sleep { .. } => "sleep",
            Action::Fail { .. } => "fail",
            Action::ProbeHost { .. } => "probe_host",
        }
    }

    /// The action's arguments as stored and sent to workers.
    pub fn args(&self) -> serde_json::Value {
        match self {
            Action::Noop => serde_json::json!({}),
            Action::Sleep { ms } => serde_json::json!({ "ms": ms }),
            Action::Fail { message } => serde_json::json!({ "message": message }),
            Action::ProbeHost { host_id } => serde_json::json!({ "host_id": host_id }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_known_actions() {
        assert_eq!(Action::parse("noop", &json!(null)), Ok(Action::Noop));
        assert_eq!(Action::parse("sleep", &json!({"ms": 5})), Ok(Action::Sleep { ms: 5 }));
        assert_eq!(
            Action::parse("fail", &json!({"message": "x"})),
            Ok(Action::Fail { message: "x".into() })
        );
    }

    #[test]
    fn refuses_bad_input() {
        assert!(matches!(
            Action::parse("rm", &json!({})),
            Err(ActionError::UnknownAction(_))
        ));
        assert!(Action::parse("sleep", &json!({"ms": -1})).is_err());
        assert!(Action::parse("sleep", &json!({"ms": MAX_SLEEP_MS + 1})).is_err());
        assert!(Action::parse("noop", &json!({"extra": 1})).is_err());
        assert!(Action::parse("fail", &json!({})).is_err());
        assert!(Action::parse("fail", &json!({"message": "a\u{0}b"})).is_err());
    }
}
