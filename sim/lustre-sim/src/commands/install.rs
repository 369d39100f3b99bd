//! `install [-D] [-m MODE] /dev/stdin PATH`: writes what the exec channel
//! sent on stdin to a file of the host (how Chroma writes
//! `/etc/corosync/corosync.conf` and `authkey`). `cat PATH` prints it.

use super::{Context, Output};
use crate::state::File;

/// Runs `install` with `stdin` (the channel's data, if it read any).
pub fn run(args: &[String], ctx: &mut Context<'_>, stdin: Option<&str>) -> Output {
    let mut mode = "0755".to_string();
    let mut parents = false;
    let mut paths = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "-D" => parents = true,
            "-m" | "--mode" => mode = iter.next().cloned().unwrap_or_default(),
            a if a.starts_with("--mode=") => mode = a["--mode=".len()..].to_string(),
            a if a.starts_with("-m") && a.len() > 2 => mode = a[2..].to_string(),
            "-v" | "-C" | "--compare" => {}
            a if a.starts_with('-') && a != "-" => {
                return Output::fail(
                    format!("install: unrecognized option '{a}'\nTry 'install --help' for more information.\n"),
                    1,
                )
            }
            a => paths.push(a.to_string()),
        }
    }
    if mode.is_empty() || mode.len() > 4 || !mode.chars().all(|c| ('0'..='7').contains(&c)) {
        return Output::fail(format!("install: invalid mode '{mode}'\n"), 1);
    }
    let [source, dest] = paths.as_slice() else {
        return Output::fail(
            "lustre-sim: install copies /dev/stdin to one file: install [-D] -m MODE /dev/stdin PATH\n",
            1,
        );
    };
    if source != "/dev/stdin" {
        return Output::fail(
            format!("install: cannot stat '{source}': No such file or directory\n"),
            1,
        );
    }
    let files = ctx.state.files.entry(ctx.host.clone()).or_default();
    let parent = dest.rsplit_once('/').map_or("", |(p, _)| p);
    let parent_exists = parent.is_empty()
        || ["/etc", "/tmp", "/root", "/var", "/usr", "/etc/sysconfig"].contains(&parent)
        || files.keys().any(|k| k.starts_with(&format!("{parent}/")));
    if !parents && !parent_exists {
        return Output::fail(
            format!("install: cannot create regular file '{dest}': No such file or directory\n"),
            1,
        );
    }
    files.insert(
        dest.clone(),
        File {
            content: stdin.unwrap_or("").to_string(),
            mode: format!("{mode:0>4}"),
        },
    );
    Output::ok("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::{cluster, run as run_line};
    use crate::faults::Faults;

    #[test]
    fn writes_stdin_to_a_file_that_cat_prints() {
        let mut state = cluster();
        let argv: Vec<String> = ["-D", "-m", "0644", "/dev/stdin", "/etc/corosync/corosync.conf"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut ctx = Context {
            host: "oss1".into(),
            state: &mut state,
            faults: Faults::default(),
        };
        assert_eq!(run(&argv, &mut ctx, Some("totem {\n}\n")).code, 0);
        assert_eq!(
            run_line(&mut state, "oss1", "cat /etc/corosync/corosync.conf").stdout,
            "totem {\n}\n"
        );
        assert_eq!(run_line(&mut state, "oss2", "cat /etc/corosync/corosync.conf").code, 1);
    }
}
