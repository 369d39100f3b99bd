//! `lsblk`: lists the host's block devices. With `-J` it prints JSON as
//! util-linux 2.32 (RHEL 8) does: every value a string, `null` when empty.

use super::{Context, Output};

const COLUMNS: [&str; 13] = [
    "NAME",
    "KNAME",
    "PATH",
    "SIZE",
    "SERIAL",
    "TYPE",
    "FSTYPE",
    "MOUNTPOINT",
    "WWN",
    "MODEL",
    "LABEL",
    "UUID",
    "MAJ:MIN",
];

/// Runs `lsblk [-J] [-b] [-d] [-n] [-p] [-o COLS] [DEVICE…]`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let mut json = false;
    let mut bytes = false;
    let mut full_paths = false;
    let mut columns: Vec<String> = ["NAME", "MAJ:MIN", "SIZE", "TYPE", "MOUNTPOINT"]
        .map(String::from)
        .to_vec();
    let mut wanted = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "-o" | "--output" => match iter.next() {
                Some(cols) => columns = cols.split(',').map(|c| c.trim().to_ascii_uppercase()).collect(),
                None => return Output::fail("lsblk: option requires an argument -- 'o'\n", 1),
            },
            a if a.starts_with("--output=") => {
                columns = a["--output=".len()..]
                    .split(',')
                    .map(|c| c.to_ascii_uppercase())
                    .collect();
            }
            a if a.starts_with("--") => match a {
                "--json" => json = true,
                "--bytes" => bytes = true,
                "--paths" => full_paths = true,
                _ => {}
            },
            a if a.starts_with('-') => {
                json |= a.contains('J');
                bytes |= a.contains('b');
                full_paths |= a.contains('p');
            }
            dev => wanted.push(dev.to_string()),
        }
    }
    if let Some(bad) = columns.iter().find(|c| !COLUMNS.contains(&c.as_str())) {
        return Output::fail(format!("lsblk: unknown column: {bad}\n"), 1);
    }
    let mut rows = Vec::new();
    for (i, (path, serial)) in ctx.state.host_devices(&ctx.host).into_iter().enumerate() {
        if !wanted.is_empty() && !wanted.contains(&path) {
            continue;
        }
        let dev = &ctx.state.devices[&serial];
        let mount = ctx.state.mount_of(&serial).filter(|m| m.host == ctx.host);
        let name = if full_paths {
            path.clone()
        } else {
            path.trim_start_matches("/dev/").to_string()
        };
        let row: Vec<Option<String>> = columns
            .iter()
            .map(|col| match col.as_str() {
                "NAME" => Some(name.clone()),
                "KNAME" => Some(path.trim_start_matches("/dev/").to_string()),
                "PATH" => Some(path.clone()),
                "SIZE" => Some(if bytes { dev.size.to_string() } else { human(dev.size) }),
                "SERIAL" => Some(dev.serial.clone()),
                "TYPE" => Some("disk".to_string()),
                "FSTYPE" => dev.target.as_ref().map(|_| "ext4".to_string()),
                "MOUNTPOINT" => mount.map(|m| m.mountpoint.clone()),
                "WWN" => Some(wwn(&dev.serial)),
                "MODEL" => Some("QEMU HARDDISK".to_string()),
                "LABEL" => dev.target.as_ref().map(|t| t.label()),
                "UUID" => dev.target.as_ref().map(|t| t.uuid.clone()),
                _ => Some(format!("8:{}", 16 * (i + 1))),
            })
            .collect();
        rows.push(row);
    }
    for w in &wanted {
        if !ctx.state.host_devices(&ctx.host).iter().any(|(p, _)| p == w) {
            return Output::fail(format!("lsblk: {w}: not a block device\n"), 32);
        }
    }
    Output::ok(if json {
        render_json(&columns, &rows)
    } else {
        render_table(&columns, &rows)
    })
}

fn human(size: u64) -> String {
    format!("{}G", size >> 30)
}

fn wwn(serial: &str) -> String {
    let hash = serial
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    format!("0x5000c500{:08x}", hash & 0xffff_ffff)
}

fn render_json(columns: &[String], rows: &[Vec<Option<String>>]) -> String {
    let devices: Vec<String> = rows
        .iter()
        .map(|row| {
            let fields: Vec<String> = columns
                .iter()
                .zip(row)
                .map(|(col, value)| {
                    let value = value
                        .as_ref()
                        .map_or_else(|| "null".to_string(), |v| serde_json::json!(v).to_string());
                    format!("\"{}\": {value}", col.to_ascii_lowercase())
                })
                .collect();
            format!("      {{{}}}", fields.join(", "))
        })
        .collect();
    format!("{{\n   \"blockdevices\": [\n{}\n   ]\n}}\n", devices.join(",\n"))
}

fn render_table(columns: &[String], rows: &[Vec<Option<String>>]) -> String {
    let cell = |v: &Option<String>| v.clone().unwrap_or_default();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            rows.iter()
                .map(|r| r.get(i).map_or(0, |v| cell(v).len()))
                .max()
                .unwrap_or(0)
                .max(c.len())
        })
        .collect();
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        format!("{}\n", padded.join(" ").trim_end())
    };
    let mut out = line(columns.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(cell).collect()));
    }
    out
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use crate::commands::test_support::{cluster, run};

    #[test]
    fn json_lists_the_requested_columns() {
        let mut state = cluster();
        let out = run(
            &mut state,
            "oss1",
            "lsblk -J -b -o NAME,SIZE,SERIAL,TYPE,FSTYPE,MOUNTPOINT",
        );
        assert_eq!(out.code, 0);
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let devs = v["blockdevices"].as_array().unwrap();
        assert_eq!(devs.len(), 4);
        assert_eq!(devs[0]["name"], "sdb");
        assert_eq!(devs[0]["size"], "107374182400");
        assert_eq!(devs[0]["type"], "disk");
        assert!(devs[0]["fstype"].is_null());
        assert!(devs[0]["mountpoint"].is_null());
        assert_eq!(devs[0].as_object().unwrap().len(), 6);
        let partner = run(&mut state, "oss2", "lsblk -J -b -o NAME,SERIAL");
        let p: serde_json::Value = serde_json::from_str(&partner.stdout).unwrap();
        assert_eq!(p["blockdevices"][0]["serial"], devs[0]["serial"]);
    }

    #[test]
    fn unknown_columns_are_refused() {
        let mut state = cluster();
        let out = run(&mut state, "oss1", "lsblk -J -o NAME,COLOUR");
        assert_eq!((out.code, out.stderr.as_str()), (1, "lsblk: unknown column: COLOUR\n"));
    }

    #[test]
    fn shows_the_fstype_once_formatted() {
        let mut state = cluster();
        assert_eq!(run(&mut state, "mds1", "mkfs.lustre --mgs /dev/sdb").code, 0);
        let out = run(&mut state, "mds1", "lsblk -J -b -o NAME,FSTYPE /dev/sdb");
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(v["blockdevices"][0]["fstype"], "ext4");
        assert_eq!(v["blockdevices"].as_array().unwrap().len(), 1);
        assert!(run(&mut state, "mds1", "lsblk")
            .stdout
            .starts_with("NAME MAJ:MIN SIZE TYPE MOUNTPOINT\nsdb  8:16"));
    }
}
