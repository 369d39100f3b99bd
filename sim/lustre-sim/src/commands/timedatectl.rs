//! `timedatectl show [-p NAME]… [--value]` (systemd 239,
//! `src/timedate/timedatectl.c`): the time settings as `NAME=VALUE` lines,
//! or the values alone with `--value`. Every simulated server keeps UTC
//! with its clock synchronised by NTP. Other verbs are not modelled.

use super::{Context, Output};

/// The properties `show` prints, in its order.
const PROPERTIES: [(&str, &str); 5] = [
    ("Timezone", "UTC"),
    ("LocalRTC", "no"),
    ("CanNTP", "yes"),
    ("NTP", "yes"),
    ("NTPSynchronized", "yes"),
];

/// Runs `timedatectl`.
pub fn run(args: &[String], _ctx: &mut Context<'_>) -> Output {
    let mut verb = None;
    let mut wanted: Vec<String> = Vec::new();
    let mut value_only = false;
    let mut words = args.iter();
    while let Some(arg) = words.next() {
        match arg.as_str() {
            "-p" | "--property" => wanted.extend(words.next().cloned()),
            "--value" => value_only = true,
            other if other.starts_with("--property=") => wanted.push(other["--property=".len()..].to_owned()),
            other if other.starts_with('-') => {
                return Output::fail(format!("timedatectl: unrecognized option '{other}'\n"), 1);
            }
            other => verb = verb.or(Some(other.to_owned())),
        }
    }
    if verb.as_deref() != Some("show") {
        return Output::fail("lustre-sim: only `timedatectl show` is modelled\n", 1);
    }
    let mut out = String::new();
    for (name, value) in PROPERTIES {
        if wanted.is_empty() || wanted.iter().any(|w| w == name) {
            if value_only {
                out.push_str(&format!("{value}\n"));
            } else {
                out.push_str(&format!("{name}={value}\n"));
            }
        }
    }
    Output::ok(out)
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    #[test]
    fn shows_the_ntp_synchronisation() {
        let mut state = cluster();
        let out = run(&mut state, "mds1", "timedatectl show -p NTPSynchronized --value");
        assert_eq!((out.code, out.stdout.as_str()), (0, "yes\n"));
        let out = run(&mut state, "mds1", "timedatectl show --property=NTP");
        assert_eq!(out.stdout, "NTP=yes\n");
    }
}
