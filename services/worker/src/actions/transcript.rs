//! What a step ran on servers, kept in its output so an operator sees each
//! command with its exit status, stdout and stderr.

use chroma_ssh::ExecOutput;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::future::Future;

use crate::error::ActionError;

/// Most bytes of stdout or stderr kept per command.
const MAX_TEXT: usize = 4_096;

tokio::task_local! {
    static COMMANDS: RefCell<Vec<Value>>;
}

/// An action that failed, with the commands it ran before failing.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct Failed {
    pub error: ActionError,
    /// `{"commands": […]}`, or `None` when it ran none.
    pub output: Option<Value>,
}

/// Runs an action, adding the commands it ran to its output as `commands`,
/// whether it succeeds or fails.
pub async fn capture(action: impl Future<Output = Result<Value, ActionError>>) -> Result<Value, Failed> {
    COMMANDS
        .scope(RefCell::new(Vec::new()), async move {
            let result = action.await;
            let commands = COMMANDS.with(|c| c.take());
            match result {
                Ok(output) => Ok(with_commands(output, commands)),
                Err(error) => Err(Failed {
                    error,
                    output: (!commands.is_empty()).then(|| json!({ "commands": commands })),
                }),
            }
        })
        .await
}

fn with_commands(output: Value, commands: Vec<Value>) -> Value {
    match output {
        Value::Object(mut fields) if !commands.is_empty() => {
            fields.insert("commands".into(), Value::Array(commands));
            Value::Object(fields)
        }
        other => other,
    }
}

fn clip(text: &str) -> String {
    if text.len() <= MAX_TEXT {
        return text.to_owned();
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}

/// Notes a command that ran (outside an action's scope, nothing is kept).
pub fn record(host: &str, command: &str, output: &ExecOutput) {
    let entry = json!({
        "host": host,
        "command": command,
        "exit_status": output.exit_status,
        "exit_signal": output.exit_signal,
        "stdout": clip(&output.stdout),
        "stderr": clip(&output.stderr),
    });
    let _ = COMMANDS.try_with(|c| c.borrow_mut().push(entry));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_output_is_clipped_on_a_character_boundary() {
        let text = "é".repeat(MAX_TEXT);
        let clipped = clip(&text);
        assert!(clipped.len() < text.len());
        assert!(clipped.ends_with(&format!("({} bytes in all)", text.len())));
        assert_eq!(clip("short"), "short");
    }

    #[tokio::test]
    async fn commands_join_the_output() {
        let out = capture(async {
            let output = ExecOutput {
                stdout: "ok\n".into(),
                stderr: String::new(),
                exit_status: Some(0),
                exit_signal: None,
                truncated: false,
            };
            record("oss1", "lctl dl", &output);
            Ok(json!({"done": true}))
        })
        .await;
        let out = out.unwrap_or_default();
        assert_eq!(out["commands"][0]["host"], "oss1");
        assert_eq!(out["commands"][0]["exit_status"], 0);
    }

    #[tokio::test]
    async fn a_failure_keeps_its_commands() {
        let failed = capture(async {
            let output = ExecOutput {
                stdout: String::new(),
                stderr: "busy\n".into(),
                exit_status: Some(16),
                exit_signal: None,
                truncated: false,
            };
            record("oss1", "mount -t lustre /dev/sdb /mnt/x", &output);
            Err(ActionError::Command("mount failed".to_owned()))
        })
        .await;
        let err = failed.err().unwrap_or_else(|| Failed {
            error: ActionError::Bug(String::new()),
            output: None,
        });
        assert_eq!(err.to_string(), "mount failed");
        let output = err.output.unwrap_or_default();
        assert_eq!(output["commands"][0]["exit_status"], 16);
        assert_eq!(output["commands"][0]["stderr"], "busy\n");
        let bare = capture(async { Err(ActionError::Refused("no commands".to_owned())) }).await;
        assert_eq!(bare.err().map(|e| e.output), Some(None));
    }
}
