//! `zfs get` and `zfs list`: a pool's datasets where it is imported, and a
//! Lustre dataset's `lustre:` properties (as `zfs_write_ldd` in Lustre
//! 2.15's `libmount_utils_zfs.c` stores the target's disk data).

use super::{Context, Output};

/// Runs `zfs get -H -o value PROPERTY DATASET` or `zfs list -H -o name [DATASET]`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let words: Vec<&String> = {
        let mut words = Vec::new();
        let mut iter = args.iter().skip(1);
        while let Some(arg) = iter.next() {
            match arg.as_str() {
                "-o" | "-t" | "-s" | "-d" => {
                    iter.next();
                }
                a if a.starts_with('-') => {}
                _ => words.push(arg),
            }
        }
        words
    };
    match args.first().map(String::as_str) {
        Some("get") => match words.as_slice() {
            [property, dataset] => get(property, dataset, ctx),
            _ => Output::fail("missing property or dataset argument\n", 2),
        },
        Some("list") => list(words.first().map(|s| s.as_str()), ctx),
        Some(other) => Output::fail(format!("unrecognized command '{other}'\n"), 2),
        None => Output::fail("usage: zfs command args ...\n", 2),
    }
}

/// The datasets of pools imported here.
fn datasets(ctx: &Context<'_>) -> Vec<String> {
    ctx.state
        .zpools
        .iter()
        .filter(|p| !p.destroyed && p.imported_on.as_deref() == Some(&ctx.host))
        .flat_map(|p| std::iter::once(p.name.clone()).chain(p.datasets.iter().cloned()))
        .collect()
}

fn missing(dataset: &str) -> Output {
    Output::fail(format!("cannot open '{dataset}': dataset does not exist\n"), 1)
}

fn get(property: &str, dataset: &str, ctx: &Context<'_>) -> Output {
    if !datasets(ctx).iter().any(|d| d == dataset) {
        return missing(dataset);
    }
    let target = ctx
        .state
        .resolve_dataset(&ctx.host, dataset)
        .and_then(|serial| ctx.state.devices.get(&serial))
        .and_then(|d| d.target.clone());
    let value = match (property, &target) {
        ("lustre:svname", Some(t)) => t.label(),
        ("lustre:fsname", Some(t)) => t.fsname.clone(),
        ("lustre:index", Some(t)) => t.index.map(|i| i.to_string()).unwrap_or_else(|| "-".into()),
        ("lustre:flags", Some(t)) => t.flags().to_string(),
        ("name", _) => dataset.to_string(),
        ("canmount", _) => "off".to_string(),
        _ => "-".to_string(),
    };
    Output::ok(format!("{value}\n"))
}

fn list(dataset: Option<&str>, ctx: &Context<'_>) -> Output {
    let all = datasets(ctx);
    match dataset {
        Some(d) if !all.iter().any(|x| x == d) => missing(d),
        Some(d) => Output::ok(format!("{d}\n")),
        None if all.is_empty() => Output::ok("no datasets available\n"),
        None => Output::ok(all.iter().map(|d| format!("{d}\n")).collect::<String>()),
    }
}
