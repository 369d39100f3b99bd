//! What a remote command produced, gathered from its SSH channel.

use russh::client::Msg;
use russh::{Channel, ChannelMsg, Sig};

/// Most bytes kept of each of stdout and stderr; the rest is read and
/// dropped, so a runaway command cannot exhaust the worker's memory.
pub const MAX_STREAM_BYTES: usize = 16 * 1024 * 1024;

/// What a command produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOutput {
    /// Standard output (invalid UTF-8 replaced with U+FFFD).
    pub stdout: String,
    /// Standard error (invalid UTF-8 replaced with U+FFFD).
    pub stderr: String,
    /// The exit status, if the command exited normally.
    pub exit_status: Option<u32>,
    /// The signal name (`TERM`, `KILL`, …) if the command was killed by one.
    pub exit_signal: Option<String>,
    /// Whether stdout or stderr exceeded [`MAX_STREAM_BYTES`] and was cut.
    pub truncated: bool,
}

impl ExecOutput {
    /// Whether the command exited with status 0.
    pub fn success(&self) -> bool {
        self.exit_status == Some(0)
    }
}

/// Output gathered from a channel so far.
#[derive(Default)]
pub(crate) struct Collected {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    exit_status: Option<u32>,
    exit_signal: Option<String>,
    truncated: bool,
}

impl Collected {
    /// Read until the server closes the channel. `Err` says why the channel
    /// failed instead.
    pub(crate) async fn read(&mut self, channel: &mut Channel<Msg>) -> Result<(), String> {
        while let Some(msg) = channel.wait().await {
            match msg {
                ChannelMsg::Data { data } => self.truncated |= append_capped(&mut self.stdout, &data),
                // Extended data type 1 is stderr (RFC 4254 §5.2).
                ChannelMsg::ExtendedData { data, ext: 1 } => self.truncated |= append_capped(&mut self.stderr, &data),
                ChannelMsg::ExitStatus { exit_status } => self.exit_status = Some(exit_status),
                ChannelMsg::ExitSignal { signal_name, .. } => self.exit_signal = Some(signal_label(&signal_name)),
                ChannelMsg::Failure => return Err("the server refused to run the command".into()),
                ChannelMsg::Close => return Ok(()),
                _ => {}
            }
        }
        // The channel ended without the server closing it: the connection
        // dropped, and whether the command finished is unknown.
        Err("the connection was lost before the command finished".into())
    }

    pub(crate) fn into_output(self) -> ExecOutput {
        ExecOutput {
            stdout: String::from_utf8_lossy(&self.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&self.stderr).into_owned(),
            exit_status: self.exit_status,
            exit_signal: self.exit_signal,
            truncated: self.truncated,
        }
    }
}

/// Append what fits under [`MAX_STREAM_BYTES`]; `true` if anything was cut.
fn append_capped(buffer: &mut Vec<u8>, data: &[u8]) -> bool {
    let room = MAX_STREAM_BYTES.saturating_sub(buffer.len());
    buffer.extend_from_slice(data.get(..room).unwrap_or(data));
    data.len() > room
}

/// The signal's name without `SIG`, as the SSH protocol sends it.
fn signal_label(signal: &Sig) -> String {
    match signal {
        Sig::Custom(name) => name.clone(),
        known => format!("{known:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_capped_per_stream() {
        let mut buffer = vec![0; MAX_STREAM_BYTES - 2];
        assert!(!append_capped(&mut buffer, b"ab"));
        assert_eq!(buffer.len(), MAX_STREAM_BYTES);
        assert!(append_capped(&mut buffer, b"c"));
        assert_eq!(buffer.len(), MAX_STREAM_BYTES);

        let mut buffer = vec![0; MAX_STREAM_BYTES - 1];
        assert!(append_capped(&mut buffer, b"xyz"));
        assert_eq!(buffer.last(), Some(&b'x'));
    }

    #[test]
    fn signals_are_named_like_the_protocol() {
        assert_eq!(signal_label(&Sig::TERM), "TERM");
        assert_eq!(signal_label(&Sig::Custom("USR2".into())), "USR2");
    }
}
