//! Records what `detect_filesystems` found, in one transaction: the MGT, the
//! file system and its targets that Chroma does not know yet, as
//! monitored-only objects (`managed = false`). A target is known by its name
//! on its volume, a file system by its name on its MGS, so running the
//! detection again inserts nothing new. A target a Pacemaker primitive runs
//! is recorded as that resource (`ha_mode = 'pacemaker'`) unless another
//! target already holds the resource id.

use sea_orm::{DatabaseTransaction, TransactionTrait};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

use crate::error::{db_error, ActionError};
use crate::shared::Shared;

/// A target as detected on the servers.
#[derive(Debug, Clone)]
pub struct Detected {
    pub kind: &'static str,
    pub index: Option<i32>,
    pub name: String,
    pub volume_id: Uuid,
    pub primary: Uuid,
    pub failovers: Vec<Uuid>,
    /// Where it is mounted now.
    pub active: Option<Uuid>,
    /// The id of the Pacemaker primitive that runs it, if one does.
    pub ha_resource: Option<String>,
}

/// A file system as detected on its MGS.
#[derive(Debug, Clone)]
pub struct DetectedFs {
    pub name: String,
    pub mgt: Detected,
    pub targets: Vec<Detected>,
    pub conf_params: BTreeMap<String, String>,
}

/// What the transaction did, for the step's output.
#[derive(Debug, Default)]
struct Report {
    filesystems: Vec<String>,
    targets: Vec<String>,
    new_filesystems: Vec<String>,
    new_targets: Vec<String>,
    /// New target name → its Pacemaker resource.
    new_ha_resources: serde_json::Map<String, Value>,
    notes: Vec<String>,
}

/// Inserts what is new in `found`; `notes` say what was left out and why.
pub async fn record(shared: &Shared, found: &[DetectedFs], notes: Vec<String>) -> Result<Value, ActionError> {
    let fail = db_error("record the detected file systems");
    let tx = shared.db.begin().await.map_err(&fail)?;
    // Two detections at once would both see a file system as new.
    store::filesystems::lock_detection(&tx).await.map_err(&fail)?;
    let mut report = Report {
        notes,
        ..Report::default()
    };
    // A file system whose MDT is its MGS first: others may register there.
    let mut ordered: Vec<&DetectedFs> = found.iter().collect();
    ordered.sort_by_key(|fs| fs.mgt.kind != "mdt" || !fs.mgt.name.starts_with(&format!("{}-", fs.name)));
    for fs in ordered {
        record_filesystem(&tx, fs, &mut report).await.map_err(&fail)?;
    }
    tx.commit().await.map_err(&fail)?;
    Ok(json!({
        "filesystems": report.filesystems,
        "targets": report.targets,
        "new_filesystems": report.new_filesystems,
        "new_targets": report.new_targets,
        "new_ha_resources": report.new_ha_resources,
        "notes": report.notes,
    }))
}

async fn record_filesystem(
    tx: &DatabaseTransaction,
    fs: &DetectedFs,
    report: &mut Report,
) -> Result<(), sea_orm::DbErr> {
    if !valid_fsname(&fs.name) {
        report
            .notes
            .push(format!("{}: not a file-system name Chroma accepts", fs.name));
        return Ok(());
    }
    let combined = fs.mgt.kind == "mdt";
    if combined && fs.mgt.name.strip_suffix(suffix(&fs.mgt.name)) == Some(&format!("{}-", fs.name)) {
        return record_combined(tx, fs, report).await;
    }
    let mgs_id = if combined {
        // Another file system registered with a combined MGS+MDT: that MDT
        // is recorded with its own file system, which comes first.
        store::targets::live_on_volume(tx, fs.mgt.volume_id)
            .await?
            .filter(|t| t.name == fs.mgt.name)
            .map(|t| t.id)
    } else {
        ensure_target(tx, &fs.mgt, None, report).await?
    };
    let Some(mgs_id) = mgs_id else {
        report
            .notes
            .push(format!("{}: its MGS {} is not recorded", fs.name, fs.mgt.name));
        return Ok(());
    };
    let fs_id = match store::filesystems::live_id_on_mgs(tx, &fs.name, mgs_id).await? {
        Some(id) => id,
        None => match insert_filesystem(tx, fs, mgs_id).await? {
            Some(id) => {
                report.new_filesystems.push(fs.name.clone());
                id
            }
            None => {
                report
                    .notes
                    .push(format!("{}: a file system of that name appeared meanwhile", fs.name));
                return Ok(());
            }
        },
    };
    report.filesystems.push(fs.name.clone());
    for target in &fs.targets {
        ensure_target(tx, target, Some(fs_id), report).await?;
    }
    Ok(())
}

/// `MDT0000` of `fs1-MDT0000`.
fn suffix(svname: &str) -> &str {
    svname.rsplit_once('-').map_or("", |(_, s)| s)
}

