//! `writeconf_target`: give an unmounted target its servers' current NIDs
//! and have its configuration regenerated when it next mounts:
//! `tunefs.lustre --erase-params --mgsnode=… --servicenode=… --writeconf`
//! (the Lustre manual's "Changing a Server NID"). The parameters Chroma
//! gave it at format time are exactly these, so erasing loses nothing;
//! file-system settings (conf_params) live in the MGS's logs, which the
//! writeconf drops, and the plan applies them again afterwards. Running it
//! twice writes the same values again.

use serde_json::{json, Value};
use uuid::Uuid;

use super::mkfs;
use super::mounts;
use super::targets::TargetRow;
use crate::shared::Shared;

/// The `tunefs.lustre` argv for `spec` on `device`.
fn tunefs_argv(spec: &mkfs::MkfsSpec, device: &str) -> Vec<String> {
    let mut argv = vec!["tunefs.lustre".to_owned(), "--erase-params".to_owned()];
    if !spec.mgs_nids.is_empty() {
        argv.push(format!("--mgsnode={}", spec.mgs_nids.join(":")));
    }
    argv.extend(spec.service_nids.iter().map(|nids| format!("--servicenode={nids}")));
    argv.push("--writeconf".to_owned());
    argv.push(device.to_owned());
    argv
}

pub async fn run(shared: &Shared, target_id: Uuid) -> Result<Value, String> {
    let target = TargetRow::load(shared, target_id).await?;
    let hosts = target.hosts(shared).await?;
    let seen = mounts::locate(shared, &target, &hosts).await.complete(&target.name)?;
    if let Some((host, mount)) = seen.mounted {
        return Err(format!(
            "{} is mounted on {} at {}; a writeconf needs it unmounted",
            target.name, host.name, mount.dir
        ));
    }
    let host = hosts
        .first()
        .ok_or_else(|| format!("{} has no primary host", target.name))?;
    let device = target.device_on(shared, host).await?;
    let spec = mkfs::spec(shared, &target, &hosts, false).await?;
    let argv = tunefs_argv(&spec, &device);
    host.check(shared, &argv).await?;
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
        };
        assert_eq!(
            tunefs_argv(&spec, "/dev/sdb"),
            [
                "tunefs.lustre",
                "--erase-params",
                "--mgsnode=10.0.0.1@tcp,10.2.0.1@o2ib",
                "--servicenode=10.0.0.2@tcp",
                "--servicenode=10.0.0.3@tcp",
                "--writeconf",
                "/dev/sdb",
            ]
        );
    }
}
