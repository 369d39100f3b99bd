//! Data jobs run on a Lustre client mount: FLR mirrors (`lfs mirror
//! create|extend|resync|verify`), migrating files off OSTs (`lfs find` then
//! `lfs migrate`) and a directory's default striping (`lfs setstripe`).
//! The arguments each action carries, validated once here.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Most mirrors a file may have (`LUSTRE_MIRROR_COUNT_MAX`).
pub const MIRROR_COUNT_MAX: usize = 16;

/// What a mirror job does to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MirrorOp {
    /// A new file with these mirrors (`lfs mirror create`).
    Create,
    /// Add these mirrors to an existing file (`lfs mirror extend`).
    Extend,
    /// Bring stale mirrors up to date (`lfs mirror resync`).
    Resync,
    /// Only read the layout back (`lfs getstripe`, `lfs mirror verify`).
    Verify,
}

impl MirrorOp {
    /// The word in the API and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            MirrorOp::Create => "create",
            MirrorOp::Extend => "extend",
            MirrorOp::Resync => "resync",
            MirrorOp::Verify => "verify",
        }
    }
}

/// `mirror_file`: a mirror job on one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MirrorArgs {
    pub client_mount_id: Uuid,
    /// Path inside the file system (`/dir/file`).
    pub path: String,
    pub op: MirrorOp,
    /// One pool per new mirror (create and extend), in order.
    #[serde(default)]
    pub pools: Vec<String>,
}

/// `migrate_files`: moves the files under a path off some OSTs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrateArgs {
    pub client_mount_id: Uuid,
    /// Path inside the file system: a directory (its files, recursively)
    /// or a file.
    pub path: String,
    /// OST indexes to move objects off; empty: every file under the path.
    #[serde(default)]
    pub exclude_osts: Vec<u32>,
    /// The OSTs new objects may go to, in index order.
    pub osts: Vec<u32>,
    #[serde(default)]
    pub pool: Option<String>,
    #[serde(default)]
    pub stripe_count: Option<u32>,
}

/// `set_striping`: a directory's default layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StripeArgs {
    pub client_mount_id: Uuid,
    /// Path inside the file system of a directory.
    pub path: String,
    pub pool: String,
    /// `-1` is every OST.
    #[serde(default)]
    pub stripe_count: Option<i32>,
    #[serde(default)]
    pub stripe_size: Option<u64>,
}

/// A path inside a file system as Chroma takes it: absolute, without `.`
/// or `..` components or empty ones, printable, at most 4096 bytes.
/// Returned without a trailing `/` (the root stays `/`).
pub fn check_path(path: &str) -> Result<String, String> {
    if !path.starts_with('/') {
        return Err(format!("must be absolute (start with '/'), not {path:?}"));
    }
    if path.len() > 4096 {
        return Err("at most 4096 bytes (PATH_MAX)".into());
    }
    if path.chars().any(char::is_control) {
        return Err("must not hold control characters".into());
    }
    let trimmed = if path == "/" { "/" } else { path.trim_end_matches('/') };
    if trimmed.split('/').skip(1).any(|part| part == ".." || part == ".") {
        return Err("must not hold '.' or '..' components".into());
    }
    if trimmed.len() > 1 && trimmed[1..].split('/').any(str::is_empty) {
        return Err("must not hold empty components ('//')".into());
    }
    Ok(trimmed.to_string())
}

/// The path of a file-system path seen through a client mounted at
/// `mountpoint`.
pub fn client_path(mountpoint: &str, path: &str) -> String {
    if path == "/" {
        mountpoint.to_string()
    } else {
        format!("{}{path}", mountpoint.trim_end_matches('/'))
    }
}

/// What `lfs getstripe FILE` showed of a file's layout.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileLayout {
    /// `lcm_layout_gen` (composite) or `lmm_layout_gen`.
    pub layout_gen: u32,
    /// The mirrors (one for a plain file).
    pub mirrors: Vec<MirrorLayout>,
}

/// One mirror (component) of a layout.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorLayout {
    /// `lcme_mirror_id`, 0 for a plain file.
    pub id: u32,
    /// `lcme_flags` words (`init`, `stale`, `prefer`).
    pub flags: Vec<String>,
    pub stale: bool,
    pub pool: Option<String>,
    pub stripe_count: u32,
    pub stripe_size: u64,
    /// OST indexes of its objects.
    pub osts: Vec<u32>,
}

