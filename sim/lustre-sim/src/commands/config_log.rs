//! What the MGS writes into its configuration llogs, after Lustre's
//! `lustre/mgs/mgs_llog.c`: the records a target's first mount registers
//! (`mgs_write_log_mdt`, `mgs_write_log_ost`, `mgs_write_log_osc_to_lov`),
//! and where `lctl conf_param` lands (`mgs_write_log_param`).
//!
//! A log is a list of record bodies in the form `class_config_yaml_output`
//! prints them (`event: attach, device: …`). Every section is framed by two
//! marker records, which take an llog index but are never printed, so the
//! printed indices have the gaps real logs have.

use std::collections::BTreeMap;

use crate::state::Target;

/// The stored body of a marker record.
pub const MARKER: &str = "marker";

/// Lustre's `LCFG_*` record with the buffer names `lcfg_data_table` gives it.
fn record(event: &str, fields: &[(&str, &str)]) -> String {
    let mut body = format!("event: {event}");
    for (key, value) in fields {
        body.push_str(&format!(", {key}: {value}"));
    }
    body
}

/// Appends one marked section (`record_marker` CM_START … CM_END).
fn section(logs: &mut BTreeMap<String, Vec<String>>, log: &str, records: Vec<String>) {
    let entries = logs.entry(log.to_string()).or_default();
    entries.push(MARKER.to_string());
    entries.extend(records);
    entries.push(MARKER.to_string());
}

fn is_empty(logs: &BTreeMap<String, Vec<String>>, log: &str) -> bool {
    logs.get(log).is_none_or(Vec::is_empty)
}

/// `nid: 10.0.0.1@tcp(0x200000a000001)`, as `libcfs_nid2str` and `%#llx`
/// print an `lnet_nid_t` (LND type and net number over the address).
fn nid_field(nid: &str) -> String {
    let Some((addr, net)) = nid.split_once('@') else {
        return nid.to_string();
    };
    let lnd = net.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = &net[lnd.len()..];
    let lnd_type: u64 = match lnd {
        "tcp" => 2,
        "o2ib" => 5,
        "lo" => return format!("{nid}(0x0)"),
        _ => return nid.to_string(),
    };
    let number: u64 = digits.parse().unwrap_or(0);
    let octets: Vec<u64> = addr.split('.').filter_map(|o| o.parse().ok()).collect();
    if octets.len() != 4 {
        return nid.to_string();
    }
    let ip = octets.iter().fold(0u64, |acc, o| (acc << 8) | o);
    format!("{nid}({:#x})", (((lnd_type << 16) | number) << 32) | ip)
}

fn add_uuid(nid: &str, node: &str) -> String {
    record("add_uuid", &[("nid", &nid_field(nid)), ("node", node)])
}

/// `attach` and `setup` of a LOV or LMV: the setup's second buffer is a
/// binary descriptor whose first byte is zero, so it prints empty.
fn stack_setup(name: &str, kind: &str) -> Vec<String> {
    vec![
        record(
            "attach",
            &[("device", name), ("type", kind), ("UUID", &format!("{name}_UUID"))],
        ),
        record("setup", &[("device", name), ("UUID", "")]),
    ]
}

/// Failover NIDs (`failover.node=a,b:c`): each `:` group is one node whose
/// first NID names it; `mgs_write_log_failnids`.
fn failnids(target: &Target, client: &str) -> Vec<String> {
    let mut records = Vec::new();
    let groups = target
        .params
        .iter()
        .filter_map(|p| p.strip_prefix("failover.node="))
        .flat_map(|v| v.split(':'));
    for group in groups {
        let nids: Vec<&str> = group.split(',').filter(|n| !n.is_empty()).collect();
        let Some(node) = nids.first() else { continue };
        records.extend(nids.iter().map(|nid| add_uuid(nid, node)));
        records.push(record("add_conn", &[("device", client), ("node", node)]));
    }
    records
}

/// An OST's client (`osc`) in the log of a LOV: `add osc` section.
fn osc_section(logs: &mut BTreeMap<String, Vec<String>>, log: &str, ost: &Target, nid: &str, osc: &str, lov: &str) {
    let svname = ost.svname();
    let index = ost.index.unwrap_or(0).to_string();
    let mut records = vec![
        add_uuid(nid, nid),
        record(
            "attach",
            &[("device", osc), ("type", "osc"), ("UUID", &format!("{lov}_UUID"))],
        ),
        record(
            "setup",
            &[("device", osc), ("UUID", &format!("{svname}_UUID")), ("node", nid)],
        ),
    ];
    records.extend(failnids(ost, osc));
    records.push(record(
        "add_osc",
        &[
            ("device", lov),
            ("ost", &format!("{svname}_UUID")),
            ("index", &index),
            ("gen", "1"),
        ],
    ));
    section(logs, log, records);
}

