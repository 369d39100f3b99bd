//! The live values of parameters set persistently on an MGS. A server
//! target applies the `conf_param` and `set_timeout` records of its own
//! configuration llog on its MGS (the MGS pushes changes to running
//! targets), and every server the `set_param` records of the `params`
//! llog of each MGS its targets belong to; so `lctl get_param` shows them
//! on every server of the file system, and on no server of another MGS.

use std::collections::BTreeMap;

use crate::state::Target;

/// Top-level parameters (`sys.*` in `conf_param`) and their defaults in
/// Lustre 2.15 (`obd_timeout`, `ldlm_timeout`, adaptive timeouts,
/// `jobid_var`).
pub const SYS_DEFAULTS: [(&str, &str); 8] = [
    ("timeout", "100"),
    ("ldlm_timeout", "20"),
    ("at_min", "0"),
    ("at_max", "600"),
    ("at_extra", "30"),
    ("at_early_margin", "5"),
    ("at_history", "600"),
    ("jobid_var", "disable"),
];

/// The live values the records of `target`'s log set, in log order:
/// `sys.timeout=70` gives (`timeout`, `70`); on `fs1-MDT0000`,
/// `mdt.identity_upcall=NONE` gives (`mdt.fs1-MDT0000.identity_upcall`,
/// `NONE`); on `fs1-OST0000`, `ost.sync_journal=1` (or `obdfilter.…`)
/// gives (`obdfilter.fs1-OST0000.sync_journal`, `1`).
pub fn for_target(logs: &BTreeMap<String, Vec<String>>, target: &Target) -> Vec<(String, String)> {
    let svname = target.svname();
    let Some(records) = logs.get(&svname) else {
        return Vec::new();
    };
    records.iter().filter_map(|body| live(body, &svname)).collect()
}

/// The `timeout` a target runs with (100 unless set on the MGS).
pub fn timeout(logs: &BTreeMap<String, Vec<String>>, target: &Target) -> u64 {
    for_target(logs, target)
        .into_iter()
        .filter(|(name, _)| name == "timeout")
        .filter_map(|(_, value)| value.parse().ok())
        .next_back()
        .unwrap_or(100)
}

/// The `lctl set_param -P` records: (name pattern, value), in log order.
pub fn set_params(logs: &BTreeMap<String, Vec<String>>) -> Vec<(String, String)> {
    let Some(records) = logs.get("params") else {
        return Vec::new();
    };
    records
        .iter()
        .filter(|body| field(body, "event") == Some("set_param"))
        .filter_map(|body| {
            let rest = &body[body.find(", parameter: ")? + ", parameter: ".len()..];
            let (pattern, value) = rest.split_once(", value: ")?;
            Some((pattern.to_string(), value.to_string()))
        })
        .collect()
}

fn live(body: &str, svname: &str) -> Option<(String, String)> {
    if !matches!(field(body, "event")?, "conf_param" | "set_timeout" | "set_ldlm_timeout") {
        return None;
    }
    let rest = &body[body.find(", parameter: ")? + ", parameter: ".len()..];
    // `sys.jobid_var` records repeat the value in a last `value:` field.
    let param = rest.split(", value: ").next().unwrap_or(rest);
    let (name, value) = param.split_once('=')?;
    let (family, key) = name.split_once('.')?;
    let live_name = match family {
        "sys" => key.to_string(),
        _ if field(body, "device") != Some(svname) => return None,
        "mdt" => format!("mdt.{svname}.{key}"),
        "ost" | "obdfilter" => format!("obdfilter.{svname}.{key}"),
        "osd" => format!("osd-ldiskfs.{svname}.{key}"),
        _ => return None,
    };
    Some((live_name, value.to_string()))
}

/// The value of `key` in a record body (`event: …, device: …`).
fn field<'a>(body: &'a str, key: &str) -> Option<&'a str> {
    let start = if body.starts_with(&format!("{key}: ")) {
        key.len() + 2
    } else {
        body.find(&format!(", {key}: "))? + key.len() + 4
    };
    let rest = &body[start..];
    Some(rest.split(", ").next().unwrap_or(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_become_live_names() {
        let target = Target {
            mgs: false,
            mdt: true,
            ost: false,
            fsname: "fs1".into(),
            index: Some(0),
            params: vec![],
            mount_opts: String::new(),
            first_time: false,
            no_primnode: false,
            writeconf: false,
            no_local_logs: false,
            mkfs_options: None,
            zfs_dataset: None,
            uuid: String::new(),
        };
        let logs = BTreeMap::from([
            (
                "fs1-MDT0000".to_string(),
                vec![
                    "marker".to_string(),
                    "event: set_timeout, num: 0x000046, parameter: sys.timeout=70".to_string(),
                    "event: conf_param, device: fs1-MDT0000, parameter: mdt.identity_upcall=NONE".to_string(),
                    "event: conf_param, device: fs1-OST0000-osc-MDT0000, parameter: osc.max_dirty_mb=64".to_string(),
                    "event: conf_param, parameter: sys.jobid_var=procname_uid, value: procname_uid".to_string(),
                ],
            ),
            (
                "params".to_string(),
                vec!["event: set_param, device: *, parameter: obdfilter.*.sync_journal, value: 1".to_string()],
            ),
        ]);
        assert_eq!(
            for_target(&logs, &target),
            [
                ("timeout".to_string(), "70".to_string()),
                ("mdt.fs1-MDT0000.identity_upcall".to_string(), "NONE".to_string()),
                ("jobid_var".to_string(), "procname_uid".to_string()),
            ]
        );
        assert_eq!(timeout(&logs, &target), 70);
        assert_eq!(
            set_params(&logs),
            [("obdfilter.*.sync_journal".to_string(), "1".to_string())]
        );
    }
}
