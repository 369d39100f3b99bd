//! Printing for people (tables without borders, like `kubectl`) and for
//! programs (`--json`: the server's `response`, untouched).

use chrono::{DateTime, Utc};
use comfy_table::{presets, CellAlignment, ContentArrangement, Table};
use serde_json::Value;

/// Prints `value` as pretty JSON on stdout.
pub fn json(value: &Value) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        // A `Value` always serialises; print something rather than nothing.
        Err(_) => println!("{value}"),
    }
}

/// A table with `headers`, ready for rows.
pub fn table<const N: usize>(headers: [&str; N]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(headers);
    table
}

/// A two-column table of a single object's fields.
pub fn details(rows: Vec<(&str, String)>) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    for (name, value) in rows {
        table.add_row(vec![format!("{name}:"), value]);
    }
    table
}

/// Renders a table with two spaces between columns and none at the edges.
pub fn render(mut table: Table) -> String {
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
        column.set_cell_alignment(CellAlignment::Left);
    }
    table
        .lines()
        .map(|line| line.trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Prints a table on stdout.
pub fn print(table: Table) {
    println!("{}", render(table));
}

/// `-` for nothing.
pub fn or_dash(value: Option<&str>) -> String {
    match value {
        Some(v) if !v.is_empty() => v.to_owned(),
        _ => "-".to_owned(),
    }
}

/// A list, comma-separated, or `-`.
pub fn list(values: &[String]) -> String {
    if values.is_empty() {
        "-".to_owned()
    } else {
        values.join(", ")
    }
}

/// `2026-11-26T10:00:00.123Z` as `2026-11-26 10:00:00`; `-` for none.
pub fn time(value: Option<DateTime<Utc>>) -> String {
    match value {
        Some(at) => at.format("%Y-%m-%d %H:%M:%S").to_string(),
        None => "-".to_owned(),
    }
}

/// A size in bytes as `1.5 TiB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_have_headers_and_no_borders() {
        let mut t = table(["ID", "NAME", "STATE"]);
        t.add_row(vec!["1", "fs1", "available"]);
        t.add_row(vec!["22", "scratch", "-"]);
        assert_eq!(render(t), "ID  NAME     STATE\n1   fs1      available\n22  scratch  -");
    }

    #[test]
    fn details_label_each_field() {
        let t = details(vec![("Name", "fs1".into()), ("State", "stopped".into())]);
        assert_eq!(render(t), "Name:   fs1\nState:  stopped");
    }

    #[test]
    fn sizes_and_times_read_well() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(4 * 1024u64.pow(4)), "4.0 TiB");
        let at = DateTime::parse_from_rfc3339("2026-11-26T10:00:00.123456Z").map(|t| t.to_utc());
        assert_eq!(time(at.ok()), "2026-11-26 10:00:00");
        assert_eq!(time(None), "-");
        assert_eq!(or_dash(Some("")), "-");
        assert_eq!(list(&["a".into(), "b".into()]), "a, b");
    }
}
