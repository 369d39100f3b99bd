//! Lustre quotas: the kinds Chroma names, the line `lfs quota -q`
//! prints (Lustre 2.15 `lfs.c` `print_quota`) and grace times as `lfs
//! quota -t` prints them and `lfs setquota -t` takes them.

/// `user`, `group` or `project` as `lfs quota`/`lfs setquota` flag.
pub fn kind_flag(kind: &str) -> Option<&'static str> {
    match kind {
        "user" => Some("-u"),
        "group" => Some("-g"),
        "project" => Some("-p"),
        _ => None,
    }
}

/// One `lfs quota -q` line: usage and limits (KiB and inodes) and the
/// grace columns as printed (`-` when not over).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaLine {
    /// A value was printed in brackets: a target did not answer, so the
    /// figure lacks its share (2.15 `print_quota` brackets a value whose
    /// `QIF_*` valid bit is unset; `get_print_quota` then adds "Some
    /// errors happened…" and `lfs` exits 5, -EIO).
    pub inaccurate: bool,
    pub block_used: u64,
    pub block_soft: u64,
    pub block_hard: u64,
    pub block_grace: String,
    pub inode_used: u64,
    pub inode_soft: u64,
    pub inode_hard: u64,
    pub inode_grace: String,
}

/// Parses what `lfs quota -q -u|-g|-p ID MOUNT` printed: the mount point,
/// then (on the next line when it is longer than 15 characters) kbytes
/// (`*` when over), quota, limit, grace, files (`*`), quota, limit, grace.
/// A grace column is `-` unless over the soft limit with the timer
/// running, then the time left (`6d23h59m59s`) or `none` once spent
/// (`print_quota`, `diff2str`); the parser still takes a line without
/// one. A value may be in brackets (`[2048]`): inaccurate, see
/// [`QuotaLine::inaccurate`]; the "Some errors happened" line after it is
/// ignored.
pub fn parse_quota_line(text: &str) -> Option<QuotaLine> {
    let text = text.split("Some errors happened").next().unwrap_or(text);
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let (_, values) = tokens.split_first()?;
    let num = |t: &str| t.trim_end_matches('*').trim_matches(['[', ']']).parse::<u64>().ok();
    // kbytes quota limit [grace] files quota limit [grace]
    let block_used = num(values.first()?)?;
    let block_soft = num(values.get(1)?)?;
    let block_hard = num(values.get(2)?)?;
    let (block_grace, rest) = match values.get(3) {
        Some(g) if num(g).is_none() => (g.to_string(), &values[4..]),
        _ => (String::new(), &values[3..]),
    };
    let inode_used = num(rest.first()?)?;
    let inode_soft = num(rest.get(1)?)?;
    let inode_hard = num(rest.get(2)?)?;
    let inode_grace = rest.get(3).map(|g| g.to_string()).unwrap_or_default();
    Some(QuotaLine {
        inaccurate: values.iter().any(|v| v.starts_with('[')),
        block_used,
        block_soft,
        block_hard,
        block_grace,
        inode_used,
        inode_soft,
        inode_hard,
        inode_grace,
    })
}

/// Longest grace time Lustre takes, in seconds: `lfs setquota -t` refuses
/// a value at or above `NOTIFY_GRACE_TIME` (`LQUOTA_GRACE_MASK`, 2^48 - 1,
/// which means "notify only").
pub const MAX_GRACE_SECS: u64 = (1 << 48) - 2;

/// A grace time as `lfs setquota -t -b|-i` takes it (`str2sec`): whole
/// seconds, or `1w2d3h4m5s` with any of the fields left out; `None` when
/// malformed or above [`MAX_GRACE_SECS`].
pub fn parse_grace(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let secs = if text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()?
    } else {
        let mut total = 0u64;
        let mut digits = String::new();
        for c in text.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let mult = match c {
                'w' => 604_800,
                'd' => 86_400,
                'h' => 3_600,
                'm' => 60,
                's' => 1,
                _ => return None,
            };
            let n: u64 = digits.parse().ok()?;
            total = total.checked_add(n.checked_mul(mult)?)?;
            digits.clear();
        }
        if !digits.is_empty() {
            return None;
        }
        total
    };
    (secs <= MAX_GRACE_SECS).then_some(secs)
}

