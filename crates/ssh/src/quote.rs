//! Building remote command lines from argv.
//!
//! SSH carries a single string to the server, which hands it to the user's
//! login shell (`$SHELL -c`). Every argument is therefore quoted for a POSIX
//! shell, so no value (a device path, a label, a user-supplied name) can
//! expand, split, glob or chain commands on the remote side. The remote
//! program receives exactly the argv given here.

use crate::SshError;

/// Join `argv` into one command line in which every argument is quoted for a
/// POSIX shell (`sh`, `bash`, `dash`).
///
/// Refuses an empty argv, an empty program name and any argument holding a
/// NUL byte (which no exec'd program can receive).
pub fn command_line<S: AsRef<str>>(argv: &[S]) -> Result<String, SshError> {
    let Some(program) = argv.first() else {
        return Err(SshError::InvalidCommand { reason: "empty argv" });
    };
    if program.as_ref().is_empty() {
        return Err(SshError::InvalidCommand {
            reason: "empty program name",
        });
    }
    if argv.iter().any(|arg| arg.as_ref().contains('\0')) {
        return Err(SshError::InvalidCommand {
            reason: "argument contains a NUL byte",
        });
    }
    Ok(shell_words::join(argv.iter().map(AsRef::as_ref)))
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;

    const HOSTILE: &[&str] = &[
        "$(rm -rf /)",
        "`rm -rf /`",
        "${HOME}",
        "$HOME",
        "it's",
        "\"double\"",
        "a b  c",
        "line1\nline2",
        "tab\there",
        "",
        "*",
        "/dev/sd?",
        "[a-z]*",
        "~root",
        "; rm -rf /",
        "&& reboot",
        "| cat /etc/shadow",
        "> /etc/passwd",
        "\\",
        "#comment",
        "-rf",
        "ünïcødé",
        "!history",
        "'",
        "''",
    ];

    #[test]
    fn plain_words_stay_readable() {
        assert_eq!(
            command_line(&["mkfs.lustre", "--ost", "/dev/sdb"]).unwrap(),
            "mkfs.lustre --ost /dev/sdb"
        );
    }

    #[test]
    fn hostile_arguments_round_trip_through_a_shell_parser() {
        let mut argv = vec!["printf"];
        argv.extend_from_slice(HOSTILE);
        let line = command_line(&argv).unwrap();
        assert_eq!(shell_words::split(&line).unwrap(), argv);
    }

    #[test]
    fn hostile_arguments_reach_a_real_shell_unchanged() {
        let mut argv = vec!["printf", "<%s>\\n"];
        argv.extend_from_slice(HOSTILE);
        let line = command_line(&argv).unwrap();
        let out = std::process::Command::new("sh").arg("-c").arg(&line).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let expected: String = HOSTILE.iter().map(|arg| format!("<{arg}>\n")).collect();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
    }

    #[test]
    fn dangerous_values_are_single_quoted() {
        assert_eq!(command_line(&["echo", "$(rm -rf /)"]).unwrap(), "echo '$(rm -rf /)'");
        assert_eq!(command_line(&["echo", "`id`"]).unwrap(), "echo '`id`'");
        assert_eq!(command_line(&["echo", ""]).unwrap(), "echo ''");
        assert_eq!(command_line(&["echo", "*"]).unwrap(), "echo '*'");
    }

    #[test]
    fn refuses_what_cannot_be_passed() {
        let empty: [&str; 0] = [];
        assert!(matches!(command_line(&empty), Err(SshError::InvalidCommand { .. })));
        assert!(matches!(command_line(&[""]), Err(SshError::InvalidCommand { .. })));
        assert!(matches!(
            command_line(&["echo", "a\0b"]),
            Err(SshError::InvalidCommand { .. })
        ));
    }

    #[test]
    fn accepts_owned_strings() {
        let argv = vec![String::from("echo"), String::from("a b")];
        assert_eq!(command_line(&argv).unwrap(), "echo 'a b'");
    }
}
