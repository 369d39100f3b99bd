//! `mv [-f] SOURCE DEST`: renames a file written on the host (`install …
//! /dev/stdin PATH`) over another, as `rename(2)` does: whoever reads
//! DEST sees the old file or the new one, never part of either (how
//! Chroma replaces `/etc/fstab`).

use super::{Context, Output};

/// Runs `mv [-f] SOURCE DEST`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let paths: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if let Some(bad) = args
        .iter()
        .find(|a| a.starts_with('-') && !["-f", "--force"].contains(&a.as_str()))
    {
        return Output::fail(
            format!("mv: unrecognized option '{bad}'\nTry 'mv --help' for more information.\n"),
            1,
        );
    }
    let [source, dest] = paths.as_slice() else {
        return Output::fail("lustre-sim: mv renames one file: mv [-f] SOURCE DEST\n", 1);
    };
    let files = ctx.state.files.entry(ctx.host.clone()).or_default();
    let Some(file) = files.remove(source.as_str()) else {
        return Output::fail(format!("mv: cannot stat '{source}': No such file or directory\n"), 1);
    };
    files.insert(dest.to_string(), file);
    Output::ok("")
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};
    use crate::state::File;

    #[test]
    fn renames_a_written_file_over_another() {
        let mut state = cluster();
        let files = state.files.entry("oss1".into()).or_default();
        files.insert(
            "/etc/.fstab.new".into(),
            File {
                content: "new\n".into(),
                mode: "0644".into(),
            },
        );
        assert_eq!(run(&mut state, "oss1", "mv -f /etc/.fstab.new /etc/fstab").code, 0);
        assert_eq!(run(&mut state, "oss1", "cat /etc/fstab").stdout, "new\n");
        assert_eq!(run(&mut state, "oss1", "cat /etc/.fstab.new").code, 1);
        let missing = run(&mut state, "oss1", "mv -f /etc/.fstab.new /etc/fstab");
        assert_eq!(
            (missing.code, missing.stderr.as_str()),
            (1, "mv: cannot stat '/etc/.fstab.new': No such file or directory\n")
        );
    }
}
