//! `drain_ost`, `undrain_ost` and `deactivate_ost`: the MGS-side steps of
//! emptying and removing an OST of a live file system, after the Lustre
//! 2.15 manual ("Removing and Restoring MDTs and OSTs"). Each runs on the
//! host where the file system's MGS is mounted:
//! - drain: `lctl set_param -P osp.FS-OSTxxxx-osc-MDT*.max_create_count=0`,
//!   recorded in the MGS `params` log, so every MDT (one mounted later too)
//!   stops creating objects on the OST, across restarts;
//! - undrain: the same with Lustre's default,
//!   [`DEFAULT_MAX_CREATE_COUNT`];
//! - deactivate: `lctl conf_param FS-OSTxxxx.osc.active=0`, which the MGS
//!   writes into the client log and each MDT's log: the OST stays inactive
//!   for clients and MDTs, across restarts (skipped when the client log has
//!   it already).

use lustre::params::DEFAULT_MAX_CREATE_COUNT;
use serde_json::{json, Value};
use uuid::Uuid;

use super::conf_params::mgs_host;
use super::llog;
use super::step;
use super::targets::{FilesystemRow, TargetRow};
use crate::error::{db_error, ActionError};
use crate::shared::Shared;

/// The OST and its file system; refuses any other target.
async fn ost(shared: &Shared, target_id: Uuid) -> Result<(TargetRow, FilesystemRow), ActionError> {
    let target = TargetRow::load(shared, target_id).await?;
    if target.kind != "ost" {
        return Err(ActionError::Bug(format!("{} is not an OST", target.name)));
    }
    let fs_id = target
        .filesystem_id
        .ok_or_else(|| ActionError::Bug(format!("{} has no file system", target.name)))?;
    let fs = FilesystemRow::load(shared, fs_id).await?;
    Ok((target, fs))
}

/// `drain_ost` (`drained`) or `undrain_ost`.
pub async fn set_drained(shared: &Shared, target_id: Uuid, drained: bool) -> Result<Value, ActionError> {
    let (target, fs) = ost(shared, target_id).await?;
    let mgs = mgs_host(shared, &fs).await?;
    let count = if drained { 0 } else { DEFAULT_MAX_CREATE_COUNT };
    let setting = format!("osp.{}-osc-MDT*.max_create_count={count}", target.name);
    mgs.check(shared, &["lctl", "set_param", "-P", &setting]).await?;
    step::update(&shared.db, "record the OST drained", |fence| {
        store::targets::record_drained(&shared.db, fence, target_id, drained)
    })
    .await?;
    Ok(json!({ "target": target.name, "mgs_host": mgs.name, "set": setting, "drained": drained }))
}

/// `deactivate_ost`: `lctl conf_param FS-OSTxxxx.osc.active=0`, unless the
/// client log and every registered MDT's log hold it already (a redelivery
/// after a conf_param that reached only some logs applies it again); then
/// `lctl set_param -P osp.FS-OSTxxxx-osc-MDT*.{max_create_count=0,active=0}`,
/// because the MGS copies an OST's `add osc` records, not its `conf_param`
/// records, into the log of an MDT added later: the `params` log reaches
/// that MDT too.
pub async fn deactivate(shared: &Shared, target_id: Uuid) -> Result<Value, ActionError> {
    let (target, fs) = ost(shared, target_id).await?;
    let mgs = mgs_host(shared, &fs).await?;
    let key = format!("{}.osc.active", target.name);
    let client_log = format!("{}-client", fs.name);
    let stdout = mgs.check(shared, &["lctl", "llog_print", &client_log]).await?;
    let present = llog::conf_params(&fs.name, &llog::parse_records(&stdout));
    let mut missing = present.get(&key).map(String::as_str) != Some("0");
    let fs_id = target.filesystem_id.unwrap_or_default();
    let names = store::targets::live_names_in_filesystem(&shared.db, fs_id)
        .await
        .map_err(db_error("read the MDTs"))?;
    let prefix = format!("{}-MDT", fs.name);
    for mdt in names.iter().filter(|n| n.starts_with(&prefix)) {
        // An MDT not registered yet has no log: it gets the `params` log.
        let output = mgs.exec(shared, &["lctl", "llog_print", mdt]).await?;
        if output.success() && !mdt_deactivated(&output.stdout, &target.name, mdt) {
            missing = true;
        }
    }
    let arg = format!("{key}=0");
    if missing {
        mgs.check(shared, &["lctl", "conf_param", &arg]).await?;
    }
    // No `params` log yet when nothing was ever set with -P.
    let output = mgs.exec(shared, &["lctl", "llog_print", "params"]).await?;
    let params = if output.success() { output.stdout } else { String::new() };
    let mut set = Vec::new();
    for param in ["max_create_count", "active"] {
        let pattern = format!("osp.{}-osc-MDT*.{param}", target.name);
        if !set_persistently(&params, &pattern, "0") {
            let setting = format!("{pattern}=0");
            mgs.check(shared, &["lctl", "set_param", "-P", &setting]).await?;
            set.push(setting);
        }
    }
    Ok(json!({
        "target": target.name,
        "mgs_host": mgs.name,
        "applied": missing.then_some(arg),
        "set": set,
    }))
}

/// Whether MDT `mdt`'s log (`llog_print` output) ends with OST `ost`
/// inactive (`FS-OSTxxxx-osc-MDTyyyy osc.active=0`).
fn mdt_deactivated(stdout: &str, ost: &str, mdt: &str) -> bool {
    let device = format!("{ost}-osc-{}", mdt.rsplit('-').next().unwrap_or_default());
    llog::parse_records(stdout)
        .iter()
        .filter(|r| r.get("device") == Some(&device))
        .filter_map(|r| r.get("parameter")?.strip_prefix("osc.active="))
        .next_back()
        == Some("0")
}

/// Whether the `params` log (`llog_print` output) ends with `pattern` set
/// to `value`.
fn set_persistently(stdout: &str, pattern: &str, value: &str) -> bool {
    llog::parse_records(stdout)
        .iter()
        .filter(|r| r.get("parameter").map(String::as_str) == Some(pattern))
        .filter_map(|r| r.get("value"))
        .next_back()
        .is_some_and(|v| v == value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_mdt_log_counts_as_deactivated_only_with_its_osc_set_inactive_last() {
        let log = "- { index: 40, event: conf_param, device: fs1-OST0001-osc-MDT0001, parameter: osc.active=0 }\n";
        assert!(mdt_deactivated(log, "fs1-OST0001", "fs1-MDT0001"));
        assert!(!mdt_deactivated(log, "fs1-OST0001", "fs1-MDT0000"));
        assert!(!mdt_deactivated(log, "fs1-OST0000", "fs1-MDT0001"));
        let undone = format!(
            "{log}- {{ index: 41, event: conf_param, device: fs1-OST0001-osc-MDT0001, parameter: osc.active=1 }}\n"
        );
        assert!(!mdt_deactivated(&undone, "fs1-OST0001", "fs1-MDT0001"));
    }
}