/// Parses `lfs getstripe FILE` for one regular file (plain or composite).
///
/// liblustreapi prints `lcme_mirror_id` with every component
/// (`lov_dump_comp_v1_entry`), so a mirror of several components (a PFL
/// mirror) or a PFL file (mirror id 0 throughout) shows the same id more
/// than once: the components of one id are one mirror, its stripe count,
/// size and pool those of its first component, its flags and OSTs those of
/// all (stale when any component is).
pub fn parse_getstripe(text: &str) -> Result<FileLayout, String> {
    let mut layout = FileLayout::default();
    let mut composite = false;
    let mut in_objects = false;
    // The mirror the current component belongs to, and whether the
    // component is that mirror's first.
    let mut current: Option<usize> = None;
    let mut first = true;
    for line in text.lines() {
        let t = line.trim();
        let value = |key: &str| t.strip_prefix(key).map(str::trim);
        if let Some(v) = value("lcm_layout_gen:") {
            composite = true;
            layout.layout_gen = v.parse().map_err(|_| format!("bad lcm_layout_gen {v:?}"))?;
        } else if let Some(v) = value("lcme_mirror_id:") {
            in_objects = false;
            let id = v.parse().map_err(|_| format!("bad lcme_mirror_id {v:?}"))?;
            match layout.mirrors.iter().position(|m| m.id == id) {
                Some(at) => {
                    current = Some(at);
                    first = false;
                }
                None => {
                    layout.mirrors.push(MirrorLayout {
                        id,
                        ..MirrorLayout::default()
                    });
                    current = Some(layout.mirrors.len() - 1);
                    first = true;
                }
            }
        } else if let Some(v) = value("lcme_flags:") {
            let m = current
                .and_then(|at| layout.mirrors.get_mut(at))
                .ok_or("lcme_flags before lcme_mirror_id")?;
            for flag in v.split(',').filter(|f| *f != "0") {
                if !m.flags.iter().any(|f| f == flag) {
                    m.flags.push(flag.to_string());
                }
            }
            m.stale = m.flags.iter().any(|f| f == "stale");
        } else if let Some(v) = value("lmm_stripe_count:") {
            if !composite {
                layout.mirrors.push(MirrorLayout::default());
                current = Some(layout.mirrors.len() - 1);
                first = true;
            }
            let m = current
                .and_then(|at| layout.mirrors.get_mut(at))
                .ok_or("lmm_stripe_count outside a component")?;
            if first {
                m.stripe_count = v.parse().map_err(|_| format!("bad lmm_stripe_count {v:?}"))?;
            }
        } else if let Some(v) = value("lmm_stripe_size:") {
            let m = current
                .and_then(|at| layout.mirrors.get_mut(at))
                .ok_or("lmm_stripe_size outside a component")?;
            if first {
                m.stripe_size = v.parse().map_err(|_| format!("bad lmm_stripe_size {v:?}"))?;
            }
        } else if let Some(v) = value("lmm_layout_gen:") {
            if !composite {
                layout.layout_gen = v.parse().map_err(|_| format!("bad lmm_layout_gen {v:?}"))?;
            }
        } else if let Some(v) = value("lmm_pool:") {
            let m = current
                .and_then(|at| layout.mirrors.get_mut(at))
                .ok_or("lmm_pool outside a component")?;
            if m.pool.is_none() {
                m.pool = Some(v.to_string());
            }
        } else if t == "lmm_objects:" || t.starts_with("obdidx") {
            in_objects = true;
        } else if in_objects {
            let m = current
                .and_then(|at| layout.mirrors.get_mut(at))
                .ok_or("objects outside a component")?;
            // `- 0: { l_ost_idx: 1, l_fid: … }` or `\t     1\t  …` (plain).
            let ost = match t.split_once("l_ost_idx:") {
                Some((_, rest)) => rest.split(',').next().unwrap_or("").trim(),
                None => t.split_whitespace().next().unwrap_or(""),
            };
            if ost.is_empty() {
                in_objects = false;
                continue;
            }
            let ost = ost.parse().map_err(|_| format!("bad object line {t:?}"))?;
            if !m.osts.contains(&ost) {
                m.osts.push(ost);
            }
        }
    }
    if layout.mirrors.is_empty() {
        return Err("no layout in lfs getstripe output".into());
    }
    Ok(layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_checked() {
        assert_eq!(check_path("/a/b/"), Ok("/a/b".into()));
        assert_eq!(check_path("/"), Ok("/".into()));
        assert!(check_path("a").is_err());
        assert!(check_path("/a/../b").is_err());
        assert!(check_path("/a//b").is_err());
        assert!(check_path("/a\nb").is_err());
        assert_eq!(client_path("/mnt/demo", "/d/f"), "/mnt/demo/d/f");
        assert_eq!(client_path("/mnt/demo", "/"), "/mnt/demo");
    }

    #[test]
    fn components_of_one_mirror_are_one_mirror() {
        // Mirror 1 is a PFL layout of two components on pool flash, mirror
        // 2 one component on disk; the second component of mirror 1 is
        // stale and not instantiated on OST 1 yet.
        let text = "/mnt/f\n  lcm_layout_gen:    5\n  lcm_mirror_count:  2\n  lcm_entry_count:   3\n    \
            lcme_id:             65537\n    lcme_mirror_id:      1\n    lcme_flags:          init\n    \
            lcme_extent.e_start: 0\n    lcme_extent.e_end:   1048576\n      lmm_stripe_count:  1\n      \
            lmm_stripe_size:   1048576\n      lmm_pool:          flash\n      lmm_objects:\n      \
            - 0: { l_ost_idx: 0, l_fid: [0x280000400:0x2:0x0] }\n\n    \
            lcme_id:             65538\n    lcme_mirror_id:      1\n    lcme_flags:          init,stale\n    \
            lcme_extent.e_start: 1048576\n    lcme_extent.e_end:   EOF\n      lmm_stripe_count:  2\n      \
            lmm_stripe_size:   4194304\n      lmm_pool:          flash\n      lmm_objects:\n      \
            - 0: { l_ost_idx: 1, l_fid: [0x2c0000400:0x3:0x0] }\n      \
            - 1: { l_ost_idx: 0, l_fid: [0x280000400:0x4:0x0] }\n\n    \
            lcme_id:             131075\n    lcme_mirror_id:      2\n    lcme_flags:          init\n    \
            lcme_extent.e_start: 0\n    lcme_extent.e_end:   EOF\n      lmm_stripe_count:  1\n      \
            lmm_stripe_size:   1048576\n      lmm_pool:          disk\n      lmm_objects:\n      \
            - 0: { l_ost_idx: 2, l_fid: [0x300000400:0x2:0x0] }\n\n";
        let l = parse_getstripe(text).unwrap_or_default();
        assert_eq!(l.mirrors.len(), 2, "{l:?}");
        let m = &l.mirrors[0];
        assert_eq!(
            (m.id, m.pool.as_deref(), m.stale, m.stripe_count, &m.osts[..]),
            (1, Some("flash"), true, 1, &[0, 1][..])
        );
        assert_eq!(m.flags, ["init", "stale"]);
        let m = &l.mirrors[1];
        assert_eq!(
            (m.id, m.pool.as_deref(), m.stale, &m.osts[..]),
            (2, Some("disk"), false, &[2][..])
        );
        // A PFL file that is not mirrored: every component has mirror id 0.
        let pfl = "/mnt/p\n  lcm_layout_gen:    2\n  lcm_mirror_count:  1\n  lcm_entry_count:   2\n    \
            lcme_id:             1\n    lcme_mirror_id:      0\n    lcme_flags:          init\n      \
            lmm_stripe_count:  1\n      lmm_objects:\n      - 0: { l_ost_idx: 3, l_fid: [0x340000400:0x2:0x0] }\n\n    \
            lcme_id:             2\n    lcme_mirror_id:      0\n    lcme_flags:          0\n      \
            lmm_stripe_count:  4\n\n";
        let p = parse_getstripe(pfl).unwrap_or_default();
        assert_eq!((p.mirrors.len(), &p.mirrors[0].osts[..]), (1, &[3][..]), "{p:?}");
    }

    #[test]
    fn getstripe_of_a_mirrored_and_a_plain_file() {
        let composite = "/mnt/f\n  lcm_layout_gen:    3\n  lcm_mirror_count:  2\n  lcm_entry_count:   2\n    \
            lcme_id:             65537\n    lcme_mirror_id:      1\n    lcme_flags:          init\n    \
            lcme_extent.e_start: 0\n    lcme_extent.e_end:   EOF\n      lmm_stripe_count:  1\n      \
            lmm_stripe_size:   1048576\n      lmm_pattern:       raid0\n      lmm_layout_gen:    0\n      \
            lmm_stripe_offset: 0\n      lmm_pool:          flash\n      lmm_objects:\n      \
            - 0: { l_ost_idx: 0, l_fid: [0x280000400:0x2:0x0] }\n\n    lcme_id:             131074\n    \
            lcme_mirror_id:      2\n    lcme_flags:          init,stale\n      lmm_stripe_count:  1\n      \
            lmm_stripe_size:   1048576\n      lmm_objects:\n      - 0: { l_ost_idx: 2, l_fid: [0x2c0000400:0x2:0x0] }\n\n";
        let l = parse_getstripe(composite).unwrap_or_default();
        assert_eq!(l.layout_gen, 3);
        assert_eq!(l.mirrors.len(), 2);
        assert_eq!(
            (l.mirrors[0].pool.as_deref(), l.mirrors[0].stale, &l.mirrors[0].osts[..]),
            (Some("flash"), false, &[0][..])
        );
        assert_eq!(
            (l.mirrors[1].id, l.mirrors[1].stale, &l.mirrors[1].osts[..]),
            (2, true, &[2][..])
        );
        let plain = "/mnt/p\nlmm_stripe_count:  2\nlmm_stripe_size:   1048576\nlmm_pattern:       raid0\n\
            lmm_layout_gen:    0\nlmm_stripe_offset: 1\n\tobdidx\t\t objid\t\t objid\t\t group\n\
            \t     1\t             2\t          0x2\t   0x2c0000400\n\t     3\t             2\t          0x2\t   0x340000400\n\n";
        let p = parse_getstripe(plain).unwrap_or_default();
        assert_eq!((p.mirrors.len(), &p.mirrors[0].osts[..]), (1, &[1, 3][..]));
    }
}
