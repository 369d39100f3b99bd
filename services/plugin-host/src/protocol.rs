//! The storage plugin protocol, version 1 (docs/plugins.md): the manifest,
//! the JSON-RPC 2.0 envelope and the params and results of every method.
//!
//! These types only describe shapes; `validate` checks what a plugin sends
//! before anything else sees it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// The protocol version Chroma speaks, sent in `initialize` and expected back.
pub const PROTOCOL_VERSION: u32 = 1;

/// The longest line either side may write (16 MiB, without the `\n`).
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// The JSON-RPC version string in every message.
pub const JSONRPC_VERSION: &str = "2.0";

/// The method names.
pub const INITIALIZE: &str = "initialize";
pub const DETECT: &str = "detect";
pub const MONITOR: &str = "monitor";
pub const CONFIGURE: &str = "configure";
pub const SHUTDOWN: &str = "shutdown";

const DEFAULT_DETECT_INTERVAL_SECONDS: u64 = 60;
const DEFAULT_MONITOR_INTERVAL_SECONDS: u64 = 10;

/// One `*.json` file in the plugin directory: how to run one plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// 1 to 32 of `a-z 0-9 -`; equal to the name the plugin gives in `initialize`.
    pub name: String,
    /// The program and its arguments, run without a shell.
    pub command: Vec<String>,
    /// Variables added to the plugin's environment.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default = "default_detect_interval")]
    pub detect_interval_seconds: u64,
    #[serde(default = "default_monitor_interval")]
    pub monitor_interval_seconds: u64,
}

fn default_detect_interval() -> u64 {
    DEFAULT_DETECT_INTERVAL_SECONDS
}

fn default_monitor_interval() -> u64 {
    DEFAULT_MONITOR_INTERVAL_SECONDS
}

/// Why a manifest cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}: not a valid manifest: {source}", path.display())]
    Parse { path: PathBuf, source: serde_json::Error },
    #[error("{}: {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },
}

impl Manifest {
    /// Reads, parses and checks the manifest at `path`.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.to_owned(),
            source,
        })?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|source| ManifestError::Parse {
            path: path.to_owned(),
            source,
        })?;
        manifest.check().map_err(|reason| ManifestError::Invalid {
            path: path.to_owned(),
            reason,
        })?;
        Ok(manifest)
    }

    /// Checks what serde cannot: the name's form, a non-empty command and
    /// intervals of at least one second. The error says what is wrong.
    pub fn check(&self) -> Result<(), String> {
        if !is_plugin_name(&self.name) {
            return Err(format!("name {:?} must be 1 to 32 of a-z, 0-9 and -", self.name));
        }
        match self.command.first() {
            None => return Err("command must name a program".to_owned()),
            Some(program) if program.is_empty() => return Err("command must name a program".to_owned()),
            Some(_) => {}
        }
        for (name, seconds) in [
            ("detect_interval_seconds", self.detect_interval_seconds),
            ("monitor_interval_seconds", self.monitor_interval_seconds),
        ] {
            if !(1..=MAX_INTERVAL_SECONDS).contains(&seconds) {
                return Err(format!("{name} must be from 1 to {MAX_INTERVAL_SECONDS} (a day)"));
            }
        }
        Ok(())
    }
}

/// The longest interval between detections or monitoring rounds.
pub const MAX_INTERVAL_SECONDS: u64 = 86_400;

/// `^[a-z0-9-]{1,32}$`
pub fn is_plugin_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

// ---- JSON-RPC envelope ----

/// A request from Chroma.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub jsonrpc: String,
    pub id: u64,
    pub method: String,
    pub params: Value,
}

impl Request {
    pub fn new(id: u64, method: &str, params: Value) -> Self {
        Self {
            jsonrpc: JSONRPC_VERSION.to_owned(),
            id,
            method: method.to_owned(),
            params,
        }
    }
}

