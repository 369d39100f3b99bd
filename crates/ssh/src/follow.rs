//! A command whose output is read line by line while it runs, such as
//! `journalctl -f`: the reader learns of each line as the server sends it
//! instead of when the command ends.

use russh::client::Msg;
use russh::{Channel, ChannelMsg};

use crate::error::SshError;

/// Longest line kept; a longer one is cut there (the rest is dropped).
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// A running command's standard output, as lines.
pub struct Follow {
    channel: Channel<Msg>,
    target: String,
    command: String,
    pending: Vec<u8>,
    /// Lines complete but not yet handed out, oldest first.
    ready: std::collections::VecDeque<String>,
    ended: bool,
}

impl std::fmt::Debug for Follow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Follow")
            .field("target", &self.target)
            .field("command", &self.command)
            .finish_non_exhaustive()
    }
}

impl Follow {
    pub(crate) fn new(channel: Channel<Msg>, target: String, command: String) -> Follow {
        Follow {
            channel,
            target,
            command,
            pending: Vec::new(),
            ready: Default::default(),
            ended: false,
        }
    }

    /// The next line of standard output (without its newline); `Ok(None)`
    /// once the command has ended and every line was read; `Err` when the
    /// connection is lost. Standard error is dropped.
    pub async fn next_line(&mut self) -> Result<Option<String>, SshError> {
        loop {
            if let Some(line) = self.ready.pop_front() {
                return Ok(Some(line));
            }
            if self.ended {
                return Ok(None);
            }
            match self.channel.wait().await {
                Some(ChannelMsg::Data { data }) => self.take(&data),
                Some(ChannelMsg::Failure) => {
                    return Err(SshError::Channel {
                        target: self.target.clone(),
                        command: self.command.clone(),
                        reason: "the server refused to run the command".into(),
                    })
                }
                Some(ChannelMsg::Close | ChannelMsg::Eof) => {
                    self.ended = true;
                    if !self.pending.is_empty() {
                        let rest = std::mem::take(&mut self.pending);
                        self.ready.push_back(String::from_utf8_lossy(&rest).into_owned());
                    }
                }
                Some(_) => {}
                None => {
                    return Err(SshError::Channel {
                        target: self.target.clone(),
                        command: self.command.clone(),
                        reason: "the connection was lost".into(),
                    })
                }
            }
        }
    }

    /// Ends the command (closes its channel).
    pub async fn stop(self) {
        let _ = self.channel.close().await;
    }

    fn take(&mut self, data: &[u8]) {
        for &byte in data {
            if byte == b'\n' {
                let line = std::mem::take(&mut self.pending);
                self.ready.push_back(String::from_utf8_lossy(&line).into_owned());
            } else if self.pending.len() < MAX_LINE_BYTES {
                self.pending.push(byte);
            }
        }
    }
}
