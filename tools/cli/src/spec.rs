//! Argument values with structure, parsed once by clap:
//! `VOLUME[:PRIMARY_HOST[:FAILOVER_HOST…]]` for targets and `KEY=VALUE`
//! for parameters. Names inside them are resolved later, against the
//! server's lists.

use api_types::hosts::HostView;
use api_types::volumes::VolumeView;
use serde_json::{json, Value};

use crate::error::{CliError, Result};
use crate::resolve;

/// Where a new target goes: `VOLUME[:PRIMARY_HOST[:FAILOVER_HOST…]]`.
/// The volume is an id or serial; each host an id, node name or address.
/// An empty primary (`VOL::oss2`) leaves it to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec {
    pub volume: String,
    pub primary: Option<String>,
    pub failover: Vec<String>,
}

impl TargetSpec {
    /// Parses a spec; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = text.split(':').map(str::trim);
        let volume = parts.next().unwrap_or_default();
        if volume.is_empty() {
            return Err(format!(
                "{text:?}: give a volume (id or serial), as VOLUME[:PRIMARY_HOST[:FAILOVER_HOST…]]"
            ));
        }
        let primary = parts.next().filter(|p| !p.is_empty()).map(str::to_owned);
        let failover: Vec<String> = parts.map(str::to_owned).collect();
        if failover.iter().any(String::is_empty) {
            return Err(format!("{text:?}: a failover host is empty"));
        }
        if let Some(primary) = &primary {
            if failover.contains(primary) {
                return Err(format!("{text:?}: {primary} is both primary and failover"));
            }
        }
        Ok(Self {
            volume: volume.to_owned(),
            primary,
            failover,
        })
    }

    /// The request body's `{"volume_id", "primary_host_id"?,
    /// "failover_host_ids"?}`, names resolved against the lists.
    pub fn resolve(&self, volumes: &[VolumeView], hosts: &[HostView], reformat: bool) -> Result<Value> {
        let volume = if resolve::is_id(&self.volume) {
            self.volume.clone()
        } else {
            resolve::volume(volumes, &self.volume)?.id.to_string()
        };
        let host_id = |key: &str| -> Result<String> {
            if resolve::is_id(key) {
                Ok(key.to_owned())
            } else {
                Ok(resolve::host(hosts, key)?.id.to_string())
            }
        };
        let mut body = json!({ "volume_id": volume });
        if let Some(primary) = &self.primary {
            body["primary_host_id"] = json!(host_id(primary)?);
        }
        if !self.failover.is_empty() {
            let ids = self.failover.iter().map(|h| host_id(h)).collect::<Result<Vec<_>>>()?;
            body["failover_host_ids"] = json!(ids);
        }
        if reformat {
            body["reformat"] = json!(true);
        }
        Ok(body)
    }
}

/// A `KEY=VALUE` parameter such as `sys.timeout=40`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub key: String,
    pub value: String,
}

impl Param {
    /// Parses `KEY=VALUE`; the value may contain `=` and be empty.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => Ok(Self {
                key: key.trim().to_owned(),
                value: value.to_owned(),
            }),
            _ => Err(format!("{text:?} is not KEY=VALUE (e.g. sys.timeout=40)")),
        }
    }
}

/// Parameters as a JSON object; a key given twice is a usage error.
pub fn params_object(params: &[Param]) -> Result<Value> {
    let mut object = serde_json::Map::new();
    for p in params {
        if object.insert(p.key.clone(), json!(p.value)).is_some() {
            return Err(CliError::Usage(format!("--param {} is given twice", p.key)));
        }
    }
    Ok(Value::Object(object))
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;
    use crate::client::parse;
    use crate::fixtures::{host, id, page, volume};
    use api_types::pages::Page;

    fn spec(text: &str) -> TargetSpec {
        TargetSpec::parse(text).unwrap()
    }

    #[test]
    fn a_volume_alone() {
        assert_eq!(
            spec("SER-A"),
            TargetSpec {
                volume: "SER-A".into(),
                primary: None,
                failover: vec![]
            }
        );
    }

    #[test]
    fn a_volume_with_primary_and_failovers() {
        assert_eq!(
            spec("SER-A:oss1:oss2:oss3"),
            TargetSpec {
                volume: "SER-A".into(),
                primary: Some("oss1".into()),
                failover: vec!["oss2".into(), "oss3".into()]
            }
        );
        assert_eq!(
            spec("SER-A::oss2"),
            TargetSpec {
                volume: "SER-A".into(),
                primary: None,
                failover: vec!["oss2".into()]
            }
        );
    }

    #[test]
    fn bad_specs_say_why() {
        assert!(TargetSpec::parse("").unwrap_err().contains("give a volume"));
        assert!(TargetSpec::parse(":oss1").is_err());
        assert!(TargetSpec::parse("SER-A:oss1::oss2").unwrap_err().contains("empty"));
        assert!(TargetSpec::parse("SER-A:oss1:oss1").unwrap_err().contains("both"));
    }

    #[test]
    fn params_split_at_the_first_equals() {
        assert_eq!(
            Param::parse("llite.opts=a=b").unwrap(),
            Param {
                key: "llite.opts".into(),
                value: "a=b".into()
            }
        );
        assert_eq!(Param::parse("sys.timeout=").unwrap().value, "");
        assert!(Param::parse("sys.timeout").is_err());
        assert!(Param::parse("=40").is_err());
        let twice = [Param::parse("a.b=1").unwrap(), Param::parse("a.b=2").unwrap()];
        assert_eq!(params_object(&twice).unwrap_err().exit_code(), 2);
        assert_eq!(params_object(&twice[..1]).unwrap(), json!({"a.b": "1"}));
    }

    #[test]
    fn specs_resolve_names_to_ids() {
        let volumes: Page<VolumeView> = parse(page(vec![volume(json!(
            {"id": id(1), "serial": "SER-A", "nodes": [
                {"host_id": id(11), "host": "oss1", "path": "/dev/sdb"},
                {"host_id": id(12), "host": "oss2", "path": "/dev/sdb"}]}
        ))]))
        .unwrap();
        let hosts: Page<HostView> = parse(page(vec![
            host(json!({"id": id(11), "address": "10.0.0.1", "port": 22, "nodename": "oss1", "state": "managed"})),
            host(json!({"id": id(12), "address": "10.0.0.2", "port": 22, "nodename": "oss2", "state": "managed"})),
        ]))
        .unwrap();
        let (v, h) = (&volumes.objects, &hosts.objects);
        assert_eq!(spec("SER-A").resolve(v, h, false).unwrap(), json!({"volume_id": id(1)}));
        assert_eq!(
            spec("SER-A:oss1:10.0.0.2").resolve(v, h, true).unwrap(),
            json!({"volume_id": id(1), "primary_host_id": id(11), "failover_host_ids": [id(12)], "reformat": true})
        );
        let id = "0191d5c2-7a3e-7c3b-9f6e-1c2d3e4f5a6b";
        assert_eq!(spec(id).resolve(v, h, false).unwrap(), json!({"volume_id": id}));
        let err = spec("SER-Z").resolve(v, h, false).unwrap_err().to_string();
        assert!(err.contains("no volume \"SER-Z\""), "{err}");
        assert!(spec("SER-A:oss9").resolve(v, h, false).is_err());
    }
}
