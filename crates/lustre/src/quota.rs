//! Lustre quotas: the kinds Chroma names and the line `lfs quota -q`
//! prints (Lustre 2.15 `lfs.c` `print_quota`).

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
/// An empty grace column is printed as nothing when a timer is unset
/// while over a hard limit, so a line may have 7 or 8 values.
pub fn parse_quota_line(text: &str) -> Option<QuotaLine> {
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

#[cfg(test)]
mod tests {
    use super::parse_quota_line;

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
    }
}
