//! Data copies (`lfs mirror extend|resync`, `lfs migrate`) take as long as
//! the data does, and a copy whose SSH channel closes (a timeout, a worker
//! that died) runs on as root on the client. A redelivered step first
//! waits here for an earlier attempt's copy of the same file to end, found
//! with `pgrep -a -f`, so it never starts a second one beside it.

use std::time::{Duration, Instant};

use super::servers::Server;
use crate::error::ActionError;
use crate::shared::Shared;

/// Longest one data copy may take (one `lfs mirror` on a file, or one
/// batch of `lfs migrate`).
pub const COPY_TIMEOUT: Duration = Duration::from_secs(6 * 3600);
/// How often a waiting step looks again.
const POLL: Duration = Duration::from_secs(2);

/// What a running copy is sought by.
#[derive(Debug, Clone, Copy)]
pub enum Sought<'a> {
    /// An `lfs mirror …` or `lfs migrate …` naming this file.
    File(&'a str),
    /// An `lfs migrate …` naming this path or anything under it.
    MigrateUnder(&'a str),
}

/// The first `pgrep -a -f` line (`PID ARGS…`, arguments joined by spaces)
/// that is an `lfs mirror` or `lfs migrate` copy `sought` names.
pub fn running_copy<'a>(pgrep: &'a str, sought: Sought<'_>) -> Option<&'a str> {
    pgrep.lines().find(|line| {
        let Some((_, args)) = line.split_once(' ') else {
            return false;
        };
        let Some((program, rest)) = args.split_once(' ') else {
            return false;
        };
        if program.rsplit('/').next() != Some("lfs") {
            return false;
        }
        let names = |path: &str| rest.ends_with(&format!(" {path}")) || rest.contains(&format!(" {path} "));
        match sought {
            Sought::File(file) => (rest.starts_with("mirror ") || rest.starts_with("migrate ")) && names(file),
            Sought::MigrateUnder(dir) => {
                rest.starts_with("migrate ")
                    && (names(dir) || rest.contains(&format!(" {}/", dir.trim_end_matches('/'))))
            }
        }
    })
}

/// Waits (up to [`COPY_TIMEOUT`]) until no copy `sought` names runs on
/// `host`; says what it waited for, if anything.
pub async fn wait_for_earlier(
    shared: &Shared,
    host: &Server,
    sought: Sought<'_>,
) -> Result<Option<String>, ActionError> {
    let argv = ["pgrep", "-a", "-f", "lfs"];
    let started = Instant::now();
    let mut waited = None;
    loop {
        let out = host.exec(shared, &argv).await?;
        // 1: nothing matched; anything else but 0 is pgrep failing.
        if out.exit_status == Some(1) {
            return Ok(waited);
        }
        if !out.success() {
            return Err(host.failed(&argv, &out));
        }
        let Some(line) = running_copy(&out.stdout, sought) else {
            return Ok(waited);
        };
        if started.elapsed() > COPY_TIMEOUT {
            return Err(ActionError::Command(format!(
                "{}: an earlier copy is still running after {} s: {line}",
                host.name,
                COPY_TIMEOUT.as_secs()
            )));
        }
        tracing::info!(host = %host.name, running = line, "waiting for an earlier data copy to end");
        waited = Some(line.to_owned());
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::{running_copy, Sought};

    #[test]
    fn a_running_copy_of_the_file_is_found() {
        let pgrep = "812 lhsmtool_posix --daemon --hsm-root /arch /mnt/lfs\n\
                     901 lfs mirror extend -N -p disk /mnt/fs1/a b\n\
                     902 /usr/bin/lfs migrate -o 1,2 /mnt/fs1/d/x /mnt/fs1/d/y\n";
        assert_eq!(
            running_copy(pgrep, Sought::File("/mnt/fs1/a b")),
            Some("901 lfs mirror extend -N -p disk /mnt/fs1/a b")
        );
        assert_eq!(running_copy(pgrep, Sought::File("/mnt/fs1/b")), None);
        // `pgrep -a` joins arguments with spaces, so `/mnt/fs1/a` looks
        // named too: the step then only waits longer than it needs.
        assert!(running_copy(pgrep, Sought::File("/mnt/fs1/a")).is_some());
        assert!(running_copy(pgrep, Sought::File("/mnt/fs1/d/x")).is_some());
        assert!(running_copy(pgrep, Sought::MigrateUnder("/mnt/fs1/d")).is_some());
        assert_eq!(running_copy(pgrep, Sought::MigrateUnder("/mnt/fs1/dd")), None);
        assert_eq!(running_copy(pgrep, Sought::File("/mnt/lfs")), None);
    }
}
