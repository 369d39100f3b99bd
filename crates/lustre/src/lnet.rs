//! LNet networks as Chroma configures them on a server: which interfaces
//! form which networks (`tcp(eth1)`, `o2ib(ib0,ib1)` for multi-rail),
//! written to `/etc/lnet.conf` in the YAML `lnetctl import` reads (the file
//! Lustre's `lnet.service` imports at boot; its format is the one
//! `lustre/conf/lnet.conf` documents), one local NI per interface.

use serde::{Deserialize, Serialize};

/// Where the configuration is written; `lnet.service` imports it.
pub const LNET_CONF: &str = "/etc/lnet.conf";
/// Most networks, and interfaces per network, a request may name.
pub const MAX_NETWORKS: usize = 16;

/// The LND types a network name may start with (`libcfs_netstrfns`).
const LNDS: [&str; 4] = ["tcp", "o2ib", "gni", "kfi"];

/// One LNet network and the interfaces that carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LnetNetwork {
    /// `tcp`, `tcp1`, `o2ib`, `o2ib3`… (`tcp0` is `tcp`).
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(tcp|o2ib|gni|kfi)[0-9]{0,5}$", example = "o2ib")
    )]
    pub net: String,
    /// Interface names, e.g. `["ib0", "ib1"]` (several: multi-rail).
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 16))]
    pub interfaces: Vec<String>,
}

/// `tcp0` → `tcp`, `o2ib01` → `o2ib1`: the name LNet prints
/// (`libcfs_net2str`), or why `net` is none.
pub fn canonical_net(net: &str) -> Result<String, String> {
    let lnd = LNDS.iter().find(|l| net.starts_with(**l)).ok_or_else(|| {
        format!(
            "{net:?} is not an LNet network: it starts with one of {}",
            LNDS.join(", ")
        )
    })?;
    let number = &net[lnd.len()..];
    if number.is_empty() {
        return Ok((*lnd).to_owned());
    }
    let n: u32 = number
        .parse()
        .ok()
        .filter(|_| number.len() <= 5 && number.chars().all(|c| c.is_ascii_digit()))
        .filter(|n| *n <= 65_535)
        .ok_or_else(|| format!("{net:?}: the network number must be 0 to 65535"))?;
    Ok(if n == 0 { (*lnd).to_owned() } else { format!("{lnd}{n}") })
}

/// A Linux interface name starting with a letter (so that the YAML of
/// `lnet.conf` reads it as a string, never a number or `null`): 1 to 15
/// of `A-Z a-z 0-9 _ . : -`.
fn interface_ok(name: &str) -> bool {
    (1..=15).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && !matches!(name, "null" | "true" | "false" | "yes" | "no" | "on" | "off")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'))
}

/// The networks with canonical names, or `(field, why)` for the first
/// thing wrong: no network, too many, a bad or repeated network, an
/// interface named badly or in two networks.
pub fn validate(networks: &[LnetNetwork]) -> Result<Vec<LnetNetwork>, (String, String)> {
    if networks.is_empty() || networks.len() > MAX_NETWORKS {
        return Err(("networks".into(), format!("give 1 to {MAX_NETWORKS} networks")));
    }
    let mut out: Vec<LnetNetwork> = Vec::new();
    for (i, n) in networks.iter().enumerate() {
        let field = format!("networks[{i}]");
        let net = canonical_net(&n.net).map_err(|e| (format!("{field}.net"), e))?;
        if out.iter().any(|o| o.net == net) {
            return Err((format!("{field}.net"), format!("network {net} is given twice")));
        }
        if n.interfaces.is_empty() || n.interfaces.len() > MAX_NETWORKS {
            return Err((
                format!("{field}.interfaces"),
                format!("give 1 to {MAX_NETWORKS} interfaces"),
            ));
        }
        for (j, name) in n.interfaces.iter().enumerate() {
            let at = format!("{field}.interfaces[{j}]");
            if !interface_ok(name) {
                return Err((
                    at,
                    format!("{name:?} is not an interface name (a letter, then up to 14 of A-Z a-z 0-9 _ . : -)"),
                ));
            }
            let taken = out.iter().any(|o| o.interfaces.contains(name)) || n.interfaces[..j].contains(name);
            if taken {
                return Err((
                    at,
                    format!("interface {name} is named twice; an interface carries one network"),
                ));
            }
        }
        out.push(LnetNetwork {
            net,
            interfaces: n.interfaces.clone(),
        });
    }
    Ok(out)
}

