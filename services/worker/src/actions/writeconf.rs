//! `writeconf_target`: give an unmounted target its servers' current NIDs
//! and have its configuration regenerated when it next mounts:
//! `tunefs.lustre --erase-params --mgsnode=… --servicenode=… --writeconf`
//! (the Lustre manual's "Changing a Server NID"). Every other parameter on
//! the disk (a target built by hand and taken over may carry
//! `sys.timeout=` or `failover.mode=`) is read first (`--dryrun`'s
//! `Parameters:`) and written back with `--param`. File-system settings
//! (conf_params) live in the MGS's logs, which the writeconf drops; the
//! plan applies them again afterwards. Running it twice writes the same
//! values again.

use serde_json::{json, Value};
use uuid::Uuid;

use super::mkfs;
use super::mounts;
use super::targets::TargetRow;
use super::zfs;
use crate::error::ActionError;
use crate::shared::Shared;

/// The parameters NIDs are written as; everything else is kept.
const NID_PARAMS: [&str; 2] = ["mgsnode", "failover.node"];

/// The parameters the disk holds now, from `tunefs.lustre --dryrun`: the
/// first `Parameters:` line (the values read, before the changes) holds
/// `KEY=VALUE` words.
fn current_params(dryrun: &str) -> Vec<String> {
    dryrun
        .lines()
        .find_map(|l| l.strip_prefix("Parameters:"))
        .map(|params| params.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The `tunefs.lustre` argv for `spec` on `device`, keeping `kept`.
fn tunefs_argv(spec: &mkfs::MkfsSpec, kept: &[String], device: &str) -> Vec<String> {
    let mut argv = vec!["tunefs.lustre".to_owned(), "--erase-params".to_owned()];
    if !spec.mgs_nids.is_empty() {
        argv.push(format!("--mgsnode={}", spec.mgs_nids.join(":")));
    }
    argv.extend(spec.service_nids.iter().map(|nids| format!("--servicenode={nids}")));
    for param in kept {
        let key = param.split('=').next().unwrap_or(param);
        if !NID_PARAMS.contains(&key) {
            argv.push(format!("--param={param}"));
        }
    }
    argv.push("--writeconf".to_owned());
    argv.push(device.to_owned());
    argv
}

pub async fn run(shared: &Shared, target_id: Uuid) -> Result<Value, ActionError> {
    let target = TargetRow::load(shared, target_id).await?;
    let hosts = target.hosts(shared).await?;
    let seen = mounts::locate(shared, &target, &hosts).await.complete(&target.name)?;
    if let Some((host, mount)) = seen.mounted {
        return Err(ActionError::Refused(format!(
            "{} is mounted on {} at {}; a writeconf needs it unmounted",
            target.name, host.name, mount.dir
        )));
    }
    let host = hosts
        .first()
        .ok_or_else(|| ActionError::Bug(format!("{} has no primary host", target.name)))?;
    let (device, _) = zfs::open(shared, &target, host).await?;
    let spec = mkfs::spec(shared, &target, &hosts, false).await?;
    let dryrun = host.check(shared, &["tunefs.lustre", "--dryrun", &device]).await?;
    let argv = tunefs_argv(&spec, &current_params(&dryrun), &device);
    let done = host.check(shared, &argv).await;
    zfs::release(shared, &target, host).await?;
    done?;
    Ok(json!({ "target": target.name, "host": host.name, "device": device, "command": argv }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_every_nid_and_marks_the_writeconf() {
        let spec = mkfs::MkfsSpec {
            kind: "ost".into(),
            fsname: Some("fs1".into()),
            index: Some(0),
            mgs_nids: vec!["10.0.0.1@tcp,10.2.0.1@o2ib".into()],
            service_nids: vec!["10.0.0.2@tcp".into(), "10.0.0.3@tcp".into()],
            reformat: false,
            mkfsoptions: None,
        };
        let dryrun = "   Read previous values:\nTarget:     fs1-OST0000\n\
                      Parameters: mgsnode=10.0.0.1@tcp failover.node=10.0.0.2@tcp sys.timeout=40 failover.mode=failout\n\n\
                      \n   Permanent disk data:\nParameters: mgsnode=10.0.0.1@tcp\n";
        assert_eq!(
            tunefs_argv(&spec, &current_params(dryrun), "/dev/sdb"),
            [
                "tunefs.lustre",
                "--erase-params",
                "--mgsnode=10.0.0.1@tcp,10.2.0.1@o2ib",
                "--servicenode=10.0.0.2@tcp",
                "--servicenode=10.0.0.3@tcp",
                "--param=sys.timeout=40",
                "--param=failover.mode=failout",
                "--writeconf",
                "/dev/sdb",
            ]
        );
        assert!(current_params("Parameters:\n").is_empty());
    }
}