/// Seconds as `lfs` prints a grace time (`__sec2str`): `1w2d3h4m5s` with
/// zero fields left out, `0s` for zero.
pub fn format_grace(mut secs: u64) -> String {
    let mut out = String::new();
    for (mult, unit) in [(604_800, 'w'), (86_400, 'd'), (3_600, 'h'), (60, 'm'), (1, 's')] {
        let n = secs / mult;
        if n > 0 || (mult == 1 && out.is_empty()) {
            out.push_str(&format!("{n}{unit}"));
        }
        secs %= mult;
    }
    out
}

/// Parses what `lfs quota -t -u|-g|-p MOUNT` printed (2.15 `print_quota`
/// for `LUSTRE_Q_GETINFO`): `Block grace time: 1w; Inode grace time: 1w`.
/// Returns (block, inode) seconds. A time of `notify` (the soft limit
/// only warns, `NOTIFY_GRACE_TIME`) reads as `None` here: Chroma does not
/// set it.
pub fn parse_grace_times(text: &str) -> Option<(u64, u64)> {
    let line = text.lines().find(|l| l.trim_start().starts_with("Block grace time:"))?;
    let (block, inode) = line.trim().split_once(';')?;
    let block = block.trim().strip_prefix("Block grace time:")?.trim();
    let inode = inode.trim().strip_prefix("Inode grace time:")?.trim();
    Some((parse_grace(block)?, parse_grace(inode)?))
}

#[cfg(test)]
mod tests {
    use super::{format_grace, parse_grace, parse_grace_times, parse_quota_line, MAX_GRACE_SECS};

    #[test]
    fn grace_times_parse_as_lfs_prints_and_takes_them() {
        assert_eq!(
            parse_grace_times("Block grace time: 1w; Inode grace time: 1w\n"),
            Some((604_800, 604_800))
        );
        assert_eq!(
            parse_grace_times("Block grace time: 2d3h; Inode grace time: 0s\n"),
            Some((183_600, 0))
        );
        assert_eq!(
            parse_grace_times("Block grace time: notify; Inode grace time: 1w\n"),
            None
        );
        assert_eq!(parse_grace_times("lfs quota: bad"), None);
        assert_eq!(parse_grace("1w2d3h4m5s"), Some(788_645));
        assert_eq!(parse_grace("90"), Some(90));
        assert_eq!(parse_grace("1x"), None);
        assert_eq!(parse_grace("5d3"), None);
        assert_eq!(parse_grace("-1"), None);
        assert_eq!(parse_grace(&MAX_GRACE_SECS.to_string()), Some(MAX_GRACE_SECS));
        assert_eq!(parse_grace(&(MAX_GRACE_SECS + 1).to_string()), None);
        assert_eq!(format_grace(788_645), "1w2d3h4m5s");
        assert_eq!(format_grace(0), "0s");
        assert_eq!(format_grace(3_601), "1h1s");
    }

    #[test]
    fn quiet_lines_parse_short_and_long_mount_points() {
        let line =
            parse_quota_line("       /mnt/fs1    3072*   1024   10240      1w       1     100     200       -\n");
        let line = line.unwrap_or_else(|| panic!("parsed"));
        assert_eq!((line.block_used, line.block_soft, line.block_hard), (3072, 1024, 10240));
        assert_eq!(
            (line.block_grace.as_str(), line.inode_used, line.inode_grace.as_str()),
            ("1w", 1, "-")
        );
        let long = parse_quota_line("/mnt/a/very/long/mountpoint\n                   0       0       0       -       0       0       0       -\n");
        assert_eq!(long.map(|l| l.block_hard), Some(0));
        assert_eq!(parse_quota_line("lfs quota: bad"), None);
        assert!(!line.inaccurate);
    }

    #[test]
    fn bracketed_values_parse_as_inaccurate() {
        let text = "       /mnt/fs1  [2048]   10240   20480       -       1       0       0       -\n\
                    Some errors happened when getting quota info. Some devices may be not working or \
                    deactivated. The data in \"[]\" is inaccurate.\n";
        let line = parse_quota_line(text).unwrap_or_else(|| panic!("parsed"));
        assert!(line.inaccurate);
        assert_eq!((line.block_used, line.block_hard, line.inode_used), (2048, 20480, 1));
        assert_eq!(line.inode_grace, "-");
    }
}
