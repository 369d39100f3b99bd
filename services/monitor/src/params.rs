//! Persistent parameters as the servers hold them: the settings in each
//! file system's configuration logs on its MGS (`lctl llog_print`) and the
//! live values servers show (`lctl get_param`), recorded beside what Chroma
//! stores so that a difference shows as drift. One SSH exec per server
//! involved per file system (its MGS's for the logs, then one for the live
//! values on each server that shows some).

use sea_orm::DatabaseConnection;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;
use uuid::Uuid;

use crate::inventory::Inventory;
use crate::round::Location;

/// Marks the start of one log's `llog_print` output.
const LOG_MARKER: &str = "@@chroma-llog ";
/// Marks the start of one key's live value.
const LIVE_MARKER: &str = "@@chroma-live ";

/// Reads every live file system's parameters and records them.
pub async fn observe(
    db: &DatabaseConnection,
    pools: &chroma_ssh::Pools,
    inventory: &Inventory,
    locations: &HashMap<Uuid, Location>,
    timeout: Duration,
) -> anyhow::Result<()> {
    let mine = store::filesystems::stored_params(db).await?;
    // Another monitor's file systems are its own to read (see `crate::share`).
    for fs in mine.into_iter().filter(|fs| inventory.looks_after(fs.id)) {
        if let Err(e) = observe_one(
            db,
            pools,
            inventory,
            locations,
            timeout,
            fs.id,
            &fs.name,
            fs.mgs_id,
            &fs.conf_params,
        )
        .await
        {
            tracing::warn!(filesystem = %fs.name, "cannot read its parameters: {e:#}");
        }
    }
    Ok(())
}

#[expect(clippy::too_many_arguments, reason = "one file system's context, passed once")]
async fn observe_one(
    db: &DatabaseConnection,
    pools: &chroma_ssh::Pools,
    inventory: &Inventory,
    locations: &HashMap<Uuid, Location>,
    timeout: Duration,
    fs_id: Uuid,
    fsname: &str,
    mgs_id: Uuid,
    stored: &serde_json::Value,
) -> anyhow::Result<()> {
    let running_on = |target: Uuid| match locations.get(&target) {
        Some(Location::On(host)) => inventory.hosts.iter().find(|h| h.id == *host),
        _ => None,
    };
    let Some(mgs_host) = running_on(mgs_id) else {
        return Ok(());
    };
    let stored: BTreeMap<String, String> = stored
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                .collect()
        })
        .unwrap_or_default();
    // The client log, the MDTs' logs, and the logs of the targets that
    // stored keys name.
    let mut logs: BTreeSet<String> = BTreeSet::from([format!("{fsname}-client")]);
    let fs_targets: Vec<_> = inventory
        .targets
        .iter()
        .filter(|t| t.filesystem_id == Some(fs_id))
        .collect();
    logs.extend(fs_targets.iter().filter(|t| t.kind == "mdt").map(|t| t.name.clone()));
    logs.extend(
        stored
            .keys()
            .filter_map(|k| lustre::llog::key_target(fsname, k))
            .map(str::to_owned),
    );
    let script = logs
        .iter()
        .map(|log| {
            let marker = chroma_ssh::command_line(&["echo", &format!("{LOG_MARKER}{log}")])?;
            let print = chroma_ssh::command_line(&["lctl", "llog_print", log.as_str()])?;
            Ok(format!("{marker}; {print} 2>/dev/null"))
        })
        .collect::<Result<Vec<_>, chroma_ssh::SshError>>()?
        .join("; ");
    let out = pools
        .exec(
            &mgs_host.target,
            &mgs_host.fingerprint,
            &["sh", "-c", script.as_str()],
            timeout,
        )
        .await?;
    let mut in_llog: BTreeMap<String, String> = BTreeMap::new();
    for (_, text) in split_marked(&out.stdout, LOG_MARKER) {
        in_llog.extend(lustre::llog::conf_params(fsname, &lustre::llog::parse_records(&text)));
    }
    let mdts: Vec<&str> = fs_targets
        .iter()
        .filter(|t| t.kind == "mdt")
        .map(|t| t.name.as_str())
        .collect();
    every_mdt(&mut in_llog, &stored, &mdts);
    let keys: BTreeSet<String> = stored.keys().chain(in_llog.keys()).cloned().collect();
    // Live values: each on a server that runs the target the key is about;
    // a file-system-wide `mdt.` one on an MDT's server, other
    // file-system-wide ones on the MGS's. One exec per server.
    let first_mdt = fs_targets
        .iter()
        .filter(|t| t.kind == "mdt")
        .find_map(|t| running_on(t.id));
    let mut by_host: BTreeMap<Uuid, Vec<(String, String)>> = BTreeMap::new();
    for key in &keys {
        let Some(path) = lustre::params::get_param_path(fsname, key) else {
            continue;
        };
        let host = match lustre::llog::key_target(fsname, key) {
            Some(name) => fs_targets
                .iter()
                .find(|t| t.name == name)
                .and_then(|t| running_on(t.id)),
            None if path.starts_with("mdt.") => first_mdt,
            None => Some(mgs_host),
        };
        if let Some(host) = host {
            by_host.entry(host.id).or_default().push((key.clone(), path));
        }
    }
    let mut live: BTreeMap<String, String> = BTreeMap::new();
    for (host_id, wanted) in by_host {
        let Some(host) = inventory.hosts.iter().find(|h| h.id == host_id) else {
            continue;
        };
        let script = wanted
            .iter()
            .map(|(key, path)| {
                let marker = chroma_ssh::command_line(&["echo", &format!("{LIVE_MARKER}{key}")])?;
                let read = chroma_ssh::command_line(&["lctl", "get_param", "-n", path.as_str()])?;
                Ok(format!("{marker}; {read} 2>/dev/null"))
            })
            .collect::<Result<Vec<_>, chroma_ssh::SshError>>()?
            .join("; ");
        let out = pools
            .exec(&host.target, &host.fingerprint, &["sh", "-c", script.as_str()], timeout)
            .await?;
        for (key, text) in split_marked(&out.stdout, LIVE_MARKER) {
            // Several MDTs answer a file-system-wide `mdt.` key: one value
            // if they agree, else all of them (which shows as drift).
            let mut values: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
            values.dedup();
            if !values.is_empty() {
                live.insert(key, values.join(","));
            }
        }
    }
    let seen: Vec<store::params::Observation> = keys
        .iter()
        .map(|k| store::params::Observation {
            key: k.clone(),
            llog_value: in_llog.get(k).cloned(),
            live_value: live.get(k).cloned(),
        })
        .collect();
    store::params::record_observations(db, fs_id, &seen).await?;
    let note = serde_json::json!({"kind": "params", "id": fs_id});
    store::events::notify_change(db, &note).await?;
    Ok(())
}