/// A response from a plugin: exactly one of `result` and `error` is present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub jsonrpc: String,
    /// `null` only in an error about a request the plugin could not read.
    pub id: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RpcError>,
}

/// The `error` member of a failed response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

// ---- initialize ----

/// Params of `initialize`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InitializeParams {
    pub protocol: u32,
    pub chroma_version: String,
    pub hosts: Vec<HostInfo>,
    /// The private key the hosts accept.
    pub ssh_key: PathBuf,
}

/// A server Chroma manages, as told to plugins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInfo {
    pub id: Uuid,
    pub name: String,
    pub address: String,
    pub port: u16,
    /// The host key's fingerprint (`SHA256:…`) a plugin must check.
    pub fingerprint: String,
}

/// What a plugin may be asked to do besides `initialize` and `shutdown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Detect,
    Monitor,
    Configure,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Detect => DETECT,
            Level::Monitor => MONITOR,
            Level::Configure => CONFIGURE,
        }
    }
}

/// Result of `initialize`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InitializeResult {
    pub protocol: u32,
    pub name: String,
    pub version: String,
    pub levels: Vec<Level>,
    pub classes: Vec<ClassDef>,
}

/// A resource class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassDef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default)]
    pub attributes: Vec<AttributeDef>,
    /// Without one, resources of the class are told apart by `id` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    #[serde(default)]
    pub statistics: Vec<StatisticDef>,
    #[serde(default)]
    pub alerts: Vec<AlertDef>,
    #[serde(default)]
    pub actions: Vec<ActionDef>,
}

impl ClassDef {
    /// The label, or the name when the plugin gave none.
    pub fn label(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }

    pub fn attribute(&self, name: &str) -> Option<&AttributeDef> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn statistic(&self, name: &str) -> Option<&StatisticDef> {
        self.statistics.iter().find(|s| s.name == name)
    }

    pub fn action(&self, name: &str) -> Option<&ActionDef> {
        self.actions.iter().find(|a| a.name == name)
    }
}

/// A typed attribute of a class, or an argument of an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeDef {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: AttrType,
    /// The allowed values of an `enum`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    /// The class a `reference` points to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(default)]
    pub optional: bool,
    /// Resources whose attributes share a `link` key and value are one thing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// The type of an attribute value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttrType {
    String,
    Integer,
    Bytes,
    Enum,
    Boolean,
    Hostname,
    Path,
    Uuid,
    Reference,
}

/// Which attributes identify a resource, and among which others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub scope: IdentityScope,
    pub attributes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityScope {
    /// Among all resources of the class.
    Global,
    /// Among the children of the resource's parent.
    Parent,
}

/// A statistic a class reports in `monitor`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatisticDef {
    pub name: String,
    pub kind: StatisticKind,
    #[serde(default)]
    pub unit: String,
    /// Statistics with the same chart are drawn together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<String>,
    /// Upper bounds of a histogram's bins, ascending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bins: Option<Vec<f64>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatisticKind {
    /// A value now.
    Gauge,
    /// A total that only grows; charted as a rate per second.
    Counter,
    /// Counts per bin, plus one for above the last bin.
    Histogram,
}

/// An alert condition: an attribute in `bad_values`, or a statistic
/// `above` or `below` a bound.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertDef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bad_values: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<f64>,
    pub severity: Severity,
    /// `{attribute}` is replaced by that attribute's value, `{value}` by the statistic's.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// An action an operator may run on a resource of the class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionDef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default)]
    pub args: Vec<AttributeDef>,
}

// ---- detect ----

/// Result of `detect`: every resource the plugin sees now.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DetectResult {
    pub resources: Vec<ResourceReport>,
    #[serde(default)]
    pub relationships: Vec<RelationshipReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceReport {
    /// Unique within the plugin and stable between detections.
    pub id: String,
    pub class: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(default)]
    pub attributes: Map<String, Value>,
}

/// `from` depends on `to`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RelationshipReport {
    pub from: String,
    pub to: String,
    pub kind: String,
}

// ---- monitor ----