/// Starts a file system's client log: `lov setup` then `lmv setup`.
fn start_client_log(logs: &mut BTreeMap<String, Vec<String>>, fs: &str) {
    let client = format!("{fs}-client");
    if is_empty(logs, &client) {
        section(logs, &client, stack_setup(&format!("{fs}-clilov"), "lov"));
        section(logs, &client, stack_setup(&format!("{fs}-clilmv"), "lmv"));
    }
}

/// A registered OST and the NID it registered from.
pub struct Registered<'a> {
    /// The OST's disk data.
    pub target: &'a Target,
    /// The NID of the server it was mounted on.
    pub nid: String,
}

/// An MDT's first mount (`mgs_write_log_mdt`): its own log, the OSTs
/// already registered (`mgs_steal_llog_for_mdt_from_client`), its `mdc`
/// in the client log and the client mount profile.
pub fn register_mdt(logs: &mut BTreeMap<String, Vec<String>>, mdt: &Target, nid: &str, osts: &[Registered<'_>]) {
    let fs = &mdt.fsname;
    let svname = mdt.svname();
    let lov = format!("{svname}-mdtlov");
    let index = mdt.index.unwrap_or(0);
    if is_empty(logs, &svname) {
        section(logs, &svname, stack_setup(&lov, "lov"));
    }
    let uuid = format!("{svname}_UUID");
    section(
        logs,
        &svname,
        vec![
            record("attach", &[("device", &svname), ("type", "mdt"), ("UUID", &uuid)]),
            record("new_profile", &[("name", &svname), ("lov", &lov)]),
            record(
                "setup",
                &[
                    ("device", &svname),
                    ("UUID", &uuid),
                    ("node", &index.to_string()),
                    ("options", &lov),
                    ("failout", "f"),
                ],
            ),
        ],
    );
    start_client_log(logs, fs);
    for ost in osts {
        let osc = format!("{}-osc-MDT{index:04x}", ost.target.svname());
        osc_section(logs, &svname, ost.target, &ost.nid, &osc, &lov);
    }
    let client = format!("{fs}-client");
    let lmv = format!("{fs}-clilmv");
    let mdc = format!("{svname}-mdc");
    let mut records = vec![
        add_uuid(nid, nid),
        record(
            "attach",
            &[("device", &mdc), ("type", "mdc"), ("UUID", &format!("{lmv}_UUID"))],
        ),
        record("setup", &[("device", &mdc), ("UUID", &uuid), ("node", nid)]),
    ];
    records.extend(failnids(mdt, &mdc));
    records.push(record(
        "add_mdc",
        &[
            ("device", &lmv),
            ("mdt", &uuid),
            ("index", &index.to_string()),
            ("gen", "1"),
            ("UUID", &format!("{mdc}_UUID")),
        ],
    ));
    section(logs, &client, records);
    section(
        logs,
        &client,
        vec![record(
            "new_profile",
            &[("name", &client), ("lov", &format!("{fs}-clilov")), ("lmv", &lmv)],
        )],
    );
    write_target_params(logs, mdt);
}

/// An OST's first mount (`mgs_write_log_ost`): its own log, an `osc` in
/// every registered MDT's LOV and one in the client LOV.
pub fn register_ost(logs: &mut BTreeMap<String, Vec<String>>, ost: &Target, nid: &str, mdts: &[u32]) {
    let fs = &ost.fsname;
    let svname = ost.svname();
    section(
        logs,
        &svname,
        vec![
            record(
                "attach",
                &[
                    ("device", &svname),
                    ("type", "obdfilter"),
                    ("UUID", &format!("{svname}_UUID")),
                ],
            ),
            record(
                "setup",
                &[("device", &svname), ("UUID", "dev"), ("node", "type"), ("options", "f")],
            ),
        ],
    );
    for mdt in mdts {
        let log = format!("{fs}-MDT{mdt:04x}");
        if !is_empty(logs, &log) {
            let osc = format!("{svname}-osc-MDT{mdt:04x}");
            osc_section(logs, &log, ost, nid, &osc, &format!("{log}-mdtlov"));
        }
    }
    start_client_log(logs, fs);
    let lov = format!("{fs}-clilov");
    osc_section(logs, &format!("{fs}-client"), ost, nid, &format!("{svname}-osc"), &lov);
    write_target_params(logs, ost);
}

/// `mkfs.lustre --param` values go through `mgs_write_log_param` too; the
/// MGS NIDs and failover NIDs were used above.
fn write_target_params(logs: &mut BTreeMap<String, Vec<String>>, target: &Target) {
    for param in &target.params {
        if param.starts_with("mgsnode=") || param.starts_with("failover.") {
            continue;
        }
        // A refused --param does not stop the mount, as on a real MGS.
        let _ = write_param(logs, &target.fsname, &target.svname(), param);
    }
}

/// Why the MGS refused a parameter, as the errno `lctl` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// `EINVAL`.
    Invalid,
    /// `ENODEV`: the target has no log yet.
    NoDevice,
}

