//! Labels of block devices, read with `blkid -o export`: one block of
//! `KEY=value` lines per device (`DEVNAME=`, `LABEL=`, `UUID=`, `TYPE=`),
//! blocks separated by a blank line. A Lustre target's ldiskfs label is its
//! service name (`fs1-OST0003`, `MGS`), or `fs1:OST0003` until its first
//! mount registers it.

use std::collections::BTreeMap;

use super::servers::Server;
use crate::error::ActionError;
use crate::shared::Shared;

/// blkid's exit status when it found nothing to report.
const NOTHING_FOUND: u32 = 2;

/// One device's `KEY=value` pairs.
pub type Probe = BTreeMap<String, String>;

/// Parses `blkid -o export` output into one map per device.
pub fn parse_export(stdout: &str) -> Vec<Probe> {
    let mut blocks = Vec::new();
    let mut block = Probe::new();
    for line in stdout.lines().map(str::trim) {
        if line.is_empty() {
            if !block.is_empty() {
                blocks.push(std::mem::take(&mut block));
            }
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            // A key repeats only when a new device starts without a blank line.
            if block.contains_key(key) {
                blocks.push(std::mem::take(&mut block));
            }
            block.insert(key.to_owned(), unquote(value));
        }
    }
    if !block.is_empty() {
        blocks.push(block);
    }
    blocks
}

/// blkid escapes unsafe characters with `\`; labels may also be quoted.
fn unquote(value: &str) -> String {
    let value = value.trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    value.replace('\\', "")
}

/// `fs1-OST0003` → `fs1:OST0003`, the label before registration; `MGS`
/// stays `MGS`.
pub fn first_time_label(name: &str) -> String {
    match name.rsplit_once('-') {
        Some((fsname, service)) if is_service(service) => format!("{fsname}:{service}"),
        _ => name.to_owned(),
    }
}

/// `MDT0000`, `OST000a`.
fn is_service(text: &str) -> bool {
    let Some(hex) = text.strip_prefix("MDT").or_else(|| text.strip_prefix("OST")) else {
        return false;
    };
    hex.len() == 4 && hex.chars().all(|c| c.is_ascii_hexdigit())
}

/// Whether `label` is the label of target `name` in any form Lustre
/// writes (`server_make_name` in 2.15's `mkfs_lustre.c`): `fs-OST0003`
/// once registered, `fs:OST0003` before, `fs=OST0003` after
/// `tunefs.lustre --writeconf`, `fs+OST0003` after `--nolocallogs`.
/// mount.lustre accepts every one of them.
pub fn labels_target(label: &str, name: &str) -> bool {
    if label == name {
        return true;
    }
    let Some((fsname, service)) = name.rsplit_once('-').filter(|(_, s)| is_service(s)) else {
        return false;
    };
    [':', '=', '+']
        .iter()
        .any(|sep| label == format!("{fsname}{sep}{service}"))
}

/// Every labelled device `host` sees: `(device, label)`.
pub async fn labels(shared: &Shared, host: &Server) -> Result<Vec<(String, String)>, ActionError> {
    let argv = ["blkid", "-o", "export"];
    let output = host.exec(shared, &argv).await?;
    match output.exit_status {
        Some(0) => Ok(parse_export(&output.stdout)
            .into_iter()
            .filter_map(|mut p| Some((p.remove("DEVNAME")?, p.remove("LABEL")?)))
            .collect()),
        Some(NOTHING_FOUND) => Ok(Vec::new()),
        _ => Err(host.failed(&argv, &output)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_simulators_export_blocks() {
        let out = "DEVNAME=/dev/sdb\nLABEL=fs1:OST0000\nUUID=0f1e-22\nVERSION=1.0\nTYPE=ext4\nUSAGE=filesystem\n\
                   \nDEVNAME=/dev/sdc\nLABEL=MGS\nUUID=77\nTYPE=ext4\n";
        let probes = parse_export(out);
        assert_eq!(probes.len(), 2);
        assert_eq!(probes[0]["DEVNAME"], "/dev/sdb");
        assert_eq!(probes[0]["LABEL"], "fs1:OST0000");
        assert_eq!(probes[0]["USAGE"], "filesystem");
        assert_eq!(probes[1]["LABEL"], "MGS");
        assert!(parse_export("").is_empty());
    }

    #[test]
    fn parses_blocks_without_separators_and_escapes() {
        let out = "DEVNAME=/dev/sda1\nUUID=a\nTYPE=xfs\nDEVNAME=/dev/sdb\nLABEL=my\\ data\nTYPE=ext4\n";
        let probes = parse_export(out);
        assert_eq!(probes.len(), 2);
        assert!(!probes[0].contains_key("LABEL"));
        assert_eq!(probes[1]["LABEL"], "my data");
    }

    #[test]
    fn knows_lustre_labels() {
        assert_eq!(first_time_label("fs1-OST0003"), "fs1:OST0003");
        assert_eq!(first_time_label("fs1-MDT0000"), "fs1:MDT0000");
        assert_eq!(first_time_label("MGS"), "MGS");
        assert!(labels_target("fs1:OST0003", "fs1-OST0003"));
        assert!(labels_target("fs1=OST0003", "fs1-OST0003"), "after --writeconf");
        assert!(labels_target("fs1+OST0003", "fs1-OST0003"), "after --nolocallogs");
        assert!(!labels_target("fs1=OST0004", "fs1-OST0003"));
        assert!(!labels_target("fs2=OST0003", "fs1-OST0003"));
        assert!(labels_target("MGS", "MGS"));
        assert!(labels_target("fs1-OST0003", "fs1-OST0003"));
        assert!(!labels_target("fs2:OST0003", "fs1-OST0003"));
    }
}
