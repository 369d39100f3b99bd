//! `lsblk`: lists the host's block devices. With `-J` it prints JSON as
//! util-linux 2.32 (RHEL 8) does: every value a string, `null` when empty.

use super::lsblk_tree::Dev;
use super::{Context, Output};

const COLUMNS: [&str; 14] = [
    "NAME",
    "KNAME",
    "PKNAME",
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
    let mut tree = super::lsblk_tree::devices(ctx);
    if !wanted.is_empty() {
        let mut picked = Vec::new();
        for w in &wanted {
            // lsblk follows a link (`/dev/disk/by-id/…`) to its device.
            let canonical = super::readlink::kernel_name(ctx, w).unwrap_or_else(|| w.clone());
            match super::lsblk_tree::find(&tree, w).or_else(|| super::lsblk_tree::find(&tree, &canonical)) {
                Some(dev) => picked.push(dev.clone()),
                None => return Output::fail(format!("lsblk: {w}: not a block device\n"), 32),
            }
        }
        tree = picked;
    }
    let rows: Vec<Row> = tree.iter().map(|d| row(d, &columns, bytes, full_paths)).collect();
    Output::ok(if json {
        let lines: Vec<String> = rows.iter().map(|r| render_json(&columns, r, 0)).collect();
        format!("{{\n   \"blockdevices\": [\n{}\n   ]\n}}\n", lines.join(",\n"))
    } else {
        render_table(&columns, &rows)
    })
}

/// One printed line and its children.
struct Row {
    cells: Vec<Option<String>>,
    children: Vec<Row>,
}

/// The cells of `dev` (and its children) for `columns`.
fn row(dev: &Dev, columns: &[String], bytes: bool, full_paths: bool) -> Row {
    let dev_path = |k: &str| if full_paths { format!("/dev/{k}") } else { k.to_string() };
    let cells = columns
        .iter()
        .map(|col| match col.as_str() {
            "NAME" => Some(if full_paths { dev.path.clone() } else { dev.name.clone() }),
            "KNAME" => Some(dev_path(&dev.kname)),
            "PKNAME" => dev.pkname.as_deref().map(dev_path),
            "PATH" => Some(dev.path.clone()),
            "SIZE" => Some(if bytes { dev.size.to_string() } else { human(dev.size) }),
            "SERIAL" => dev.serial.clone(),
            "TYPE" => Some(dev.kind.to_string()),
            "FSTYPE" => dev.fstype.clone(),
            "MOUNTPOINT" => dev.mountpoint.clone(),
            "WWN" => dev.wwn.clone(),
            "MODEL" => dev.model.clone(),
            "LABEL" => dev.label.clone(),
            "UUID" => dev.uuid.clone(),
            _ => Some(dev.majmin.clone()),
        })
        .collect();
    let children = dev
        .children
        .iter()
        .map(|c| row(c, columns, bytes, full_paths))
        .collect();
    Row { cells, children }
}

fn human(size: u64) -> String {
    format!("{}G", size >> 30)
}

/// A line as libsmartcols 2.32 prints JSON trees (`table_print.c`): each
/// level indents by three spaces more, a line with children ends its
/// fields with `,` and opens `"children": [` on a line of its own.
fn render_json(columns: &[String], row: &Row, depth: usize) -> String {
    let pad = |n: usize| " ".repeat(n);
    let fields: Vec<String> = columns
        .iter()
        .zip(&row.cells)
        .map(|(col, value)| {
            let value = value
                .as_ref()
                .map_or_else(|| "null".to_string(), |v| serde_json::json!(v).to_string());
            format!("\"{}\": {value}", col.to_ascii_lowercase())
        })
        .collect();
    let open = format!("{}{{{}", pad(6 + 6 * depth), fields.join(", "));
    if row.children.is_empty() {
        return format!("{open}}}");
    }
    let children: Vec<String> = row
        .children
        .iter()
        .map(|c| render_json(columns, c, depth + 1))
        .collect();
    format!(
        "{open},\n{}\"children\": [\n{}\n{}]\n{}}}",
        pad(9 + 6 * depth),
        children.join(",\n"),
        pad(9 + 6 * depth),
        pad(6 + 6 * depth)
    )
}

/// Flattens the tree for the table: children's names drawn under their
/// parent with the ASCII tree lsblk uses outside a UTF-8 locale.
fn flatten(rows: &[Row], indent: Option<&str>, out: &mut Vec<Vec<Option<String>>>) {
    for (i, row) in rows.iter().enumerate() {
        let last = i + 1 == rows.len();
        let mut cells = row.cells.clone();
        let (branch, below) = match indent {
            None => (String::new(), String::new()),
            Some(indent) => (
                format!("{indent}{}", if last { "`-" } else { "|-" }),
                format!("{indent}{}", if last { "  " } else { "| " }),
            ),
        };
        if let Some(Some(name)) = cells.first_mut() {
            *name = format!("{branch}{name}");
        }
        out.push(cells);
        flatten(&row.children, Some(&below), out);
    }
}

