//! The protocol's methods: `initialize` learns the servers and the key,
//! `detect` lists each server's block devices, `monitor` reads their I/O
//! counters. Servers are asked in parallel; one that cannot be reached is
//! reported as such, never as a protocol error.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use chroma_ssh::KeyPair;
use futures::future::join_all;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::hosts::{Connection, HostError};
use crate::inventory::{self, HostInfo, Scan};
use crate::{classes, diskstats, lsblk, lvs, multipath};
use plugin_rpc::{self as rpc, code, Request, RpcError, MAX_LINE};

/// Limit on each command; three run in a row within detect's 60 s.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(15);

/// A server as `initialize` describes it.
#[derive(Debug, Deserialize)]
struct HostParam {
    #[serde(default)]
    id: String,
    name: String,
    address: String,
    #[serde(default = "default_port")]
    port: u16,
    fingerprint: String,
}

fn default_port() -> u16 {
    22
}

#[derive(Debug, Deserialize)]
struct InitializeParams {
    #[serde(default)]
    protocol: Option<Value>,
    #[serde(default)]
    hosts: Vec<HostParam>,
    #[serde(default)]
    ssh_key: Option<PathBuf>,
}

/// One server: its connection and, from the last detection, which resource
/// each kernel device name is.
#[derive(Debug)]
struct Server {
    connection: Connection,
    by_kname: HashMap<String, String>,
}

/// The plugin's state between requests.
#[derive(Debug, Default)]
pub struct Plugin {
    key: Option<KeyPair>,
    servers: Vec<Server>,
}

impl Plugin {
    /// A plugin that knows no servers until `initialize`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The result (or error) for one request.
    pub async fn handle(&mut self, request: &Request) -> Result<Value, RpcError> {
        match request.method.as_str() {
            "initialize" => self.initialize(&request.params).await,
            "detect" => Ok(self.detect().await),
            "monitor" => Ok(self.monitor().await),
            "shutdown" => {
                for server in &mut self.servers {
                    server.connection.close().await;
                }
                Ok(json!({}))
            }
            other => Err(RpcError::new(
                code::METHOD_NOT_FOUND,
                format!("unknown method {other:?}"),
            )),
        }
    }

    async fn initialize(&mut self, params: &Value) -> Result<Value, RpcError> {
        let params: InitializeParams = serde_json::from_value(params.clone())
            .map_err(|e| RpcError::invalid_params(format!("bad initialize params: {e}")))?;
        if let Some(v) = params.protocol.filter(|v| v != &json!(1)) {
            return Err(RpcError::refused(format!(
                "protocol {v} is not supported; this plugin speaks 1"
            )));
        }
        self.key = match (&params.ssh_key, params.hosts.is_empty()) {
            (Some(path), _) => Some(
                KeyPair::load_or_create(path)
                    .map_err(|e| RpcError::refused(format!("cannot use the SSH key {}: {e}", path.display())))?,
            ),
            (None, true) => None,
            (None, false) => return Err(RpcError::invalid_params("\"ssh_key\" is needed to reach the hosts")),
        };
        for server in &mut self.servers {
            server.connection.close().await;
        }
        self.servers = params
            .hosts
            .into_iter()
            .map(|h| Server {
                connection: Connection::new(HostInfo {
                    id: h.id,
                    name: h.name,
                    address: h.address,
                    port: h.port,
                    fingerprint: h.fingerprint,
                }),
                by_kname: HashMap::new(),
            })
            .collect();
        Ok(classes::initialize_result())
    }

    async fn detect(&mut self) -> Value {
        let Some(key) = self.key.clone() else {
            return json!({"resources": [], "relationships": []});
        };
        let inventories = join_all(self.servers.iter_mut().map(|server| detect_one(server, &key))).await;
        let mut resources = Vec::new();
        let mut relationships = Vec::new();
        for inventory in inventories {
            resources.extend(inventory.resources.iter().cloned());
            relationships.extend(inventory.relationships());
        }
        json!({"resources": resources, "relationships": relationships})
    }

    async fn monitor(&mut self) -> Value {
        let Some(key) = self.key.clone() else {
            return json!({"statistics": [], "attributes": []});
        };
        let answers = join_all(self.servers.iter_mut().map(|server| monitor_one(server, &key))).await;
        let mut statistics = Vec::new();
        let mut attributes = Vec::new();
        for (host_attributes, host_statistics) in answers {
            attributes.push(host_attributes);
            statistics.extend(host_statistics);
        }
        json!({"statistics": statistics, "attributes": attributes})
    }

