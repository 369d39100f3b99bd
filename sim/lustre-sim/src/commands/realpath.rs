//! `realpath -e [--] PATH…`, as GNU coreutils prints it: each path made
//! absolute and canonical, one a line; with `-e` every component must
//! exist, else `realpath: PATH: No such file or directory` on stderr and
//! exit status 1 (the other paths are still printed). The simulated
//! namespaces have no symbolic links, so canonical is `.`, `..` and
//! repeated `/` resolved (lexically: a missing directory before a `..`
//! is not noticed, as the real one would); a path exists when it is a
//! local directory or an entry of a client mount's file system (see
//! [`crate::namespace`]).

use super::{Context, Output};
use crate::namespace::normalize;

/// Runs `realpath -e …`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let mut existing = false;
    let mut paths = Vec::new();
    let mut options_done = false;
    for a in args {
        match a.as_str() {
            "--" if !options_done => options_done = true,
            "-e" | "--canonicalize-existing" if !options_done => existing = true,
            other if other.starts_with('-') && other != "-" && !options_done => {
                return Output::fail(format!("lustre-sim: realpath supports -e only, not {other}\n"), 1)
            }
            path => paths.push(path.to_owned()),
        }
    }
    if !existing {
        return Output::fail("lustre-sim: realpath supports -e only\n", 1);
    }
    if paths.is_empty() {
        return Output::fail(
            "realpath: missing operand\nTry 'realpath --help' for more information.\n",
            1,
        );
    }
    let mut out = Output::ok("");
    for path in paths {
        let absolute = if path.starts_with('/') {
            path.clone()
        } else {
            format!("/root/{path}")
        };
        match normalize(&absolute).filter(|p| exists(ctx, p)) {
            Some(p) => out.stdout.push_str(&format!("{p}\n")),
            None => {
                out.stderr
                    .push_str(&format!("realpath: {path}: No such file or directory\n"));
                out.code = 1;
            }
        }
    }
    out
}

/// Does the normalized `path` exist on the host?
fn exists(ctx: &Context<'_>, path: &str) -> bool {
    let state = &*ctx.state;
    if state.local_dir_exists(&ctx.host, path) {
        return true;
    }
    state.resolve_client_path(&ctx.host, path).is_some_and(|c| {
        state
            .clients
            .namespaces
            .get(&c.fsname)
            .is_some_and(|ns| ns.entries.contains_key(&c.path))
    })
}

#[cfg(test)]
mod tests {
    use crate::commands::mount_client::client_tests::running_fs;
    use crate::commands::test_support::run;

    #[test]
    fn an_existing_path_is_made_canonical_a_missing_one_is_refused() {
        let mut state = running_fs();
        for line in [
            "mount -t lustre 10.0.0.1@tcp:/fs1 /mnt/fs1",
            "mkdir /mnt/fs1/d",
            "truncate -s 1M /mnt/fs1/d/f",
        ] {
            assert_eq!(run(&mut state, "oss2", line).code, 0, "{line}");
        }
        let out = run(&mut state, "oss2", "realpath -e -- /mnt/fs1//d/./../d/f");
        assert_eq!((out.code, out.stdout.as_str()), (0, "/mnt/fs1/d/f\n"));
        let out = run(&mut state, "oss2", "realpath -e -- /mnt/fs1/d/g");
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (1, "", "realpath: /mnt/fs1/d/g: No such file or directory\n")
        );
        assert_eq!(run(&mut state, "oss2", "realpath -e /srv").stdout, "/srv\n");
    }
}
