//! `cat FILE…`: the `/proc` files a monitor reads, `/proc/stat`
//! ([`super::proc_stat`]) and `/proc/meminfo` ([`super::meminfo`]), and
//! the files written on the host (`install … /dev/stdin PATH`); any other
//! file does not exist. Like coreutils, a missing file is reported
//! and the others are still printed.

use super::{meminfo, proc_stat, Context, Output};
use crate::state::now_secs;

/// Runs `cat FILE…`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let now = now_secs();
    let mut out = Output::ok("");
    for file in args.iter().filter(|a| !a.starts_with('-')) {
        match file.as_str() {
            "/proc/stat" => out.stdout.push_str(&proc_stat::render(ctx.state, &ctx.host, now)),
            "/proc/meminfo" => out.stdout.push_str(&meminfo::render(ctx.state, &ctx.host, now)),
            "/proc/mounts" | "/etc/mtab" | "/proc/self/mounts" => {
                out.stdout.push_str(&super::mount_client::proc_mounts(ctx))
            }
            "/etc/fstab"
                if ctx
                    .state
                    .files
                    .get(&ctx.host)
                    .is_none_or(|f| !f.contains_key("/etc/fstab")) =>
            {
                out.stdout.push_str(super::mount_client::DEFAULT_FSTAB)
            }
            other if ctx.state.files.get(&ctx.host).is_some_and(|f| f.contains_key(other)) => {
                if let Some(file) = ctx.state.files.get(&ctx.host).and_then(|f| f.get(other)) {
                    out.stdout.push_str(&file.content);
                }
            }
            other => {
                out.stderr
                    .push_str(&format!("cat: {other}: No such file or directory\n"));
                out.code = 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    #[test]
    fn prints_proc_files_and_reports_missing_ones() {
        let mut state = cluster();
        let out = run(&mut state, "oss1", "cat /proc/stat /etc/shadow /proc/meminfo");
        assert_eq!(out.code, 1);
        assert_eq!(out.stderr, "cat: /etc/shadow: No such file or directory\n");
        assert!(out.stdout.starts_with("cpu  "), "{}", out.stdout);
        assert!(out.stdout.contains("\nsoftirq ") && out.stdout.contains("\nMemTotal: "));
        assert_eq!(run(&mut state, "oss1", "cat /proc/meminfo").code, 0);
    }
}
