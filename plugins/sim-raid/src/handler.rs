//! One request in, one answer out: the methods of the protocol, each run
//! against the state as the file holds it now.

use std::io::{BufRead, Read, Write};

use serde_json::{json, Value};

use crate::state::{now_secs, StateFile};
use crate::{classes, configure, detect, monitor};
use plugin_rpc::{self as rpc, code, Request, RpcError, MAX_LINE};

/// Whether to keep reading requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Wait for the next request.
    Continue,
    /// `shutdown` was answered: exit.
    Stop,
}

/// The plugin: where its state lives.
#[derive(Debug, Clone)]
pub struct Plugin {
    state: StateFile,
}

impl Plugin {
    /// A plugin keeping its array in `state`.
    pub fn new(state: StateFile) -> Self {
        Self { state }
    }

    /// The result (or error) for one request.
    pub fn handle(&self, request: &Request) -> Result<Value, RpcError> {
        let internal = |e: anyhow::Error| RpcError::new(code::INTERNAL_ERROR, format!("{e:#}"));
        match request.method.as_str() {
            "initialize" => {
                match request.params.get("protocol") {
                    None => {}
                    Some(v) if v == &json!(1) => {}
                    Some(v) => {
                        return Err(RpcError::refused(format!(
                            "protocol {v} is not supported; this plugin speaks 1"
                        )))
                    }
                }
                // Create the array now rather than on the first detect.
                self.state.load().map_err(internal)?;
                Ok(classes::initialize_result())
            }
            "detect" => Ok(detect::detect(&self.state.load().map_err(internal)?)),
            "monitor" => Ok(monitor::monitor(&self.state.load().map_err(internal)?, now_secs())),
            "configure" => {
                let mut array = self.state.load().map_err(internal)?;
                let result = configure::configure(&mut array, &request.params)?;
                self.state.save(&array).map_err(internal)?;
                Ok(result)
            }
            "shutdown" => Ok(json!({})),
            other => Err(RpcError::new(
                code::METHOD_NOT_FOUND,
                format!("unknown method {other:?}"),
            )),
        }
    }

    /// Answers one line; returns the response line (if any) and whether to go on.
    pub fn answer(&self, line: &[u8]) -> (Option<Value>, Flow) {
        let mut flow = Flow::Continue;
        let response = rpc::respond(line, |request| {
            let outcome = self.handle(request);
            if request.method == "shutdown" {
                flow = Flow::Stop;
            }
            if let Err(e) = &outcome {
                eprintln!("{}: {}", request.method, e.message);
            }
            outcome
        });
        (response, flow)
    }

    /// Serves requests from `input` until it ends or `shutdown` is answered.
    pub fn serve(&self, mut input: impl BufRead, mut output: impl Write) -> anyhow::Result<()> {
        let mut line = Vec::new();
        loop {
            line.clear();
            let read = (&mut input).take(MAX_LINE as u64 + 1).read_until(b'\n', &mut line)?;
            if read == 0 {
                return Ok(());
            }
            let (response, flow) = if line.len() > MAX_LINE && line.last() != Some(&b'\n') {
                skip_rest_of_line(&mut input)?;
                let error = RpcError::new(code::INVALID_REQUEST, "the line is longer than 16 MiB");
                (Some(rpc::failure(Value::Null, &error)), Flow::Continue)
            } else {
                self.answer(&line)
            };
            if let Some(response) = response {
                writeln!(output, "{response}")?;
                output.flush()?;
            }
            if flow == Flow::Stop {
                return Ok(());
            }
        }
    }
}

fn skip_rest_of_line(input: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let buffer = input.fill_buf()?;
        if buffer.is_empty() {
            return Ok(());
        }
        match buffer.iter().position(|b| *b == b'\n') {
            Some(end) => {
                input.consume(end + 1);
                return Ok(());
            }
            None => {
                let all = buffer.len();
                input.consume(all);
            }
        }
    }
}
