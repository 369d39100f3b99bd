//! Whether a volume is in use on any server that sees it, asked before
//! every format. `mkfs.lustre --reformat` skips ldiskfs's multi-mount
//! protection (`mke2fs` is run with `-F`), so it would overwrite a target
//! that is live on the partner server; and `mkfs.lustre` itself only
//! checks the local `/proc/mounts`. Chroma asks every server.
//!
//! A server is asked for all its mounts (`mount`) and the canonical path
//! of the volume and of every mounted device (`readlink -f`): a device
//! mounted through another name (a by-id link, `/dev/mapper/…`, a kernel
//! name) is still the same device. A server that cannot be asked stops
//! the format: "unknown" is not "free".

use futures::future::join_all;

use super::mounts;
use super::servers::Server;
use super::targets::TargetRow;
use crate::error::{db_error, ActionError};
use crate::shared::Shared;

/// One line of `mount`: `DEV on DIR type FSTYPE (OPTIONS)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mounted {
    pub device: String,
    pub dir: String,
    pub fstype: String,
}

/// Every mount in `mount` output whose source is a device (`/dev/…`).
pub fn parse_mount(stdout: &str) -> Vec<Mounted> {
    stdout
        .lines()
        .filter_map(|line| {
            let (device, dir, fstype, _) = mounts::split_line(line)?;
            device.starts_with("/dev/").then(|| Mounted {
                device: device.to_owned(),
                dir: dir.to_owned(),
                fstype: fstype.to_owned(),
            })
        })
        .collect()
}

/// The mounts of `canonical` among `mounts`, whose devices canonicalise to
/// `resolved` (same order).
fn of_device<'a>(canonical: &str, mounts: &'a [Mounted], resolved: &[String]) -> Vec<&'a Mounted> {
    mounts
        .iter()
        .zip(resolved)
        .filter(|(_, path)| path.as_str() == canonical)
        .map(|(m, _)| m)
        .collect()
}

/// What `host` does with `device`: `None` when nothing holds it there.
async fn use_on(shared: &Shared, host: &Server, device: &str) -> Result<Option<String>, ActionError> {
    let mounts = parse_mount(&host.check(shared, &["mount"]).await?);
    let mut argv = vec!["readlink", "-f", "--", device];
    argv.extend(mounts.iter().map(|m| m.device.as_str()));
    let resolved: Vec<String> = host.check(shared, &argv).await?.lines().map(str::to_owned).collect();
    let (Some(canonical), true) = (resolved.first(), resolved.len() == mounts.len() + 1) else {
        return Err(ActionError::Command(format!(
            "{}: readlink -f printed {} paths for {} devices",
            host.name,
            resolved.len(),
            mounts.len() + 1
        )));
    };
    let held = of_device(canonical, &mounts, &resolved[1..]);
    Ok(held
        .first()
        .map(|m| format!("mounted on {} at {} ({})", host.name, m.dir, m.fstype)))
}

/// The hosts that see the target's volume: its own and any other server
/// (not removed) recorded with a path to it.
pub async fn viewers(shared: &Shared, target: &TargetRow) -> Result<Vec<Server>, ActionError> {
    let viewers = store::volumes::viewer_host_ids(&shared.db, target.volume_id)
        .await
        .map_err(db_error(format!("read who sees volume {}", target.serial)))?;
    let mut ids = target.host_ids();
    for id in viewers {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Server::load_all(shared, &ids).await
}

/// Fails naming the server and mount when the target's volume is mounted
/// on any server that sees it, or when a server cannot be asked.
pub async fn refuse_if_in_use(shared: &Shared, target: &TargetRow) -> Result<(), ActionError> {
    let hosts = viewers(shared, target).await?;
    let looks = join_all(hosts.iter().map(|host| async move {
        match target.find_device(shared, host).await? {
            Some(device) => use_on(shared, host, &device).await,
            None => Ok(None),
        }
    }))
    .await;
    for (host, look) in hosts.iter().zip(looks) {
        let why = match look {
            Ok(None) => continue,
            Ok(Some(used)) => format!("it is {used}"),
            Err(e) => format!("cannot tell whether it is in use on {}: {e}", host.name),
        };
        return Err(ActionError::Refused(format!(
            "refusing to format volume {} for {}: {why}",
            target.serial, target.name
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_device_mount() {
        let out = "/dev/sda2 on / type ext4 (rw,relatime)\n\
                   proc on /proc type proc (rw,nosuid)\n\
                   /dev/mapper/mpathb on /mnt/fs-OST0001 type lustre (ro,svname=fs-OST0001)\n\
                   /dev/sdb on /mnt/with space type xfs (rw)\n";
        let mounts = parse_mount(out);
        assert_eq!(mounts.len(), 3, "{mounts:?}");
        assert_eq!(mounts[1].device, "/dev/mapper/mpathb");
        assert_eq!(mounts[1].fstype, "lustre");
        assert_eq!(mounts[2].dir, "/mnt/with space");
    }

    #[test]
    fn a_device_mounted_under_another_name_is_found() {
        let mounts =
            parse_mount("/dev/sda2 on / type ext4 (rw)\n/dev/disk/by-id/wwn-0x1 on /mnt/fs-OST0000 type lustre (ro)\n");
        let resolved = vec!["/dev/sda2".to_owned(), "/dev/sdc".to_owned()];
        let held = of_device("/dev/sdc", &mounts, &resolved);
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].dir, "/mnt/fs-OST0000");
        assert!(of_device("/dev/sdd", &mounts, &resolved).is_empty());
    }
}
