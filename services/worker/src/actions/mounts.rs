//! Where Lustre targets are mounted: `mount -t lustre` lists a host's Lustre
//! mounts, one line `DEV on DIR type lustre (ro,svname=NAME,…)`. A target is
//! found across its primary and failover hosts by its service name on its
//! own volume there: service names repeat (every MGT is `MGS`).

use futures::future::join_all;

use super::servers::Server;
use super::targets::TargetRow;
use crate::error::ActionError;
use crate::shared::Shared;

/// One Lustre mount of a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LustreMount {
    pub device: String,
    pub dir: String,
    /// The `svname=` mount option: `MGS`, `fs1-OST0000`.
    pub svname: Option<String>,
    /// It runs an MGS: a lone MGT, or an MDT formatted `--mgs --mdt`
    /// (its `svname=` is the MDT's and its options hold `mgs`).
    pub mgs: bool,
}

/// Where a target was seen, and the hosts that could not be asked.
#[derive(Debug, Default)]
pub struct Whereabouts {
    pub mounted: Option<(Server, LustreMount)>,
    /// `(host, why)` for each host whose mounts could not be listed.
    pub unknown: Vec<(String, String)>,
}

impl Whereabouts {
    /// Fails unless every host was asked (a target may hide on the others).
    pub fn complete(self, name: &str) -> Result<Self, ActionError> {
        if self.mounted.is_some() || self.unknown.is_empty() {
            return Ok(self);
        }
        let why: Vec<String> = self.unknown.iter().map(|(_, why)| why.clone()).collect();
        Err(ActionError::Refused(format!(
            "cannot tell whether {name} is mounted: {}",
            why.join("; ")
        )))
    }

    /// The hosts that could not be asked, for a step's output.
    pub fn unknown_hosts(&self) -> Vec<&str> {
        self.unknown.iter().map(|(host, _)| host.as_str()).collect()
    }
}

/// Parses `mount -t lustre` (or plain `mount`) output; keeps Lustre mounts.
pub fn parse_mounts(stdout: &str) -> Vec<LustreMount> {
    stdout.lines().filter_map(parse_line).collect()
}

/// One line of `mount`, `DEV on DIR type FSTYPE (OPTIONS)`, as
/// `(device, dir, fstype, options)`; a directory may hold spaces.
pub fn split_line(line: &str) -> Option<(&str, &str, &str, &str)> {
    let (device, rest) = line.trim().split_once(" on ")?;
    let (dir, rest) = rest.rsplit_once(" type ")?;
    let (fstype, options) = rest.split_once(' ').unwrap_or((rest, ""));
    let options = options.trim().trim_start_matches('(').trim_end_matches(')');
    Some((device, dir, fstype, options))
}

fn parse_line(line: &str) -> Option<LustreMount> {
    let (device, dir, fstype, options) = split_line(line)?;
    if fstype != "lustre" {
        return None;
    }
    let svname = options
        .split(',')
        .find_map(|o| o.strip_prefix("svname="))
        .map(str::to_owned);
    let mgs = svname.as_deref() == Some("MGS") || options.split(',').any(|o| o == "mgs");
    Some(LustreMount {
        device: device.to_owned(),
        dir: dir.to_owned(),
        svname,
        mgs,
    })
}

/// The Lustre mounts of `host`.
pub async fn list(shared: &Shared, host: &Server) -> Result<Vec<LustreMount>, ActionError> {
    Ok(parse_mounts(&host.check(shared, &["mount", "-t", "lustre"]).await?))
}

/// Fails with "cannot WHAT on HOST: Lustre targets are mounted there: …"
/// unless no Lustre target is mounted on `host`.
pub async fn require_none(shared: &Shared, host: &Server, what: &str) -> Result<(), ActionError> {
    let mounted = list(shared, host).await?;
    if mounted.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = mounted
        .iter()
        .map(|m| m.svname.clone().unwrap_or_else(|| m.device.clone()))
        .collect();
    Err(ActionError::Refused(format!(
        "cannot {what} on {}: Lustre targets are mounted there: {}",
        host.name,
        names.join(", ")
    )))
}

/// Asks every host in `hosts` (in parallel) whether `target` is mounted
/// there.
pub async fn locate(shared: &Shared, target: &TargetRow, hosts: &[Server]) -> Whereabouts {
    let looks = join_all(hosts.iter().map(|h| look(shared, target, h))).await;
    let mut found = Whereabouts::default();
    for (host, look) in hosts.iter().zip(looks) {
        match look {
            Ok(mine) => {
                if let (Some(mount), None) = (mine, &found.mounted) {
                    found.mounted = Some((host.clone(), mount));
                }
            }
            Err(why) => found.unknown.push((host.name.clone(), why.to_string())),
        }
    }
    found
}