/// `tcp(eth1), o2ib(ib0,ib1)`: the `networks=` module-option form, for
/// messages.
pub fn describe(networks: &[LnetNetwork]) -> String {
    networks
        .iter()
        .map(|n| format!("{}({})", n.net, n.interfaces.join(",")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `/etc/lnet.conf` for `networks`: `lnetctl import` YAML, one local NI per
/// interface. Names were validated, so nothing here needs quoting.
pub fn lnet_conf(networks: &[LnetNetwork]) -> String {
    let mut yaml = String::from("# Written by Chroma; lnet.service imports it (lnetctl import).\nnet:\n");
    for n in networks {
        yaml.push_str(&format!("    - net type: {}\n      local NI(s):\n", n.net));
        for interface in &n.interfaces {
            yaml.push_str(&format!("        - interfaces:\n              0: {interface}\n"));
        }
    }
    yaml
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(name: &str, interfaces: &[&str]) -> LnetNetwork {
        LnetNetwork {
            net: name.into(),
            interfaces: interfaces.iter().map(|i| (*i).to_owned()).collect(),
        }
    }

    #[test]
    fn names_are_made_canonical_as_lnet_prints_them() {
        assert_eq!(canonical_net("tcp0").as_deref(), Ok("tcp"));
        assert_eq!(canonical_net("tcp").as_deref(), Ok("tcp"));
        assert_eq!(canonical_net("o2ib01").as_deref(), Ok("o2ib1"));
        assert!(canonical_net("eth0").is_err());
        assert!(canonical_net("tcp70000").is_err());
        assert!(canonical_net("tcp-1").is_err());
    }

    #[test]
    fn bad_networks_are_refused_naming_the_field() {
        let ok = validate(&[net("tcp0", &["eth1"]), net("o2ib", &["ib0", "ib1"])]);
        assert_eq!(ok, Ok(vec![net("tcp", &["eth1"]), net("o2ib", &["ib0", "ib1"])]));
        let twice = validate(&[net("tcp", &["eth1"]), net("tcp0", &["eth2"])]);
        assert_eq!(twice.map_err(|e| e.0), Err("networks[1].net".to_owned()));
        let shared = validate(&[net("tcp", &["eth1"]), net("tcp1", &["eth1"])]);
        assert_eq!(shared.map_err(|e| e.0), Err("networks[1].interfaces[0]".to_owned()));
        let quoted = validate(&[net("tcp", &["eth1; reboot"])]);
        assert_eq!(quoted.map_err(|e| e.0), Err("networks[0].interfaces[0]".to_owned()));
        for yaml_word in ["123", "null", "-", "true"] {
            assert!(validate(&[net("tcp", &[yaml_word])]).is_err(), "{yaml_word}");
        }
        assert!(validate(&[]).is_err());
        assert!(validate(&[net("tcp", &[])]).is_err());
    }

    #[test]
    fn writes_one_local_ni_per_interface() {
        let nets = [net("tcp", &["eth1"]), net("o2ib", &["ib0", "ib1"])];
        assert_eq!(describe(&nets), "tcp(eth1), o2ib(ib0,ib1)");
        let conf = lnet_conf(&nets);
        assert!(conf.contains(
            "net:\n    - net type: tcp\n      local NI(s):\n        - interfaces:\n              0: eth1\n    - net type: o2ib\n"
        ));
        assert_eq!(conf.matches("- interfaces:").count(), 3);
    }
}