/// The logs of a file system's servers (`fs-MDT0000`, `fs-OST0001`).
fn server_logs(logs: &BTreeMap<String, Vec<String>>, fs: &str, kind: &str) -> Vec<String> {
    let prefix = format!("{fs}-{kind}");
    logs.keys().filter(|k| k.starts_with(&prefix)).cloned().collect()
}

/// One `mgs_wlp_lcfg`: a `conf_param` record in its own section. A value
/// left empty (`lctl conf_param -d`) only cancels, so nothing is written.
fn wlp(logs: &mut BTreeMap<String, Vec<String>>, log: &str, device: &str, param: &str) {
    if param.ends_with('=') {
        return;
    }
    section(
        logs,
        log,
        vec![record("conf_param", &[("device", device), ("parameter", param)])],
    );
}

/// `mgs_write_log_param` for `param` (`osc.max_dirty_mb=64`) set on
/// `device` (`fs-OST0000`, or the bare file system name `fs`).
pub fn write_param(
    logs: &mut BTreeMap<String, Vec<String>>,
    fs: &str,
    device: &str,
    param: &str,
) -> Result<(), Refused> {
    let client = format!("{fs}-client");
    let family = param.split(['.', '=']).next().unwrap_or_default();
    let is_fs = device == fs;
    let server_kind = |kind: &str| !is_fs && device.starts_with(&format!("{fs}-{kind}"));
    match family {
        "sys" => write_sys(logs, fs, param),
        "osc" | "mdc" | "llite" => {
            let cname = if family == "llite" {
                client.clone()
            } else if server_kind("MDT") {
                format!("{device}-mdc")
            } else if server_kind("OST") {
                format!("{device}-osc")
            } else {
                return Err(Refused::Invalid);
            };
            wlp(logs, &client, &cname, param);
            if server_kind("OST") {
                for mdt_log in server_logs(logs, fs, "MDT") {
                    let mdt = mdt_log.trim_start_matches(&format!("{fs}-"));
                    wlp(logs, &mdt_log, &format!("{device}-osc-{mdt}"), param);
                }
            }
            Ok(())
        }
        "lov" => {
            if !server_kind("MDT") {
                // "LOV params must be set on the MDT": ignored, not refused.
                return Ok(());
            }
            if is_empty(logs, device) {
                return Err(Refused::NoDevice);
            }
            wlp(logs, device, &format!("{device}-mdtlov"), param);
            wlp(logs, &client, &format!("{fs}-clilov"), param);
            Ok(())
        }
        "mdt" if is_fs => {
            for mdt_log in server_logs(logs, fs, "MDT") {
                wlp(logs, &mdt_log, &mdt_log.clone(), param);
            }
            Ok(())
        }
        "mdt" if server_kind("MDT") => {
            wlp(logs, device, device, param);
            Ok(())
        }
        "mdt" => Err(Refused::Invalid),
        "mdd" | "lod" | "ost" | "osd" => {
            if is_fs || is_empty(logs, device) {
                return Err(Refused::NoDevice);
            }
            wlp(logs, device, device, param);
            Ok(())
        }
        "quota" => {
            if !super::lfs_quota::valid_quota_param(param) {
                return Err(Refused::Invalid);
            }
            let mut servers = server_logs(logs, fs, "MDT");
            servers.extend(server_logs(logs, fs, "OST"));
            for log in servers {
                wlp(logs, &log, fs, param);
            }
            Ok(())
        }
        // "Ignoring unrecognized param": the MGS logs a warning, lctl succeeds.
        _ => Ok(()),
    }
}