    /// Serves requests from `input` until it ends or `shutdown` is answered.
    pub async fn serve(
        &mut self,
        mut input: impl AsyncBufRead + Unpin,
        mut output: impl AsyncWrite + Unpin,
    ) -> anyhow::Result<()> {
        let mut line = Vec::new();
        loop {
            line.clear();
            let read = (&mut input)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut line)
                .await?;
            if read == 0 {
                return Ok(());
            }
            let mut stop = false;
            let response = if line.len() > MAX_LINE && line.last() != Some(&b'\n') {
                skip_rest_of_line(&mut input).await?;
                let error = RpcError::new(code::INVALID_REQUEST, "the line is longer than 16 MiB");
                Some(rpc::failure(Value::Null, &error))
            } else {
                self.answer(&line, &mut stop).await
            };
            if let Some(response) = response {
                output.write_all(format!("{response}\n").as_bytes()).await?;
                output.flush().await?;
            }
            if stop {
                return Ok(());
            }
        }
    }

    /// The response to one line (`None` for a notification); sets `stop`
    /// after `shutdown`.
    pub async fn answer(&mut self, line: &[u8], stop: &mut bool) -> Option<Value> {
        if line.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        let request = match rpc::parse(line) {
            Ok(request) => request,
            Err(response) => return Some(response),
        };
        let outcome = self.handle(&request).await;
        *stop = request.method == "shutdown";
        if let Err(e) = &outcome {
            eprintln!("{}: {}", request.method, e.message);
        }
        let id = request.id?;
        Some(match outcome {
            Ok(result) => rpc::success(id, result),
            Err(error) => rpc::failure(id, &error),
        })
    }
}

/// Runs the commands on one server and maps what they print.
async fn detect_one(server: &mut Server, key: &KeyPair) -> inventory::Inventory {
    let host = server.connection.host.clone();
    let devices = match server.connection.run(key, &lsblk::COMMAND, COMMAND_TIMEOUT).await {
        Ok(text) => lsblk::parse(&text).unwrap_or_else(|e| {
            eprintln!("{}: {e}", host.name);
            Vec::new()
        }),
        Err(e @ HostError::Unreachable { .. }) => {
            eprintln!("{e}");
            server.by_kname.clear();
            return inventory::Inventory {
                resources: vec![inventory::host_resource(&host, false)],
                ..Default::default()
            };
        }
        Err(e) => {
            eprintln!("{e}");
            Vec::new()
        }
    };
    let multipath = optional(&mut server.connection, key, &multipath::COMMAND)
        .await
        .map(|text| multipath::parse(&text));
    let volumes = optional(&mut server.connection, key, &lvs::COMMAND)
        .await
        .and_then(|text| lvs::parse(&text).ok());
    let scan = Scan {
        devices,
        multipath,
        volumes,
    };
    let built = inventory::build(&host, &scan);
    server.by_kname = built.by_kname.clone();
    built
}

/// Output of a command the server may not have; `None` if it failed.
async fn optional(connection: &mut Connection, key: &KeyPair, argv: &[&str]) -> Option<String> {
    connection.run(key, argv, COMMAND_TIMEOUT).await.ok()
}

/// The host's `reachable` attribute and its devices' I/O counters.
async fn monitor_one(server: &mut Server, key: &KeyPair) -> (Value, Vec<Value>) {
    let host_id = server.connection.host.resource_id();
    let (reachable, statistics) = match server.connection.run(key, &diskstats::COMMAND, COMMAND_TIMEOUT).await {
        Ok(text) => {
            let mut statistics = Vec::new();
            for (kname, io) in diskstats::parse(&text) {
                if let Some(id) = server.by_kname.get(&kname) {
                    statistics.push(json!({"resource": id, "name": "read_bytes", "value": io.read_bytes}));
                    statistics.push(json!({"resource": id, "name": "write_bytes", "value": io.write_bytes}));
                }
            }
            (true, statistics)
        }
        Err(HostError::Unreachable { .. }) => (false, Vec::new()),
        Err(HostError::Command { .. }) => (true, Vec::new()),
    };
    (
        json!({"resource": host_id, "values": {"reachable": reachable}}),
        statistics,
    )
}

async fn skip_rest_of_line(input: &mut (impl AsyncBufRead + Unpin)) -> std::io::Result<()> {
    loop {
        let buffer = input.fill_buf().await?;
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
