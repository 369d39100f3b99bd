//! `corosync.conf` as corosync 3 reads it when it starts: `name {` opens a
//! section, `}` closes it, `key: value` sets a value, `#` starts a comment.
//! corosync refuses to start on a syntax error, without a
//! `totem.cluster_name`… (the simulator insists on one, as Pacemaker needs
//! it), without a nodelist, on a node without `ring0_addr` or `nodeid`
//! (knet needs node ids), or when the local host is not in the nodelist.

use serde::{Deserialize, Serialize};

/// What the simulator keeps of a started corosync's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorosyncConf {
    /// `totem.cluster_name`.
    pub cluster_name: String,
    /// `nodelist.node` entries, in file order.
    pub nodes: Vec<ConfNode>,
    /// `quorum.two_node: 1`.
    pub two_node: bool,
    /// `totem.crypto_cipher`/`crypto_hash` are set to something other than
    /// `none`: the nodes need the same `/etc/corosync/authkey`.
    pub crypto: bool,
}

/// One `node { … }` of the nodelist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfNode {
    /// `ring0_addr`.
    pub ring0_addr: String,
    /// `name`, when given (Pacemaker's node name; else the address is).
    pub name: Option<String>,
    /// `nodeid`.
    pub nodeid: u32,
}

impl ConfNode {
    /// The node name Pacemaker uses: `name`, else `ring0_addr`.
    pub fn node_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.ring0_addr)
    }
}

/// A flat view of the file: (section path, key, value).
type Items = Vec<(Vec<String>, String, String)>;

/// Splits the file into `section.path`, key, value items, marking where
/// each `node {}` begins with a `("nodelist.node", "", "")` item.
fn items(text: &str) -> Result<Items, String> {
    let mut path: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_suffix('{') {
            let name = name.trim();
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(format!(
                    "parser error: Missing section name before opening bracket '{{' (line {})",
                    n + 1
                ));
            }
            path.push(name.to_string());
            out.push((path.clone(), String::new(), String::new()));
        } else if line == "}" {
            if path.pop().is_none() {
                return Err(format!("parser error: Unexpected closing brace (line {})", n + 1));
            }
        } else if let Some((key, value)) = line.split_once(':') {
            out.push((path.clone(), key.trim().to_string(), value.trim().to_string()));
        } else {
            return Err(format!(
                "parser error: Line is not opening or closing section or key value (line {})",
                n + 1
            ));
        }
    }
    if !path.is_empty() {
        return Err("parser error: Missing closing brace".to_string());
    }
    Ok(out)
}

/// Parses a corosync.conf; `Err` carries corosync's reason.
pub fn parse(text: &str) -> Result<CorosyncConf, String> {
    let items = items(text)?;
    let value = |section: &str, key: &str| {
        items
            .iter()
            .find(|(p, k, _)| p.join(".") == section && k == key)
            .map(|(_, _, v)| v.clone())
    };
    if !items.iter().any(|(p, _, _)| p.first().is_some_and(|s| s == "totem")) {
        return Err("Not all required totem options are set (no totem section)".to_string());
    }
    let cluster_name = value("totem", "cluster_name")
        .filter(|n| !n.is_empty())
        .ok_or("totem.cluster_name is not set (Pacemaker needs it)")?;
    let crypto = ["crypto_cipher", "crypto_hash"]
        .iter()
        .any(|k| value("totem", k).is_some_and(|v| v != "none"));
    let mut nodes: Vec<ConfNode> = Vec::new();
    let mut current: Option<(Option<String>, Option<String>, Option<String>)> = None;
    let finish = |cur: Option<(Option<String>, Option<String>, Option<String>)>,
                  nodes: &mut Vec<ConfNode>|
     -> Result<(), String> {
        let Some((addr, name, id)) = cur else {
            return Ok(());
        };
        let ring0_addr = addr.ok_or("nodelist node without ring0_addr")?;
        let nodeid = id
            .and_then(|i| i.parse::<u32>().ok())
            .filter(|i| *i > 0)
            .ok_or_else(|| format!("nodeid for address {ring0_addr} is missing or invalid (knet needs one)"))?;
        if nodes.iter().any(|n| n.nodeid == nodeid) {
            return Err(format!("nodeid {nodeid} is used twice"));
        }
        nodes.push(ConfNode {
            ring0_addr,
            name,
            nodeid,
        });
        Ok(())
    };
    for (p, k, v) in &items {
        let section = p.join(".");
        if section == "nodelist.node" && k.is_empty() {
            finish(current.take(), &mut nodes)?;
            current = Some((None, None, None));
        } else if section == "nodelist.node" {
            if let Some(cur) = current.as_mut() {
                match k.as_str() {
                    "ring0_addr" => cur.0 = Some(v.clone()),
                    "name" => cur.1 = Some(v.clone()),
                    "nodeid" => cur.2 = Some(v.clone()),
                    _ => {}
                }
            }
        }
    }
    finish(current, &mut nodes)?;
    if nodes.is_empty() {
        return Err("No nodelist defined or nodelist is empty".to_string());
    }
    let two_node = value("quorum", "two_node").is_some_and(|v| v == "1");
    if two_node && nodes.len() != 2 {
        return Err("two_node is set but the nodelist does not have two nodes".to_string());
    }
    Ok(CorosyncConf {
        cluster_name,
        nodes,
        two_node,
        crypto,
    })
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;

    pub const CONF: &str = "totem {\n    version: 2\n    cluster_name: demo\n    transport: knet\n    \
        crypto_cipher: aes256\n    crypto_hash: sha256\n}\n\nnodelist {\n    node {\n        ring0_addr: 10.0.0.2\n        \
        name: oss1.cluster\n        nodeid: 1\n    }\n    node {\n        ring0_addr: 10.0.0.3\n        name: oss2.cluster\n        \
        nodeid: 2\n    }\n}\n\nquorum {\n    provider: corosync_votequorum\n    two_node: 1\n}\n";

    #[test]
    fn reads_what_chroma_writes_and_refuses_broken_files() {
        let conf = parse(CONF).unwrap();
        assert_eq!(conf.cluster_name, "demo");
        assert_eq!(conf.nodes[1].node_name(), "oss2.cluster");
        assert_eq!(conf.nodes[1].ring0_addr, "10.0.0.3");
        assert!(conf.two_node && conf.crypto);
        assert!(parse(&CONF.replace("nodeid: 2", "")).is_err());
        assert!(parse(&CONF[..CONF.len() - 2]).is_err());
        assert!(parse("quorum {\n}\n").is_err());
    }
}
