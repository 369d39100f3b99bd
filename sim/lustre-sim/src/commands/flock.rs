//! `flock`: runs a command holding a lock on a file, as util-linux's
//! `flock [-w SECS | --timeout SECS] [-n] [-x] FILE CMD ARGS…` does.
//!
//! The simulator runs each command atomically under the cluster lock, so no
//! other command can hold the file's lock meanwhile: there is nothing to
//! wait for, and the command simply runs as if called directly. Its exit
//! status is the command's; bad usage exits 64 (`EX_USAGE`).

use super::{dispatch, Context, Output};

/// flock's exit status for bad usage.
const EX_USAGE: u32 = 64;

/// Runs `flock OPTIONS FILE CMD ARGS…`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    match command(args) {
        Ok(argv) => dispatch(argv, ctx),
        Err(why) => usage(&why),
    }
}

/// The command `flock` runs, after its options and the lock file: what
/// fault injection and logging should call the command line by.
pub fn command(args: &[String]) -> Result<&[String], String> {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        match arg.as_str() {
            "-w" | "--timeout" | "--wait" => {
                let value = args
                    .get(i + 1)
                    .ok_or_else(|| format!("option '{arg}' requires an argument"))?;
                check_timeout(value)?;
                i += 2;
            }
            "-n" | "--nonblock" | "--nb" | "-x" | "-e" | "--exclusive" => i += 1,
            a if a.starts_with("--timeout=") || a.starts_with("--wait=") => {
                check_timeout(a.split_once('=').map_or("", |(_, v)| v))?;
                i += 1;
            }
            "--" => {
                i += 1;
                break;
            }
            a if a.starts_with('-') && a.len() > 1 => return Err(format!("unrecognized option '{a}'")),
            _ => break,
        }
    }
    match args.get(i + 1..) {
        Some(argv) if !argv.is_empty() => Ok(argv),
        _ => Err("not enough arguments".to_string()),
    }
}

fn check_timeout(value: &str) -> Result<(), String> {
    match value.parse::<f64>() {
        Ok(secs) if secs >= 0.0 => Ok(()),
        _ => Err(format!("invalid timeout value: '{value}'")),
    }
}

fn usage(why: &str) -> Output {
    Output::fail(
        format!(
            "flock: {why}\nUsage:\n flock [options] <file>|<directory> <command> [<argument>...]\n\
             Try 'flock --help' for more information.\n"
        ),
        EX_USAGE,
    )
}

#[cfg(test)]
mod tests {
    use super::command;
    use crate::commands::test_support::{cluster, run};

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn runs_the_command_as_if_called_directly() {
        let mut state = cluster();
        let mkfs = "mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdb";
        let out = run(&mut state, "oss1", &format!("flock --timeout 3600 /dev/sdb {mkfs}"));
        assert_eq!(out.code, 0, "{out:?}");
        assert_eq!(state.devices.values().map(|d| d.format_count).sum::<u64>(), 1);
        let again = run(&mut state, "oss1", &format!("flock -w 5 -x /dev/sdb {mkfs}"));
        assert_eq!(again.code, 17, "the command's own status: {again:?}");
        let blkid = run(
            &mut state,
            "oss1",
            "flock --timeout=1 -n /dev/sdb blkid -p -o export /dev/sdb",
        );
        assert_eq!(blkid.code, 0);
        assert!(blkid.stdout.contains("LABEL=fs1:OST0000\n"), "{}", blkid.stdout);
        let empty = run(
            &mut state,
            "oss1",
            "flock --nonblock /dev/sdc blkid -p -o export /dev/sdc",
        );
        assert_eq!((empty.code, empty.stdout.as_str()), (2, ""));
    }

    #[test]
    fn bad_usage_exits_64() {
        let mut state = cluster();
        for line in [
            "flock",
            "flock /dev/sdb",
            "flock --timeout",
            "flock -w soon /dev/sdb true",
            "flock --timeout=-1 /dev/sdb true",
            "flock --frobnicate /dev/sdb true",
        ] {
            let out = run(&mut state, "oss1", line);
            assert_eq!(out.code, 64, "{line}: {out:?}");
            assert!(out.stderr.starts_with("flock: "), "{line}: {}", out.stderr);
        }
        assert_eq!(run(&mut state, "oss1", "flock /dev/sdb nosuch").code, 127);
    }

    #[test]
    fn names_the_command_it_runs() {
        let args = words("--timeout 3600 /dev/sdb mkfs.lustre --mgs /dev/sdb");
        assert_eq!(command(&args).map(|a| a[0].as_str()), Ok("mkfs.lustre"));
        let args = words("-- /dev/sdb -x");
        assert_eq!(command(&args).map(|a| a.to_vec()), Ok(words("-x")));
    }
}