/// A file system whose MGS is its own MDT (formatted `--mgs --mdt`): the
/// MDT is the file system's `mgs_id` and one of its targets, so the file
/// system is inserted first, under the MDT's id-to-be.
async fn record_combined(tx: &DatabaseTransaction, fs: &DetectedFs, report: &mut Report) -> Result<(), sea_orm::DbErr> {
    let mdt = &fs.mgt;
    let fs_id = match store::targets::live_on_volume(tx, mdt.volume_id).await? {
        Some(row) => {
            let name = row.name;
            match row.filesystem_id.filter(|_| name == mdt.name) {
                Some(fs_id) => fs_id,
                None => {
                    report
                        .notes
                        .push(format!("{}: its volume is recorded as {name}", mdt.name));
                    return Ok(());
                }
            }
        }
        None => {
            let mgs_id = Uuid::now_v7();
            store::filesystems::defer_mgs_check(tx).await?;
            let Some(fs_id) = insert_filesystem(tx, fs, mgs_id).await? else {
                report
                    .notes
                    .push(format!("{}: a file system of that name appeared meanwhile", fs.name));
                return Ok(());
            };
            if insert_target(tx, mgs_id, mdt, Some(fs_id), mdt.ha_resource.as_deref())
                .await?
                .is_none()
            {
                // Its MGS row would dangle and fail the whole commit.
                store::filesystems::delete(tx, fs_id).await?;
                report
                    .notes
                    .push(format!("{}: conflicts with a recorded target", mdt.name));
                return Ok(());
            }
            report.new_filesystems.push(fs.name.clone());
            push_once(&mut report.new_targets, &mdt.name);
            fs_id
        }
    };
    report.filesystems.push(fs.name.clone());
    for target in &fs.targets {
        ensure_target(tx, target, Some(fs_id), report).await?;
    }
    Ok(())
}

/// The id of the live target `t` names on its volume, inserted if new;
/// `None` when the volume holds another live target.
async fn ensure_target(
    tx: &DatabaseTransaction,
    t: &Detected,
    fs_id: Option<Uuid>,
    report: &mut Report,
) -> Result<Option<Uuid>, sea_orm::DbErr> {
    if let Some(row) = store::targets::live_on_volume(tx, t.volume_id).await? {
        let (id, name) = (row.id, row.name);
        if name != t.name {
            report
                .notes
                .push(format!("{}: its volume is recorded as {name}", t.name));
            return Ok(None);
        }
        push_once(&mut report.targets, &t.name);
        return Ok(Some(id));
    }
    if let Some(fs) = fs_id {
        if store::targets::removed_from_filesystem(tx, fs, &t.name).await? {
            report
                .notes
                .push(format!("{}: removed from its file system; not taken back", t.name));
            return Ok(None);
        }
    }
    let ha_resource = match &t.ha_resource {
        Some(id) => match store::targets::holder_of_resource(tx, id).await? {
            Some(holder) => {
                report.notes.push(format!(
                    "{}: its Pacemaker resource {id} is recorded as {holder}'s; recorded with HA mode none",
                    t.name
                ));
                None
            }
            None => Some(id.as_str()),
        },
        None => None,
    };
    let inserted = insert_target(tx, Uuid::now_v7(), t, fs_id, ha_resource).await?;
    match inserted {
        Some(_) => {
            push_once(&mut report.targets, &t.name);
            push_once(&mut report.new_targets, &t.name);
            if let Some(id) = ha_resource {
                report.new_ha_resources.insert(t.name.clone(), id.into());
            }
        }
        None => report
            .notes
            .push(format!("{}: conflicts with a recorded target", t.name)),
    }
    Ok(inserted)
}

/// The names the `filesystem` table accepts: 1–8 letters, digits or `_`.
fn valid_fsname(name: &str) -> bool {
    (1..=8).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn push_once(list: &mut Vec<String>, name: &str) {
    if !list.iter().any(|n| n == name) {
        list.push(name.to_owned());
    }
}

/// Inserts `t`, kept by Pacemaker as `ha_resource` if given.
async fn insert_target(
    tx: &DatabaseTransaction,
    id: Uuid,
    t: &Detected,
    fs_id: Option<Uuid>,
    ha_resource: Option<&str>,
) -> Result<Option<Uuid>, sea_orm::DbErr> {
    let new = store::targets::NewDetected {
        id,
        kind: t.kind.to_owned(),
        filesystem_id: fs_id,
        target_index: t.index,
        name: t.name.clone(),
        volume_id: t.volume_id,
        primary_host_id: t.primary,
        failover_host_ids: t.failovers.clone(),
        active_host_id: t.active,
        ha_resource: ha_resource.map(str::to_owned),
    };
    store::targets::insert_detected(tx, &new).await
}

async fn insert_filesystem(
    tx: &DatabaseTransaction,
    fs: &DetectedFs,
    mgs_id: Uuid,
) -> Result<Option<Uuid>, sea_orm::DbErr> {
    let params: serde_json::Map<String, Value> = fs
        .conf_params
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    store::filesystems::insert_detected(tx, &fs.name, mgs_id, Value::Object(params)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_names_the_schema_accepts() {
        assert!(valid_fsname("fs1") && valid_fsname("big_fs_8"));
        assert!(!valid_fsname("") && !valid_fsname("ninechars") && !valid_fsname("a-b"));
    }
}
