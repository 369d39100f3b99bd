//! `apply_conf_params`: set a file system's stored persistent parameters on
//! its MGS with `lctl conf_param`, skipping those the client configuration
//! log already holds with the same value, so a redelivered step only
//! applies what is missing.

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

use super::llog;
use super::mounts;
use super::servers::Server;
use super::targets::{FilesystemRow, TargetRow};
use crate::error::ActionError;
use crate::shared::Shared;

pub async fn run(shared: &Shared, filesystem_id: Uuid) -> Result<Value, ActionError> {
    let fs = FilesystemRow::load(shared, filesystem_id).await?;
    let wanted = wanted(&fs)?;
    let mgs = mgs_host(shared, &fs).await?;
    let present = present(shared, &mgs, &fs.name, &wanted).await?;
    let (mut applied, mut skipped) = (Vec::new(), Vec::new());
    for (key, value) in wanted {
        if present.get(&key) == Some(&value) {
            skipped.push(key);
            continue;
        }
        let arg = llog::conf_param_arg(&fs.name, &key, &value);
        mgs.check(shared, &["lctl", "conf_param", &arg]).await?;
        applied.push(arg);
    }
    Ok(json!({ "filesystem": fs.name, "mgs_host": mgs.name, "applied": applied, "skipped": skipped }))
}

/// The settings the MGS holds now: those of the client log, and of the
/// logs of the targets that target-specific keys name (server-side
/// settings such as `fs1-MDT0000.mdt.…` are written only there).
async fn present(
    shared: &Shared,
    mgs: &Server,
    fsname: &str,
    wanted: &[(String, String)],
) -> Result<BTreeMap<String, String>, ActionError> {
    let client_log = format!("{fsname}-client");
    let stdout = mgs.check(shared, &["lctl", "llog_print", &client_log]).await?;
    let mut present = llog::conf_params(fsname, &llog::parse_records(&stdout));
    let logs: BTreeSet<&str> = wanted.iter().filter_map(|(k, _)| llog::key_target(fsname, k)).collect();
    for log in logs {
        // A target not registered yet has no log; conf_param will say why.
        let output = mgs.exec(shared, &["lctl", "llog_print", log]).await?;
        if output.success() {
            present.extend(llog::conf_params(fsname, &llog::parse_records(&output.stdout)));
        }
    }
    Ok(present)
}

/// The stored settings as `(key, value)` text, in key order.
fn wanted(fs: &FilesystemRow) -> Result<Vec<(String, String)>, ActionError> {
    let Some(object) = fs.conf_params.as_object() else {
        return Err(ActionError::Bug(format!(
            "conf_params of {} is not a JSON object",
            fs.name
        )));
    };
    object
        .iter()
        .map(|(key, value)| match value {
            Value::String(text) => Ok((key.clone(), text.clone())),
            Value::Number(_) | Value::Bool(_) => Ok((key.clone(), value.to_string())),
            other => Err(ActionError::Bug(format!(
                "conf_param {key} of {} has no usable value: {other}",
                fs.name
            ))),
        })
        .collect()
}

/// The host the file system's MGS is mounted on now.
pub(super) async fn mgs_host(shared: &Shared, fs: &FilesystemRow) -> Result<Server, ActionError> {
    let mgt = TargetRow::load(shared, fs.mgs_id).await?;
    let hosts = mgt.hosts(shared).await?;
    let seen = mounts::locate(shared, &mgt, &hosts).await.complete(&mgt.name)?;
    seen.mounted
        .map(|(host, _)| host)
        .ok_or_else(|| ActionError::Refused(format!("the MGS of {} is not mounted on any of its hosts", fs.name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_become_text() {
        let fs = FilesystemRow {
            name: "fs1".into(),
            mgs_id: Uuid::nil(),
            conf_params: json!({"sys.timeout": 40, "llite.max_cached_mb": "512"}),
        };
        assert_eq!(
            wanted(&fs).ok(),
            Some(vec![
                ("llite.max_cached_mb".to_owned(), "512".to_owned()),
                ("sys.timeout".to_owned(), "40".to_owned()),
            ])
        );
        let bad = FilesystemRow {
            conf_params: json!({"sys.timeout": null}),
            ..fs
        };
        assert!(wanted(&bad).is_err());
    }
}
