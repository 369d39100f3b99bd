//! The README's configuration table agrees with the settings' clap
//! definition: every variable has a row, every row names a variable, and
//! a row's default is clap's.

use std::collections::BTreeMap;

use clap::CommandFactory as _;
use setup::args::SettingsOnly;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Each variable of the definition and its default, if it has a plain one.
fn definition() -> BTreeMap<String, Option<String>> {
    SettingsOnly::command()
        .get_arguments()
        .filter_map(|arg| {
            let env = arg.get_env()?.to_string_lossy().into_owned();
            let default = arg
                .get_default_values()
                .first()
                .map(|d| d.to_string_lossy().into_owned());
            Some((env, default))
        })
        .collect()
}

/// Each variable the README's "Configuration" table names, with the
/// table's default column of its row.
fn readme_rows() -> Result<BTreeMap<String, String>, Box<dyn std::error::Error>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    let text = std::fs::read_to_string(path)?;
    let section = text
        .split("\n## Configuration\n")
        .nth(1)
        .ok_or("README.md has no \"## Configuration\" section")?;
    let section = section.split("\n## ").next().unwrap_or_default();
    let mut rows = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        let [names, default, ..] = cells[..] else {
            return Err(format!("README row without a default column: {line}").into());
        };
        for name in names.split('`').skip(1).step_by(2) {
            rows.insert(name.to_owned(), default.trim().to_owned());
        }
    }
    Ok(rows)
}

#[test]
fn every_setting_has_a_readme_row_with_its_default() -> TestResult {
    let rows = readme_rows()?;
    for (variable, default) in definition() {
        let row = rows
            .get(&variable)
            .ok_or_else(|| format!("README's configuration table has no row for {variable}"))?;
        if let Some(default) = default {
            assert_eq!(
                row,
                &format!("`{default}`"),
                "README's default for {variable} differs from --help's"
            );
        }
    }
    Ok(())
}

#[test]
fn every_readme_row_names_a_setting() -> TestResult {
    let known = definition();
    let rows = readme_rows()?;
    assert!(!rows.is_empty(), "README.md's configuration table was not found");
    for variable in rows.keys() {
        assert!(
            known.contains_key(variable),
            "README's configuration table lists {variable}, which no binary reads"
        );
    }
    Ok(())
}
