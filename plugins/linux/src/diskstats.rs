//! `/proc/diskstats`, parsed into bytes read and written per kernel name.

use std::collections::HashMap;

/// The command, as an argv.
pub const COMMAND: [&str; 2] = ["cat", "/proc/diskstats"];

/// `/proc/diskstats` counts in 512-byte sectors whatever the device's block size.
const SECTOR: u64 = 512;

/// Bytes read and written by one device since boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Io {
    /// Bytes read.
    pub read_bytes: u64,
    /// Bytes written.
    pub write_bytes: u64,
}

/// Parses the file: kernel name (`sda`, `dm-0`) → its counters. Malformed
/// lines are skipped.
pub fn parse(text: &str) -> HashMap<String, Io> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // major minor name reads merged sectors_read ms writes merged sectors_written …
            let sectors = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
            let io = Io {
                read_bytes: sectors(5)? * SECTOR,
                write_bytes: sectors(9)? * SECTOR,
            };
            Some((fields.get(2)?.to_string(), io))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sectors_as_bytes() {
        let text = "   8       0 sda 1034 12 84120 530 2210 310 61240 1900 0 1400 2430 0 0 0 0\n\
                    253       0 dm-0 40 0 2048 3 7 0 56 1 0 4 4\n\
                    garbage\n";
        let stats = parse(text);
        assert_eq!(stats.len(), 2);
        assert_eq!(
            stats["sda"],
            Io {
                read_bytes: 84120 * 512,
                write_bytes: 61240 * 512
            }
        );
        assert_eq!(stats["dm-0"].write_bytes, 56 * 512);
    }
}
