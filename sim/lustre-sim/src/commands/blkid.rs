//! `blkid`: probes the host's devices. A formatted target is reported as
//! libblkid sees ldiskfs: `TYPE="ext4"` with the target's label. blkid
//! opens without O_EXCL, so a path dm-multipath holds shows the LUN's data
//! as on a real server.

use super::{Context, Output};

/// Runs `blkid [-p] [-o value|export|full] [-s TAG]… [DEVICE…]`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let mut format = "full".to_string();
    let mut tags: Vec<String> = Vec::new();
    let mut low_level = false;
    let mut wanted = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "-o" => format = iter.next().cloned().unwrap_or_default(),
            "-s" => tags.extend(iter.next().cloned()),
            "-c" => {
                iter.next();
            }
            "-p" => low_level = true,
            a if a.starts_with('-') => {}
            dev => wanted.push(dev.to_string()),
        }
    }
    let mut out = String::new();
    let mut found = false;
    let devices = ctx.state.host_devices(&ctx.host);
    let list: Vec<(String, String)> = if wanted.is_empty() {
        devices
    } else {
        wanted
            .iter()
            .filter_map(|w| {
                // A multipath path reads the same blocks as its map.
                let serial = match ctx.state.node(&ctx.host, w) {
                    Some(crate::block::Node::Member { serial, .. }) => serial,
                    _ => ctx.state.resolve_device(&ctx.host, w)?,
                };
                Some((w.clone(), serial))
            })
            .collect()
    };
    for (path, serial) in list {
        let (label, uuid, version, fstype) = match ctx.state.vdev_signature(&serial) {
            // libblkid's zfs prober: the pool's name and GUID, label version 5000.
            Some((pool, guid)) => (pool, guid, "5000", "zfs_member"),
            None => {
                let Some(target) = ctx.state.devices[&serial].target.as_ref() else {
                    continue;
                };
                (target.label(), target.uuid.clone(), "1.0", "ext4")
            }
        };
        found = true;
        let mut fields = vec![("LABEL", label), ("UUID", uuid)];
        if low_level {
            fields.push(("VERSION", version.to_string()));
        }
        fields.push(("TYPE", fstype.to_string()));
        if low_level {
            fields.push(("USAGE", "filesystem".to_string()));
        }
        fields.retain(|(k, _)| tags.is_empty() || tags.iter().any(|t| t == k));
        match format.as_str() {
            "value" => fields.iter().for_each(|(_, v)| out.push_str(&format!("{v}\n"))),
            "export" => {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(&format!("DEVNAME={path}\n"));
                fields.iter().for_each(|(k, v)| out.push_str(&format!("{k}={v}\n")));
            }
            _ => {
                let pairs: Vec<String> = fields.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
                out.push_str(&format!("{path}: {}\n", pairs.join(" ")));
            }
        }
    }
    if found {
        Output::ok(out)
    } else {
        Output::fail("", 2)
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    #[test]
    fn reports_formatted_devices_only() {
        let mut state = cluster();
        assert_eq!(run(&mut state, "oss1", "blkid").code, 2);
        let mkfs = "mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdb";
        assert_eq!(run(&mut state, "oss1", mkfs).code, 0);
        let out = run(&mut state, "oss2", "blkid /dev/sdb");
        assert!(
            out.stdout.starts_with("/dev/sdb: LABEL=\"fs1:OST0000\" UUID=\""),
            "{}",
            out.stdout
        );
        assert!(out.stdout.ends_with(" TYPE=\"ext4\"\n"));
        let export = run(&mut state, "oss1", "blkid -o export /dev/sdb");
        assert!(export.stdout.starts_with("DEVNAME=/dev/sdb\nLABEL=fs1:OST0000\nUUID="));
        assert_eq!(
            run(&mut state, "oss1", "blkid -o value -s LABEL /dev/sdb").stdout,
            "fs1:OST0000\n"
        );
        assert_eq!(run(&mut state, "oss1", "blkid /dev/sdc").code, 2);
    }

    #[test]
    fn low_level_export_names_type_label_and_uuid() {
        let mut state = cluster();
        let empty = run(&mut state, "mds1", "blkid -p -o export /dev/sdb");
        assert_eq!((empty.code, empty.stdout.as_str()), (2, ""));
        assert_eq!(run(&mut state, "mds1", "mkfs.lustre --mgs /dev/sdb").code, 0);
        let out = run(&mut state, "mds1", "blkid -p -o export /dev/sdb");
        assert_eq!(out.code, 0);
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines[..2], ["DEVNAME=/dev/sdb", "LABEL=MGS"]);
        let uuid = lines[2].strip_prefix("UUID=").unwrap_or_default();
        assert_eq!(uuid.len(), 36, "{}", out.stdout);
        assert!(lines.contains(&"TYPE=ext4"), "{}", out.stdout);
        let reformat = "mkfs.lustre --mgs --reformat /dev/sdb";
        assert_eq!(run(&mut state, "mds1", reformat).code, 0);
        let again = run(&mut state, "mds1", "blkid -p -o export /dev/sdb");
        assert!(!again.stdout.contains(uuid), "a new format has a new UUID");
    }
}