/// Result of `monitor`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MonitorResult {
    #[serde(default)]
    pub statistics: Vec<StatisticReport>,
    #[serde(default)]
    pub attributes: Vec<AttributeReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatisticReport {
    pub resource: String,
    pub name: String,
    pub value: Value,
}

/// New values of some attributes of one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeReport {
    pub resource: String,
    pub values: Map<String, Value>,
}

// ---- configure ----

/// Params of `configure`: run `action` on `resource`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigureParams {
    pub action: String,
    pub resource: String,
    #[serde(default)]
    pub args: Map<String, Value>,
}

/// Result of `configure`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigureResult {
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write_temp(name: &str, text: &str) -> anyhow::Result<PathBuf> {
        let dir = std::env::temp_dir().join(format!("plugin-host-manifest-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        Ok(path)
    }

    #[test]
    fn the_spec_manifest_loads_with_its_values() -> anyhow::Result<()> {
        let path = write_temp(
            "acme.json",
            r#"{"name": "acme-array", "command": ["/opt/acme/chroma-plugin", "--site", "lab"],
                "env": {"ACME_ARRAY": "10.0.0.50"}, "detect_interval_seconds": 60, "monitor_interval_seconds": 10}"#,
        )?;
        let manifest = Manifest::load(&path)?;
        assert_eq!(manifest.name, "acme-array");
        assert_eq!(manifest.command, ["/opt/acme/chroma-plugin", "--site", "lab"]);
        assert_eq!(manifest.env.get("ACME_ARRAY").map(String::as_str), Some("10.0.0.50"));
        Ok(())
    }

    #[test]
    fn intervals_default_to_60_and_10() -> anyhow::Result<()> {
        let manifest: Manifest =
            serde_json::from_value(json!({"name": "shelf", "command": ["python3", "/opt/shelf/plugin.py"]}))?;
        manifest.check().map_err(anyhow::Error::msg)?;
        assert_eq!(
            (manifest.detect_interval_seconds, manifest.monitor_interval_seconds),
            (60, 10)
        );
        assert!(manifest.env.is_empty());
        Ok(())
    }

    #[test]
    fn bad_names_and_commands_are_refused() -> anyhow::Result<()> {
        for (name, command) in [
            ("", json!(["x"])),
            ("Acme", json!(["x"])),
            ("acme_array", json!(["x"])),
            ("a-very-long-plugin-name-of-33-chr", json!(["x"])),
            ("acme", json!([])),
            ("acme", json!([""])),
        ] {
            let manifest: Manifest = serde_json::from_value(json!({"name": name, "command": command}))?;
            assert!(manifest.check().is_err(), "{name} {command} was accepted");
        }
        let manifest: Manifest =
            serde_json::from_value(json!({"name": "a-32-char-name-is-just-fine-0123", "command": ["x"]}))?;
        assert!(manifest.check().is_ok());
        Ok(())
    }

    #[test]
    fn load_names_the_file_and_the_problem() -> anyhow::Result<()> {
        let path = write_temp("bad.json", r#"{"name": "Bad", "command": ["x"]}"#)?;
        let err = Manifest::load(&path).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("bad.json") && err.contains("\"Bad\""), "{err}");

        let path = write_temp("typo.json", r#"{"name": "ok", "command": ["x"], "detect_interval": 5}"#)?;
        let err = Manifest::load(&path).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("detect_interval"), "{err}");

        let missing = std::env::temp_dir().join("plugin-host-no-such-manifest.json");
        assert!(matches!(Manifest::load(&missing), Err(ManifestError::Read { .. })));
        Ok(())
    }

    #[test]
    fn a_request_serialises_as_the_spec_shows() -> anyhow::Result<()> {
        let request = serde_json::to_value(Request::new(7, DETECT, json!({})))?;
        assert_eq!(
            request,
            json!({"jsonrpc": "2.0", "id": 7, "method": "detect", "params": {}})
        );
        Ok(())
    }
}
