//! bash's `command` builtin: `command -v NAME…` prints where each command
//! is found (its path, or its name for a builtin), nothing for one that is
//! not, and exits 1 only when none is found (as bash 5.2 does, run here);
//! `command CMD ARGS…` runs the command, bypassing shell functions.

use super::{installed, Context, Output};

/// Runs `command [-v|-V] NAME…` or `command CMD ARGS…`.
pub fn run(args: &[String], ctx: &mut Context<'_>, stdin: Option<&str>) -> Output {
    match args.first().map(String::as_str) {
        Some("-v") => describe(&args[1..], ctx),
        Some("-V") => Output::fail("lustre-sim: `command -V` is not modelled; use `command -v`\n", 2),
        Some(_) => super::dispatch_with_stdin(args, ctx, stdin),
        None => Output::ok(""),
    }
}

fn describe(names: &[String], ctx: &Context<'_>) -> Output {
    let mut out = Output::fail("", 1);
    for path in names.iter().filter_map(|name| installed::path(name, ctx)) {
        out.stdout.push_str(&format!("{path}\n"));
        out.code = 0;
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    #[test]
    fn finds_installed_commands_and_not_missing_ones() {
        let mut state = cluster();
        let out = run(&mut state, "mds1", "command -v mkfs.lustre");
        assert_eq!((out.code, out.stdout.as_str()), (0, "/usr/sbin/mkfs.lustre\n"));
        let out = run(&mut state, "mds1", "command -v frobnicate df echo");
        assert_eq!((out.code, out.stdout.as_str()), (0, "/usr/bin/df\necho\n"));
        assert!(out.stderr.is_empty());
        if let Some(h) = state.host_mut("mds1") {
            h.no_lustre = true;
        }
        let out = run(&mut state, "mds1", "command -v mkfs.lustre");
        assert_eq!((out.code, out.stdout.as_str()), (1, ""));
        assert_eq!(run(&mut state, "mds1", "command hostname").stdout, "mds1\n");
    }
}
