//! `hostname`: prints the simulated host's name (also for `-s`); `-f`
//! prints its FQDN, `HOST.cluster` (which differs from the short name, as
//! on real servers).

use super::{Context, Output};

/// Runs `hostname [-s|-f|--short|--fqdn]`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    match args.first().map(String::as_str) {
        None | Some("-s" | "--short") => Output::ok(format!("{}\n", ctx.host)),
        Some("-f" | "--fqdn" | "--long") => Output::ok(format!("{}\n", crate::pacemaker::fqdn(&ctx.host))),
        Some(other) => Output::fail(
            format!("hostname: you must be root to change the host name ({other})\n"),
            1,
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    #[test]
    fn prints_the_host_name() {
        let mut state = cluster();
        assert_eq!(run(&mut state, "oss2", "hostname").stdout, "oss2\n");
        assert_eq!(run(&mut state, "oss2", "hostname -s").code, 0);
        assert_eq!(run(&mut state, "oss2", "hostname -f").stdout, "oss2.cluster\n");
        assert_eq!(run(&mut state, "oss2", "hostname --fqdn").stdout, "oss2.cluster\n");
        assert_eq!(run(&mut state, "oss2", "hostname newname").code, 1);
    }
}
