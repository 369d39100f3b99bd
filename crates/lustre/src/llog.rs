//! The MGS configuration logs as `lctl` prints them. `llog_catlist` lists
//! logs (`config_log: fs1-client`); `llog_print LOG` prints one record per
//! line, `- { index: 4, event: attach, device: fs1-OST0000-osc, type: osc,
//! UUID: fs1-clilov_UUID }`, with fields that vary by event. The client log
//! of a file system names its MDTs and OSTs (attach records of their
//! `-mdc` / `-osc` devices) and holds its `conf_param` settings.

use std::collections::BTreeMap;

/// One llog record's fields, by name.
pub type Record = BTreeMap<String, String>;

/// The log names in `lctl llog_catlist` output.
pub fn parse_catlist(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|line| line.trim().strip_prefix("config_log:"))
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .collect()
}

/// The file systems whose client log is listed (`fs1-client` → `fs1`).
pub fn filesystems(logs: &[String]) -> Vec<String> {
    logs.iter()
        .filter_map(|log| log.strip_suffix("-client"))
        .filter(|fs| !fs.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The records in `lctl llog_print` output, tolerant of extra fields.
pub fn parse_records(stdout: &str) -> Vec<Record> {
    stdout.lines().filter_map(parse_record).collect()
}

fn parse_record(line: &str) -> Option<Record> {
    let body = line.trim().strip_prefix("- {")?.trim_end().strip_suffix('}')?;
    let mut record = Record::new();
    let mut last: Option<String> = None;
    for part in body.split(", ") {
        match part.split_once(": ") {
            Some((key, value)) => {
                let key = key.trim().to_owned();
                record.insert(key.clone(), value.trim().to_owned());
                last = Some(key);
            }
            // A value holding ", " continues the previous field.
            None => {
                if let Some(value) = last.as_ref().and_then(|k| record.get_mut(k)) {
                    value.push_str(", ");
                    value.push_str(part.trim());
                }
            }
        }
    }
    Some(record)
}

/// A target a client log attaches: `(kind, index, name)`, e.g.
/// `("ost", 3, "fs1-OST0003")` from device `fs1-OST0003-osc`.
pub fn attached_targets(fsname: &str, records: &[Record]) -> Vec<(&'static str, u16, String)> {
    let mut found: Vec<(&'static str, u16, String)> = Vec::new();
    for record in records.iter().filter(|r| event(r) == Some("attach")) {
        let Some(device) = record.get("device") else { continue };
        let Some(target) = attached(fsname, device) else {
            continue;
        };
        if !found.contains(&target) {
            found.push(target);
        }
    }
    found
}

fn attached(fsname: &str, device: &str) -> Option<(&'static str, u16, String)> {
    let rest = device.strip_prefix(fsname)?.strip_prefix('-')?;
    let (service, kind) = match rest.rsplit_once('-')? {
        (service, "mdc") if service.starts_with("MDT") => (service, "mdt"),
        (service, "osc") if service.starts_with("OST") => (service, "ost"),
        _ => return None,
    };
    let hex = service.get(3..).filter(|h| h.len() == 4)?;
    let index = u16::from_str_radix(hex, 16).ok()?;
    Some((kind, index, format!("{fsname}-{service}")))
}

/// The index of an MDT service name: `fs1-MDT0002` → 2; `None` for any
/// other name.
pub fn mdt_index(svname: &str) -> Option<u16> {
    let (_, service) = svname.rsplit_once('-')?;
    let hex = service.strip_prefix("MDT").filter(|h| h.len() == 4)?;
    u16::from_str_radix(hex, 16).ok()
}

fn event(record: &Record) -> Option<&str> {
    record.get("event").map(String::as_str)
}

/// Events that carry a persistent setting: `conf_param`, and the
/// `set_timeout` / `set_ldlm_timeout` records `sys.timeout` and
/// `sys.ldlm_timeout` become.
const SETTING_EVENTS: [&str; 3] = ["conf_param", "set_timeout", "set_ldlm_timeout"];

/// The persistent settings in a configuration log, the latest value of
/// each key winning and a deletion (`parameter: KEY` or `KEY=`) dropping
/// it. File-system-wide settings are keyed as given (`sys.timeout`,
/// `llite.max_cached_mb`); others keep the target they were set on
/// (`fs1-OST0000.osc.max_dirty_mb`, `fs1-MDT0000.mdt.identity_upcall`),
/// so that [`conf_param_arg`] gives back the command that set them.
pub fn conf_params(fsname: &str, records: &[Record]) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    for record in records
        .iter()
        .filter(|r| event(r).is_some_and(|e| SETTING_EVENTS.contains(&e)))
    {
        let Some(parameter) = record.get("parameter") else {
            continue;
        };
        // The client log's copy of an MDT's `lov.` setting; the MDT's own
        // log holds it under the MDT's name.
        if record.get("device").is_some_and(|d| d.ends_with("-clilov")) {
            continue;
        }
        let (param, value) = parameter.split_once('=').unwrap_or((parameter.as_str(), ""));
        let key = conf_param_key(fsname, record.get("device").map(String::as_str), param);
        if value.is_empty() {
            params.remove(&key);
        } else {
            params.insert(key, value.to_owned());
        }
    }
    params
}

/// The key a record of `device` setting `param` is stored under.
fn conf_param_key(fsname: &str, device: Option<&str>, param: &str) -> String {
    let Some(device) = device else {
        return param.to_owned();
    };
    if device == fsname || device == format!("{fsname}-client") {
        return param.to_owned();
    }
    // `fs1-OST0000.osc.x` is recorded on the client's device
    // `fs1-OST0000-osc`, `fs1-MDT0000.lov.x` on the MDT's `fs1-MDT0000-mdtlov`:
    // name the target again.
    let class = param.split('.').next().unwrap_or_default();
    let suffix = match class {
        "osc" | "mdc" => format!("-{class}"),
        "lov" => "-mdtlov".to_owned(),
        _ => String::new(),
    };
    let device = device
        .strip_suffix(suffix.as_str())
        .filter(|_| !suffix.is_empty())
        .unwrap_or(device);
    format!("{device}.{param}")
}

/// The target a device-prefixed key names (`fs1-MDT0000.mdt.x` →
/// `fs1-MDT0000`), whose own log holds its server-side settings.
pub fn key_target<'k>(fsname: &str, key: &'k str) -> Option<&'k str> {
    key.split_once('.')
        .map(|(device, _)| device)
        .filter(|device| device.starts_with(&format!("{fsname}-")))
}