/// `mgs_write_log_sys`: `sys.timeout` and `sys.ldlm_timeout` become
/// `set_timeout`/`set_ldlm_timeout` with the value in `num`, the adaptive
/// timeouts a `conf_param`, all with no device and in every log of the
/// file system.
fn write_sys(logs: &mut BTreeMap<String, Vec<String>>, fs: &str, param: &str) -> Result<(), Refused> {
    let (name, value) = param.split_once('=').unwrap_or((param, ""));
    let event = match name {
        "sys.timeout" => "set_timeout",
        "sys.ldlm_timeout" => "set_ldlm_timeout",
        "sys.at_min" | "sys.at_max" | "sys.at_extra" | "sys.at_early_margin" | "sys.at_history" | "sys.jobid_var" => {
            "conf_param"
        }
        _ => return Err(Refused::Invalid),
    };
    if value.is_empty() {
        return Ok(());
    }
    let mut fields: Vec<(&str, String)> = Vec::new();
    if name == "sys.jobid_var" {
        fields.push(("parameter", param.to_string()));
        fields.push(("value", value.to_string()));
    } else {
        let num: u64 = value.parse().unwrap_or(0);
        if num != 0 {
            // `%#08x`: the width counts the `0x`.
            fields.push(("num", format!("{num:#08x}")));
        }
        fields.push(("parameter", param.to_string()));
    }
    let prefix = format!("{fs}-");
    let targets: Vec<String> = logs
        .keys()
        .filter(|k| k.starts_with(&prefix) && !k.ends_with("-sptlrpc"))
        .cloned()
        .collect();
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for log in targets {
        section(logs, &log, vec![record(event, &borrowed)]);
    }
    Ok(())
}

/// `lctl set_param -P NAME=VALUE` (`mgs_write_log_param2`): a `set_param`
/// record in the `params` log; the device is the second component of the
/// name (`*`, `fs-OST0000`), or `general` when there is none.
pub fn write_set_param(logs: &mut BTreeMap<String, Vec<String>>, name: &str, value: &str) {
    let parts: Vec<&str> = name.split('.').collect();
    let device = if parts.len() > 1 {
        strip_client_suffix(parts[1])
    } else {
        "general".to_string()
    };
    section(
        logs,
        "params",
        vec![record(
            "set_param",
            &[("device", &device), ("parameter", name), ("value", value)],
        )],
    );
}

/// `fs-OST0000-osc-ffff8800…` names the server `fs-OST0000`
/// (`server_make_name`); anything else is kept.
pub fn strip_client_suffix(name: &str) -> String {
    let mut parts = name.splitn(3, '-');
    match (parts.next(), parts.next()) {
        (Some(fs), Some(server)) if (server.starts_with("OST") || server.starts_with("MDT")) && server.len() == 7 => {
            format!("{fs}-{server}")
        }
        _ => name.to_string(),
    }
}

/// A writeconf'd target registers again. MDT0000 makes the MGS erase every
/// log of the file system (`mgs_erase_logs`); any other target only its own.
pub fn erase_for_writeconf(logs: &mut BTreeMap<String, Vec<String>>, target: &Target) {
    if target.mdt && target.index == Some(0) {
        let prefix = format!("{}-", target.fsname);
        logs.retain(|name, _| !name.starts_with(&prefix));
    } else {
        logs.remove(&target.svname());
    }
}

/// A site with two MGSs, for tests: hosts mds1 (`10.0.0.1@tcp`), oss1 and
/// oss2 (a pair, `.2` and `.3`) and mds2 (`.4`). mds1 and mds2 each run an
/// MGS+MDT of a file system named `fs1` from their own `/dev/sdb`; the
/// OST0000 of mds1's `fs1` is on oss1's `/dev/sdb`, that of mds2's on
/// oss2's `/dev/sdc`. Everything is mounted.
#[cfg(test)]
pub(crate) fn two_mgs_site() -> crate::state::ClusterState {
    use crate::commands::test_support::run;
    let names: Vec<String> = ["mds1", "oss1", "oss2", "mds2"].iter().map(|s| s.to_string()).collect();
    let mut state = crate::state::ClusterState::from_layout(&crate::layout::Layout::default_for(&names));
    for (host, line) in [
        ("mds1", "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/sdb"),
        ("mds1", "mount -t lustre /dev/sdb /mnt/mdt0"),
        ("mds2", "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/sdb"),
        ("mds2", "mount -t lustre /dev/sdb /mnt/mdt0"),
        (
            "oss1",
            "mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdb",
        ),
        ("oss1", "mount -t lustre /dev/sdb /mnt/ost0"),
        (
            "oss2",
            "mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.4@tcp /dev/sdc",
        ),
        ("oss2", "mount -t lustre /dev/sdc /mnt/ost0"),
    ] {
        let out = run(&mut state, host, line);
        assert_eq!(out.code, 0, "{host}: {line}: {}", out.stderr);
    }
    state
}

#[cfg(test)]
mod tests {
    use super::nid_field;

    #[test]
    fn nids_print_with_their_lnet_nid_t() {
        assert_eq!(nid_field("10.0.0.1@tcp"), "10.0.0.1@tcp(0x200000a000001)");
        assert_eq!(nid_field("192.168.0.1@o2ib1"), "192.168.0.1@o2ib1(0x50001c0a80001)");
    }
}
