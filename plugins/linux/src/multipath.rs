//! `multipath -ll`, parsed: each map's name, WWID, dm device and paths.
//!
//! ```text
//! mpatha (3600508b4000156d700012000000b0000) dm-0 HP,HSV200
//! size=10G features='1 queue_if_no_path' hwhandler='0' wp=rw
//! |-+- policy='round-robin 0' prio=1 status=active
//! | |- 0:0:0:1 sda 8:0   active ready running
//! `- 1:0:0:1 sdc 8:32  failed faulty running
//! ```
//!
//! Without `user_friendly_names` the header has no alias: `3600… dm-0 HP,HSV200`.

/// The command, as an argv.
pub const COMMAND: [&str; 2] = ["multipath", "-ll"];

/// One multipath map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Map {
    /// Alias (`mpatha`), or the WWID when there is none.
    pub name: String,
    /// The WWID.
    pub wwid: String,
    /// Kernel name of the dm device (`dm-0`).
    pub dm: Option<String>,
    /// Size in bytes, from `size=10G` (approximate: multipath rounds).
    pub size: u64,
    /// The paths' kernel names (`sda`) and whether each is up.
    pub paths: Vec<Path>,
}

/// One path of a map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    /// Kernel name, e.g. `sda`.
    pub kname: String,
    /// `active ready` rather than `failed faulty`.
    pub active: bool,
}

/// Parses `multipath -ll` output; lines it does not understand are skipped.
pub fn parse(text: &str) -> Vec<Map> {
    let mut maps: Vec<Map> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start_matches(|c: char| c.is_whitespace() || "|`-+\\".contains(c));
        let words: Vec<&str> = trimmed.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        let starts_flush = !line.starts_with(|c: char| c.is_whitespace() || "|`".contains(c));
        if starts_flush && !line.starts_with("size=") {
            if let Some(map) = header(&words) {
                maps.push(map);
            }
        } else if let (Some(map), Some(size)) = (maps.last_mut(), line.strip_prefix("size=")) {
            map.size = human_bytes(size.split_whitespace().next().unwrap_or_default());
        } else if let (Some(map), Some(path)) = (maps.last_mut(), path_line(&words)) {
            map.paths.push(path);
        }
    }
    maps
}

/// `mpatha (3600…) dm-0 VENDOR,PRODUCT` or `3600… dm-0 VENDOR,PRODUCT`;
/// anything without the dm device where it belongs is not a header (a
/// warning, or `create:` when multipath acts).
fn header(words: &[&str]) -> Option<Map> {
    let (name, wwid, dm) = match words {
        [name, wwid, dm, ..] if wwid.starts_with('(') && wwid.ends_with(')') => {
            (name.to_string(), wwid.trim_matches(['(', ')']).to_string(), dm)
        }
        [wwid, dm, ..] => (wwid.to_string(), wwid.to_string(), dm),
        _ => return None,
    };
    let is_dm = dm.strip_prefix("dm-").is_some_and(|n| n.parse::<u32>().is_ok());
    if !is_dm {
        return None;
    }
    Some(Map {
        name,
        wwid,
        dm: Some(dm.to_string()),
        size: 0,
        paths: Vec::new(),
    })
}

/// `0:0:0:1 sda 8:0 active ready running`
fn path_line(words: &[&str]) -> Option<Path> {
    let [hctl, kname, majmin, rest @ ..] = words else {
        return None;
    };
    let is_hctl = hctl.split(':').count() == 4 && hctl.split(':').all(|p| p.parse::<u32>().is_ok());
    if !is_hctl || !majmin.contains(':') {
        return None;
    }
    Some(Path {
        kname: kname.to_string(),
        active: rest.first() == Some(&"active"),
    })
}

/// `10G`, `1.5T`, `512M` → bytes (powers of 1024, as multipath prints).
pub fn human_bytes(text: &str) -> u64 {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(text.len()));
    let shift = match unit.chars().next().map(|c| c.to_ascii_uppercase()) {
        Some('K') => 10,
        Some('M') => 20,
        Some('G') => 30,
        Some('T') => 40,
        Some('P') => 50,
        _ => 0,
    };
    number.parse::<f64>().map_or(0, |n| (n * (1u64 << shift) as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "\
mpatha (3600508b4000156d700012000000b0000) dm-0 HP,HSV200
size=10G features='1 queue_if_no_path' hwhandler='0' wp=rw
|-+- policy='round-robin 0' prio=1 status=active
| |- 0:0:0:1 sda 8:0   active ready running
| `- 1:0:0:1 sdc 8:32  active ready running
`-+- policy='round-robin 0' prio=1 status=enabled
  |- 0:0:1:1 sdb 8:16  active ready running
  `- 1:0:1:1 sdd 8:48  failed faulty running
36005076801810523100000000000006e dm-1 IBM,2145
size=1.5T features='0' hwhandler='1 alua' wp=rw
`-+- policy='service-time 0' prio=50 status=active
  `- 2:0:0:0 sde 8:64 active ready running
";

    #[test]
    fn reads_maps_with_and_without_aliases() {
        let maps = parse(OUTPUT);
        assert_eq!(maps.len(), 2);
        assert_eq!(maps[0].name, "mpatha");
        assert_eq!(maps[0].wwid, "3600508b4000156d700012000000b0000");
        assert_eq!(maps[0].dm.as_deref(), Some("dm-0"));
        assert_eq!(maps[0].size, 10 << 30);
        let paths: Vec<(&str, bool)> = maps[0].paths.iter().map(|p| (p.kname.as_str(), p.active)).collect();
        assert_eq!(paths, [("sda", true), ("sdc", true), ("sdb", true), ("sdd", false)]);
        assert_eq!(maps[1].name, maps[1].wwid);
        assert_eq!(maps[1].size, 3 << 39);
        assert_eq!(maps[1].paths.len(), 1);
    }

    #[test]
    fn nothing_configured_is_no_maps() {
        assert!(parse("").is_empty());
        assert!(parse("Dec 01 | /etc/multipath.conf does not exist\n").is_empty());
    }
}