/// The `lctl conf_param` argument for a stored setting: `fs1.KEY=VALUE`,
/// or `KEY=VALUE` when the key names its device (`fs1-MDT0000.…`).
pub fn conf_param_arg(fsname: &str, key: &str, value: &str) -> String {
    if key.starts_with(&format!("{fsname}-")) {
        format!("{key}={value}")
    } else {
        format!("{fsname}.{key}={value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_an_mdt_by_its_service_name() {
        assert_eq!(mdt_index("fs1-MDT0000"), Some(0));
        assert_eq!(mdt_index("fs-1-MDT000a"), Some(10));
        assert_eq!(mdt_index("MGS"), None);
        assert_eq!(mdt_index("fs1-OST0000"), None);
    }

    /// What lustre-sim (after Lustre 2.15's `class_config_yaml_output`)
    /// prints for a file system with an MDT, two OSTs and settings.
    const CLIENT_LOG: &str = "\
- { index: 2, event: attach, device: fs1-clilov, type: lov, UUID: fs1-clilov_UUID }
- { index: 3, event: setup, device: fs1-clilov, UUID:  }
- { index: 11, event: attach, device: fs1-MDT0000-mdc, type: mdc, UUID: fs1-clilmv_UUID }
- { index: 12, event: setup, device: fs1-MDT0000-mdc, UUID: fs1-MDT0000_UUID, node: 10.0.0.1@tcp }
- { index: 13, event: add_uuid, nid: 10.0.0.1@tcp(0x200000a000001), node: 10.0.0.1@tcp }
- { index: 15, event: add_mdc, device: fs1-clilmv, mdt: fs1-MDT0000_UUID, index: 0, gen: 1, UUID: fs1-MDT0000-mdc_UUID }
- { index: 18, event: new_profile, name: fs1-client, lov: fs1-clilov, lmv: fs1-clilmv }
- { index: 22, event: attach, device: fs1-OST0000-osc, type: osc, UUID: fs1-clilov_UUID }
- { index: 23, event: attach, device: fs1-OST000a-osc, type: osc, UUID: fs1-clilov_UUID }
- { index: 27, event: set_timeout, num: 0x000028, parameter: sys.timeout=40 }
- { index: 30, event: conf_param, device: fs1-OST0000-osc, parameter: osc.max_dirty_mb=64 }
- { index: 33, event: conf_param, device: fs1-client, parameter: llite.max_cached_mb=512 }
- { index: 36, event: set_timeout, num: 0x000032, parameter: sys.timeout=50 }
";

    #[test]
    fn lists_config_logs_and_file_systems() {
        let logs = parse_catlist(
            "config_log: fs1-MDT0000\nconfig_log: fs1-client\nconfig_log: params\n\
                                  config_log: scratch-client\nconfig_log: scratch-OST0000\n",
        );
        assert_eq!(logs.len(), 5);
        assert_eq!(filesystems(&logs), vec!["fs1", "scratch"]);
        assert!(parse_catlist("").is_empty());
    }

    #[test]
    fn parses_records_with_any_fields() {
        let records = parse_records(CLIENT_LOG);
        assert_eq!(records.len(), 13);
        assert_eq!(records[0]["index"], "2");
        assert_eq!(records[0]["UUID"], "fs1-clilov_UUID");
        let real = "- { index: 1, event: marker, flags: 0x01, marker: 1, device: fs1-clilov, time: 1700000000, \
                    comment: lov setup }\n- { index: 9, event: conf_param, device: fs1-client, \
                    parameter: llite.xattr_cache=0, with, comma }\nnot a record\n";
        let records = parse_records(real);
        assert_eq!(records.len(), 2);
        assert_eq!(records[0]["comment"], "lov setup");
        assert_eq!(records[1]["parameter"], "llite.xattr_cache=0, with, comma");
    }

    #[test]
    fn finds_the_attached_targets() {
        let records = parse_records(CLIENT_LOG);
        assert_eq!(
            attached_targets("fs1", &records),
            vec![
                ("mdt", 0, "fs1-MDT0000".to_owned()),
                ("ost", 0, "fs1-OST0000".to_owned()),
                ("ost", 10, "fs1-OST000a".to_owned()),
            ]
        );
        let lov =
            parse_records("- { index: 2, event: attach, device: fs1-clilov, type: lov, UUID: fs1-clilov_UUID }\n");
        assert!(attached_targets("fs1", &lov).is_empty());
        assert!(attached_targets("fs", &records).is_empty());
    }

    #[test]
    fn reads_conf_params_back_into_the_commands_that_set_them() {
        let params = conf_params("fs1", &parse_records(CLIENT_LOG));
        let expected: BTreeMap<String, String> = [
            ("sys.timeout", "50"),
            ("llite.max_cached_mb", "512"),
            ("fs1-OST0000.osc.max_dirty_mb", "64"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(params, expected);
        assert_eq!(conf_param_arg("fs1", "sys.timeout", "50"), "fs1.sys.timeout=50");
        assert_eq!(
            conf_param_arg("fs1", "fs1-OST0000.osc.max_dirty_mb", "64"),
            "fs1-OST0000.osc.max_dirty_mb=64"
        );
        let deleted = "- { index: 40, event: conf_param, device: fs1-client, parameter: llite.max_cached_mb= }\n";
        let params = conf_params("fs1", &parse_records(&format!("{CLIENT_LOG}{deleted}")));
        assert!(!params.contains_key("llite.max_cached_mb"));
    }

    #[test]
    fn reads_server_settings_from_a_target_log() {
        let mdt_log = "\
- { index: 27, event: set_timeout, num: 0x000028, parameter: sys.timeout=40 }
- { index: 30, event: conf_param, device: fs1-OST0000-osc-MDT0000, parameter: osc.max_dirty_mb=64 }
- { index: 33, event: conf_param, device: fs1-MDT0000, parameter: mdt.identity_upcall=NONE }
";
        let params = conf_params("fs1", &parse_records(mdt_log));
        assert_eq!(params["fs1-MDT0000.mdt.identity_upcall"], "NONE");
        assert_eq!(params["sys.timeout"], "40");
        assert_eq!(
            key_target("fs1", "fs1-MDT0000.mdt.identity_upcall"),
            Some("fs1-MDT0000")
        );
        assert_eq!(key_target("fs1", "sys.timeout"), None);
    }

    #[test]
    fn an_mdts_lov_settings_are_keyed_by_the_mdt() {
        let mdt_log =
            "- { index: 40, event: conf_param, device: fs1-MDT0000-mdtlov, parameter: lov.stripesize=4194304 }\n";
        let client_log = "- { index: 41, event: conf_param, device: fs1-clilov, parameter: lov.stripesize=4194304 }\n";
        let from_mdt = conf_params("fs1", &parse_records(mdt_log));
        assert_eq!(
            from_mdt.get("fs1-MDT0000.lov.stripesize").map(String::as_str),
            Some("4194304")
        );
        assert!(conf_params("fs1", &parse_records(client_log)).is_empty());
    }
}
