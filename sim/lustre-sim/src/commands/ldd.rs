//! The "Permanent disk data" block that mkfs.lustre and tunefs.lustre print
//! (`print_ldd` in Lustre's `mkfs_lustre.c`).

use crate::state::Target;

/// Prints a target's permanent disk data under `heading` (e.g.
/// `Permanent disk data`, `Read previous values`).
pub fn print(heading: &str, target: &Target) -> String {
    let target_name = if target.mdt || target.ost {
        target.label()
    } else {
        "MGS".to_string()
    };
    let index = target.index.map_or_else(|| "unassigned".to_string(), |i| i.to_string());
    format!(
        "\n   {heading}:\nTarget:     {target_name}\nIndex:      {index}\nLustre FS:  {fsname}\n\
         Mount type: {kind}\nFlags:      {flags:#x}\n              ({words})\n\
         Persistent mount opts: {opts}\nParameters:{params}\n{blank}",
        // ZFS prints its parameters without ldiskfs's trailing blank line.
        kind = if target.zfs_dataset.is_some() { "zfs" } else { "ldiskfs" },
        blank = if target.zfs_dataset.is_some() { "" } else { "\n" },
        fsname = target.fsname,
        flags = target.flags(),
        words = target.flag_words(),
        opts = target.mount_opts,
        params = target.params.iter().map(|p| format!(" {p}")).collect::<String>(),
    )
}