fn render_table(columns: &[String], tree: &[Row]) -> String {
    let mut rows = Vec::new();
    flatten(tree, None, &mut rows);
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
    for row in &rows {
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

    #[test]
    fn multipath_maps_appear_under_each_path_and_partitions_under_the_os_disk() {
        let names: Vec<String> = ["mds1", "oss1", "oss2"].iter().map(|s| s.to_string()).collect();
        let mut state = crate::state::ClusterState::from_layout(&crate::layout::Layout::multipath_for(&names));
        let cols = "NAME,KNAME,PKNAME,SIZE,SERIAL,TYPE,FSTYPE,MOUNTPOINT";
        let out = run(&mut state, "oss1", &format!("lsblk -J -b -p -o {cols}"));
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let devs = v["blockdevices"].as_array().unwrap();
        assert_eq!(devs.len(), 9, "sda and eight SCSI paths");
        assert_eq!(devs[0]["name"], "/dev/sda");
        let parts = devs[0]["children"].as_array().unwrap();
        assert_eq!(parts[1]["mountpoint"], "/");
        assert_eq!(parts[2]["mountpoint"], "[SWAP]");
        assert!(parts[0]["serial"].is_null());
        let (sdb, sdf) = (&devs[1], &devs[5]);
        assert_eq!(
            (sdb["name"].as_str(), sdb["fstype"].as_str()),
            (Some("/dev/sdb"), Some("mpath_member"))
        );
        assert_eq!(sdb["serial"], sdf["serial"]);
        for (path, map) in [(sdb, &sdb["children"][0]), (sdf, &sdf["children"][0])] {
            assert_eq!(map["name"], "/dev/mapper/mpatha");
            assert_eq!(map["kname"], "/dev/dm-0");
            assert_eq!(map["pkname"], path["kname"]);
            assert_eq!(map["type"], "mpath");
            assert!(map["serial"].is_null());
        }
        assert!(
            out.stdout.contains("      {\"name\": \"/dev/sdb\", \"kname\": \"/dev/sdb\", \"pkname\": null, \"size\": \"107374182400\", \"serial\": \"SIMDISK00100\", \"type\": \"disk\", \"fstype\": \"mpath_member\", \"mountpoint\": null,\n         \"children\": [\n            {\"name\": \"/dev/mapper/mpatha\""),
            "{}",
            out.stdout
        );
        let table = run(&mut state, "oss1", "lsblk -o NAME,TYPE").stdout;
        assert!(table.contains("\n|-sda1   part\n"), "{table}");
        assert!(table.contains("\n`-mpatha mpath\n"), "{table}");
    }

    #[test]
    fn a_multipath_maps_links_name_the_map_on_both_servers() {
        let names: Vec<String> = ["mds1", "oss1", "oss2"].iter().map(|s| s.to_string()).collect();
        let mut state = crate::state::ClusterState::from_layout(&crate::layout::Layout::multipath_for(&names));
        let links = run(
            &mut state,
            "oss1",
            "udevadm info --query=symlink --name=/dev/mapper/mpatha",
        )
        .stdout;
        let link: Vec<&str> = links.split_whitespace().collect();
        assert!(
            link[0] == "disk/by-id/dm-name-mpatha" && link[4] == "mapper/mpatha",
            "{links}"
        );
        assert!(link[1].starts_with("disk/by-id/dm-uuid-mpath-36001405"));
        let by_uuid = format!("/dev/{}", link[1]);
        let scsi = format!("/dev/{}", link[2]);
        let here = run(
            &mut state,
            "oss1",
            &format!("readlink -f {by_uuid} {scsi} /dev/mapper/mpatha"),
        )
        .stdout;
        assert_eq!(here, "/dev/dm-0\n/dev/dm-0\n/dev/dm-0\n");
        assert_eq!(
            run(&mut state, "oss2", &format!("readlink -f {by_uuid}")).stdout,
            "/dev/dm-3\n"
        );
        let member = run(&mut state, "oss1", "udevadm info -q symlink -n sdb").stdout;
        assert!(member.contains(link[2]) && member.contains("disk/by-path/"), "{member}");
        assert_eq!(
            run(&mut state, "oss1", "udevadm info -q name -n /dev/mapper/mpatha").stdout,
            "dm-0\n"
        );
    }
}
