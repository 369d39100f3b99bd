//! GNU coreutils' `df [-B SIZE] --output=avail [FILE…]` (coreutils 8.30,
//! `src/df.c`): the header `Avail` right-aligned over the space available
//! to unprivileged users on each file's file system, in blocks of SIZE
//! (1024 by default), rounded up. Every simulated server has one root
//! file system holding every path; only the `avail` column is modelled.

use super::{Context, Output};

/// Bytes free for users on a simulated server's root file system.
pub const ROOT_AVAIL: u64 = 44_023_414_784;

/// Runs `df`.
pub fn run(args: &[String], _ctx: &mut Context<'_>) -> Output {
    let mut block = 1024u64;
    let mut output = None;
    let mut files = Vec::new();
    let mut words = args.iter();
    while let Some(arg) = words.next() {
        let (key, inline) = super::split_long(arg);
        let size = match key {
            "-B" | "--block-size" => Some(inline.map(str::to_owned).or_else(|| words.next().cloned())),
            _ if key.starts_with("-B") => Some(Some(key[2..].to_owned())),
            _ => None,
        };
        if let Some(size) = size {
            match size.as_deref().map(str::parse::<u64>) {
                Some(Ok(n)) if n > 0 => block = n,
                _ => {
                    let shown = size.unwrap_or_default();
                    return Output::fail(format!("df: invalid --block-size argument '{shown}'\n"), 1);
                }
            }
            continue;
        }
        match key {
            "--output" => output = inline.map(str::to_owned),
            other if other.starts_with('-') => {
                return Output::fail(format!("lustre-sim: df option {other} is not modelled\n"), 1);
            }
            file => files.push(file.to_owned()),
        }
    }
    if output.as_deref() != Some("avail") {
        return Output::fail("lustre-sim: only `df --output=avail` is modelled\n", 1);
    }
    if files.is_empty() {
        files.push("/".into());
    }
    let value = ROOT_AVAIL.div_ceil(block).to_string();
    let width = value.len().max("Avail".len());
    let mut out = format!("{:>width$}\n", "Avail");
    for _ in &files {
        out.push_str(&format!("{value:>width$}\n"));
    }
    Output::ok(out)
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    #[test]
    fn prints_the_available_space_under_its_header() {
        let mut state = cluster();
        let out = run(&mut state, "mds1", "df -B1 --output=avail /var/log");
        assert_eq!((out.code, out.stdout.as_str()), (0, "      Avail\n44023414784\n"));
        let out = run(&mut state, "mds1", "df --output=avail /var/log");
        assert_eq!(out.stdout, "   Avail\n42991616\n");
        assert_eq!(run(&mut state, "mds1", "df -h /").code, 1);
    }
}
