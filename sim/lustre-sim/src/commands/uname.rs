//! `uname`: a RHEL 8 kernel patched for Lustre.

use super::{Context, Output, KERNEL_RELEASE};

/// Runs `uname [-r|-n|-s|-m|-a]`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let mut parts = Vec::new();
    let words: Vec<&str> = if args.is_empty() {
        vec!["-s"]
    } else {
        args.iter().map(String::as_str).collect()
    };
    for word in words {
        match word {
            "-s" | "--kernel-name" => parts.push("Linux".to_string()),
            "-n" | "--nodename" => parts.push(ctx.host.clone()),
            "-r" | "--kernel-release" => parts.push(KERNEL_RELEASE.to_string()),
            "-m" | "--machine" | "-p" | "-i" => parts.push("x86_64".to_string()),
            "-o" | "--operating-system" => parts.push("GNU/Linux".to_string()),
            "-a" | "--all" => parts.push(format!(
                "Linux {} {KERNEL_RELEASE} #1 SMP Tue Oct 3 14:44:11 UTC 2023 x86_64 x86_64 x86_64 GNU/Linux",
                ctx.host
            )),
            other => {
                return Output::fail(
                    format!(
                        "uname: invalid option -- '{}'\nTry 'uname --help' for more information.\n",
                        other.trim_start_matches('-')
                    ),
                    1,
                )
            }
        }
    }
    Output::ok(format!("{}\n", parts.join(" ")))
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    #[test]
    fn prints_the_lustre_kernel() {
        let mut state = cluster();
        assert_eq!(
            run(&mut state, "mds1", "uname -r").stdout,
            "4.18.0-477.27.1.el8_lustre.x86_64\n"
        );
        assert_eq!(run(&mut state, "mds1", "uname").stdout, "Linux\n");
        assert_eq!(run(&mut state, "mds1", "uname -n").stdout, "mds1\n");
        assert_eq!(run(&mut state, "mds1", "uname -x").code, 1);
    }
}