/// A file-system-wide `mdt.X` that Chroma stores is written by the MGS
/// into each MDT's log as `FS-MDTnnnn.mdt.X`: when every MDT holds the same
/// value, that is the stored key's value, and the per-MDT copies are not
/// separate settings.
fn every_mdt(in_llog: &mut BTreeMap<String, String>, stored: &BTreeMap<String, String>, mdts: &[&str]) {
    for key in stored.keys().filter(|k| k.starts_with("mdt.")) {
        let copies: Vec<String> = mdts.iter().map(|mdt| format!("{mdt}.{key}")).collect();
        let values: BTreeSet<Option<&String>> = copies.iter().map(|c| in_llog.get(c)).collect();
        let agreed = match values.into_iter().collect::<Vec<_>>().as_slice() {
            [Some(value)] => Some((*value).clone()),
            _ => None,
        };
        if let (Some(value), false) = (agreed, mdts.is_empty()) {
            for copy in &copies {
                in_llog.remove(copy);
            }
            in_llog.insert(key.clone(), value);
        }
    }
}

/// The output after each `marker NAME` line, by name.
fn split_marked(stdout: &str, marker: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in stdout.lines() {
        if let Some(name) = line.strip_prefix(marker) {
            out.push((name.trim().to_owned(), String::new()));
        } else if let Some((_, text)) = out.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{every_mdt, split_marked, LOG_MARKER};
    use std::collections::BTreeMap;

    #[test]
    fn a_file_system_wide_mdt_setting_is_read_back_from_every_mdt() {
        let stored = BTreeMap::from([("mdt.identity_upcall".to_owned(), "NONE".to_owned())]);
        let mdts = ["fs1-MDT0000", "fs1-MDT0001"];
        let mut agreeing = BTreeMap::from([
            ("fs1-MDT0000.mdt.identity_upcall".to_owned(), "NONE".to_owned()),
            ("fs1-MDT0001.mdt.identity_upcall".to_owned(), "NONE".to_owned()),
        ]);
        every_mdt(&mut agreeing, &stored, &mdts);
        assert_eq!(
            agreeing,
            BTreeMap::from([("mdt.identity_upcall".to_owned(), "NONE".to_owned())])
        );
        // One MDT set apart by hand: each copy stays, and the stored key
        // has no log value (drift).
        let mut differing = BTreeMap::from([
            ("fs1-MDT0000.mdt.identity_upcall".to_owned(), "NONE".to_owned()),
            ("fs1-MDT0001.mdt.identity_upcall".to_owned(), "/bin/x".to_owned()),
        ]);
        every_mdt(&mut differing, &stored, &mdts);
        assert_eq!(differing.len(), 2);
        assert!(!differing.contains_key("mdt.identity_upcall"));
    }

    #[test]
    fn logs_split_at_their_markers() {
        let out = "@@chroma-llog fs1-client\n- { index: 1 }\n@@chroma-llog fs1-MDT0000\n";
        let logs = split_marked(out, LOG_MARKER);
        assert_eq!(logs.len(), 2);
        assert_eq!(logs[0], ("fs1-client".to_owned(), "- { index: 1 }\n".to_owned()));
        assert_eq!(logs[1].1, "");
    }
}