/// The mount of `target` on `host`: its service name on its volume.
async fn look(shared: &Shared, target: &TargetRow, host: &Server) -> Result<Option<LustreMount>, ActionError> {
    let named: Vec<LustreMount> = list(shared, host)
        .await?
        .into_iter()
        .filter(|m| m.svname.as_deref() == Some(target.name.as_str()))
        .collect();
    if named.is_empty() {
        return Ok(None);
    }
    if let Some(dataset) = target.dataset() {
        return Ok(mine(named, &target.name, &dataset));
    }
    let Some(volume) = target.find_volume(shared, host).await? else {
        return Ok(None);
    };
    // `mount` shows the canonical node (`/dev/mapper/mpatha`), not the
    // by-id link it was mounted by.
    Ok(mine(named.clone(), &target.name, &volume.device).or_else(|| mine(named, &target.name, &volume.path)))
}

/// The mount of service `name` on `device` among `mounts`.
pub fn mine(mounts: Vec<LustreMount>, name: &str, device: &str) -> Option<LustreMount> {
    mounts
        .into_iter()
        .find(|m| m.svname.as_deref() == Some(name) && m.device == device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_simulators_listing() {
        let out = "/dev/sdb on /mnt/ost0 type lustre (ro,svname=fs1-OST0000,osd=osd-ldiskfs)\n\
                   /dev/sdc on /mnt/MGS type lustre (ro,svname=MGS,osd=osd-ldiskfs)\n";
        assert_eq!(
            parse_mounts(out),
            vec![
                LustreMount {
                    device: "/dev/sdb".into(),
                    dir: "/mnt/ost0".into(),
                    svname: Some("fs1-OST0000".into()),
                    mgs: false,
                },
                LustreMount {
                    device: "/dev/sdc".into(),
                    dir: "/mnt/MGS".into(),
                    svname: Some("MGS".into()),
                    mgs: true,
                },
            ]
        );
        assert!(parse_mounts("").is_empty());
    }

    #[test]
    fn parses_real_lustre_mount_options_and_skips_other_file_systems() {
        let out = "/dev/mapper/mpatha on /mnt/fs-MDT0000 type lustre \
                   (ro,svname=fs-MDT0000,mgsnode=10.0.0.1@tcp:10.0.0.2@tcp,osd=osd-ldiskfs,user_xattr,errors=remount-ro)\n\
                   /dev/sda1 on / type xfs (rw,relatime)\n\
                   garbage line\n";
        let mounts = parse_mounts(out);
        assert_eq!(mounts.len(), 1);
        assert_eq!(mounts[0].device, "/dev/mapper/mpatha");
        assert_eq!(mounts[0].dir, "/mnt/fs-MDT0000");
        assert_eq!(mounts[0].svname.as_deref(), Some("fs-MDT0000"));
        assert!(!mounts[0].mgs);
        let combined =
            parse_mounts("/dev/sdb on /mnt/fs-MDT0000 type lustre (ro,svname=fs-MDT0000,mgs,osd=osd-ldiskfs)\n");
        assert!(combined[0].mgs, "an MDT formatted --mgs --mdt runs the MGS");
    }

    #[test]
    fn a_mount_is_the_targets_only_on_its_device() {
        let mounts = parse_mounts(
            "/dev/sdc on /mnt/MGS type lustre (ro,svname=MGS)\n/dev/sdb on /mnt/MGS2 type lustre (ro,svname=MGS)\n",
        );
        let found = mine(mounts.clone(), "MGS", "/dev/sdb").map(|m| m.dir);
        assert_eq!(found.as_deref(), Some("/mnt/MGS2"));
        assert_eq!(mine(mounts.clone(), "MGS", "/dev/sdd"), None);
        assert_eq!(mine(mounts, "fs1-MDT0000", "/dev/sdc"), None);
    }

    #[test]
    fn an_incomplete_search_is_refused_when_nothing_was_found() {
        let unknown = Whereabouts {
            mounted: None,
            unknown: vec![("oss2".into(), "oss2: connection refused".into())],
        };
        assert_eq!(unknown.unknown_hosts(), vec!["oss2"]);
        let err = unknown
            .complete("fs1-OST0000")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("cannot tell whether fs1-OST0000 is mounted: oss2: connection refused"));
        assert!(Whereabouts::default().complete("x").is_ok());
    }
}
