//! `lvs --reportformat json`, parsed: each logical volume and the devices
//! (physical volumes) under it.

use serde::Deserialize;

/// The command, as an argv: sizes in plain bytes.
pub const COMMAND: [&str; 8] = [
    "lvs",
    "--reportformat",
    "json",
    "--units",
    "b",
    "--nosuffix",
    "-o",
    "lv_name,vg_name,lv_size,devices",
];

/// One logical volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogicalVolume {
    /// LV name.
    pub name: String,
    /// VG name.
    pub vg: String,
    /// Bytes.
    pub size: u64,
    /// Paths of the devices it is on, e.g. `/dev/sdb1`.
    pub devices: Vec<String>,
}

impl LogicalVolume {
    /// The device-mapper path lsblk shows: `/dev/mapper/vg-lv`, with
    /// dashes inside either name doubled.
    pub fn mapper_path(&self) -> String {
        format!(
            "/dev/mapper/{}-{}",
            self.vg.replace('-', "--"),
            self.name.replace('-', "--")
        )
    }
}

#[derive(Deserialize)]
struct Report {
    report: Vec<Section>,
}

#[derive(Deserialize)]
struct Section {
    #[serde(default)]
    lv: Vec<Row>,
}

#[derive(Deserialize)]
struct Row {
    lv_name: String,
    vg_name: String,
    #[serde(default)]
    lv_size: String,
    #[serde(default)]
    devices: String,
}

/// Parses the report. An LV with several segments is listed once per
/// segment; its rows are merged.
pub fn parse(text: &str) -> Result<Vec<LogicalVolume>, serde_json::Error> {
    let report: Report = serde_json::from_str(text)?;
    let mut volumes: Vec<LogicalVolume> = Vec::new();
    for row in report.report.into_iter().flat_map(|s| s.lv) {
        let devices = row
            .devices
            .split(',')
            .map(|d| d.split('(').next().unwrap_or_default().trim().to_string())
            .filter(|d| !d.is_empty());
        match volumes
            .iter_mut()
            .find(|v| v.name == row.lv_name && v.vg == row.vg_name)
        {
            Some(volume) => {
                for device in devices {
                    if !volume.devices.contains(&device) {
                        volume.devices.push(device);
                    }
                }
            }
            None => volumes.push(LogicalVolume {
                size: size(&row.lv_size),
                name: row.lv_name,
                vg: row.vg_name,
                devices: devices.collect(),
            }),
        }
    }
    Ok(volumes)
}

/// `5368709120`, or `5368709120B` when `--nosuffix` was not honoured.
fn size(text: &str) -> u64 {
    let digits = text.trim().trim_end_matches(['B', 'b']);
    digits.parse().unwrap_or_else(|_| crate::multipath::human_bytes(text))
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;

    const REPORT: &str = r#"  {
      "report": [
          {
              "lv": [
                  {"lv_name":"lv0", "vg_name":"vg0", "lv_size":"5368709120", "devices":"/dev/mapper/mpatha(0)"},
                  {"lv_name":"big-data", "vg_name":"vg-lustre", "lv_size":"21474836480B", "devices":"/dev/sdb1(0),/dev/sdc1(0)"},
                  {"lv_name":"big-data", "vg_name":"vg-lustre", "lv_size":"21474836480B", "devices":"/dev/sdd1(0)"}
              ]
          }
      ]
  }
"#;

    #[test]
    fn reads_volumes_and_merges_segments() {
        let volumes = parse(REPORT).unwrap();
        assert_eq!(volumes.len(), 2);
        assert_eq!(
            volumes[0],
            LogicalVolume {
                name: "lv0".into(),
                vg: "vg0".into(),
                size: 5_368_709_120,
                devices: vec!["/dev/mapper/mpatha".into()],
            }
        );
        assert_eq!(volumes[1].size, 21_474_836_480);
        assert_eq!(volumes[1].devices, ["/dev/sdb1", "/dev/sdc1", "/dev/sdd1"]);
        assert_eq!(volumes[1].mapper_path(), "/dev/mapper/vg--lustre-big--data");
    }

    #[test]
    fn refuses_what_is_not_a_report() {
        assert!(parse("  LV   VG\n  lv0  vg0\n").is_err());
        assert_eq!(parse(r#"{"report": [{"lv": []}]}"#).unwrap(), vec![]);
    }
}
