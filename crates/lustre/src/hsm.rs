//! Lustre HSM, as Chroma drives it: the coordinator control words, the
//! request kinds, file paths a request may name, and the parsers of what
//! Lustre 2.15 prints (`lfs hsm_state`, `mdt.*.hsm.actions`,
//! `mdt.*.hsm.agents`). Pure: no I/O.

use serde::{Deserialize, Serialize};

/// `HS_EXISTS`, `HS_DIRTY`, `HS_RELEASED`, `HS_ARCHIVED` (lustre_user.h).
pub const HS_EXISTS: u32 = 0x1;
pub const HS_DIRTY: u32 = 0x2;
pub const HS_RELEASED: u32 = 0x4;
pub const HS_ARCHIVED: u32 = 0x8;

/// Highest archive id a 2.15 coordinator accepts (`LL_HSM_MAX_ARCHIVES_PER_AGENT`
/// is 32 ids per agent; ids are 1-based).
pub const MAX_ARCHIVE_ID: u32 = 32;

/// A word written to `hsm_control` (2.15 `hsm_control_store` in
/// `mdt_coordinator.c`: `enabled`, `shutdown`, `disabled`, `purge`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HsmControl {
    /// Start (or resume) the coordinator.
    Enabled,
    /// Keep it running but hand out no new requests.
    Disabled,
    /// Stop it: agents are refused and the MDT shows `stopped`.
    Shutdown,
    /// Cancel every request (`hsm_cancel_all_actions`); not a state, and
    /// never set with `-P`, which would replay it at every MDT start.
    Purge,
}

impl HsmControl {
    /// The word `hsm_control` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            HsmControl::Enabled => "enabled",
            HsmControl::Disabled => "disabled",
            HsmControl::Shutdown => "shutdown",
            HsmControl::Purge => "purge",
        }
    }

    /// What `lctl get_param mdt.*.hsm_control` shows once it took
    /// (`cdt_mdt_state2str`); `None` for `purge`, which leaves it as it was.
    pub fn shown(self) -> Option<&'static str> {
        match self {
            HsmControl::Enabled => Some("enabled"),
            HsmControl::Disabled => Some("disabled"),
            HsmControl::Shutdown => Some("stopped"),
            HsmControl::Purge => None,
        }
    }

    /// Parses one of the four words.
    pub fn parse(text: &str) -> Option<HsmControl> {
        match text {
            "enabled" => Some(HsmControl::Enabled),
            "disabled" => Some(HsmControl::Disabled),
            "shutdown" => Some(HsmControl::Shutdown),
            "purge" => Some(HsmControl::Purge),
            _ => None,
        }
    }
}

/// What an HSM request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HsmAction {
    Archive,
    Release,
    Restore,
    /// Delete the file's copy from the archive (`lfs hsm_remove`): the
    /// copytool unlinks it (2.15 `ct_remove`) and the MDT clears the
    /// file's `exists` and `archived` flags. A released file refuses it
    /// (`mdt_hsm_is_action_compat`: its data is only in the archive).
    Remove,
}

impl HsmAction {
    pub fn as_str(self) -> &'static str {
        match self {
            HsmAction::Archive => "archive",
            HsmAction::Release => "release",
            HsmAction::Restore => "restore",
            HsmAction::Remove => "remove",
        }
    }

    pub fn parse(text: &str) -> Option<HsmAction> {
        match text {
            "archive" => Some(HsmAction::Archive),
            "release" => Some(HsmAction::Release),
            "restore" => Some(HsmAction::Restore),
            "remove" => Some(HsmAction::Remove),
            _ => None,
        }
    }

    /// The `lfs` subcommand (`hsm_archive`).
    pub fn lfs_command(self) -> &'static str {
        match self {
            HsmAction::Archive => "hsm_archive",
            HsmAction::Release => "hsm_release",
            HsmAction::Restore => "hsm_restore",
            HsmAction::Remove => "hsm_remove",
        }
    }

    /// The coordinator's word for it in `hsm.actions` (release has none:
    /// it is done by the client at once).
    pub fn coordinator_word(self) -> Option<&'static str> {
        match self {
            HsmAction::Archive => Some("ARCHIVE"),
            HsmAction::Restore => Some("RESTORE"),
            HsmAction::Remove => Some("REMOVE"),
            HsmAction::Release => None,
        }
    }

    /// Whether `flags` show the request done.
    pub fn done(self, flags: u32) -> bool {
        match self {
            HsmAction::Archive => flags & HS_ARCHIVED != 0 && flags & HS_DIRTY == 0,
            HsmAction::Release => flags & HS_RELEASED != 0,
            HsmAction::Restore => flags & HS_RELEASED == 0,
            HsmAction::Remove => flags & (HS_EXISTS | HS_ARCHIVED) == 0,
        }
    }
}

/// A path inside a file system, as a request names it: absolute (from the
/// file system's root, that is relative to a client's mount point), at
/// most 4096 bytes, no empty, `.` or `..` component, no control
/// characters. It reaches servers only as one quoted argument.
pub fn check_hsm_path(path: &str) -> Result<(), String> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!(
            "must be absolute inside the file system, like /dir/file (not {path:?})"
        ));
    };
    if path.len() > 4096 {
        return Err(format!("at most 4096 bytes; it has {}", path.len()));
    }
    if rest.is_empty() {
        return Err("names the file system's root, not a file".into());
    }
    if path.chars().any(char::is_control) {
        return Err("contains a control character".into());
    }
    if rest.split('/').any(|p| p.is_empty() || p == "." || p == "..") {
        return Err(format!("{path:?} has an empty, '.' or '..' component"));
    }
    Ok(())
}

/// A client's view of `path`: the mount point joined with it.
pub fn client_path(mountpoint: &str, path: &str) -> String {
    format!("{}{path}", mountpoint.trim_end_matches('/'))
}

/// A file's state from `lfs hsm_state FILE`:
/// `FILE: (0x0000000d) released exists archived, archive_id:1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileState {
    pub flags: u32,
    pub archive_id: u32,
}

impl FileState {
    /// The flag words `lfs` prints, in its order.
    pub fn words(&self) -> Vec<&'static str> {
        [
            (HS_RELEASED, "released"),
            (HS_EXISTS, "exists"),
            (HS_DIRTY, "dirty"),
            (HS_ARCHIVED, "archived"),
            (0x10, "never_release"),
            (0x20, "never_archive"),
            (0x40, "lost_from_hsm"),
        ]
        .into_iter()
        .filter(|(bit, _)| self.flags & bit != 0)
        .map(|(_, w)| w)
        .collect()
    }
}

/// Parses one `lfs hsm_state` line.
pub fn parse_hsm_state(line: &str) -> Option<FileState> {
    let open = line.rfind(": (0x")?;
    let rest = &line[open + 5..];
    let close = rest.find(')')?;
    let flags = u32::from_str_radix(&rest[..close], 16).ok()?;
    let archive_id = rest
        .rsplit_once("archive_id:")
        .and_then(|(_, id)| id.trim().parse().ok())
        .unwrap_or(0);
    Some(FileState { flags, archive_id })
}

/// One record of `mdt.*.hsm.actions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRecord {
    pub fid: String,
    pub cookie: String,
    /// `ARCHIVE`, `RESTORE`, `REMOVE`, `CANCEL`.
    pub action: String,
    pub archive_id: u32,
    /// `WAITING`, `STARTED`, `SUCCEED`, `FAILED`, `CANCELED`.
    pub status: String,
}

fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let at = line.find(&format!(" {key}="))? + key.len() + 2;
    let rest = &line[at..];
    Some(rest.split(' ').next().unwrap_or(rest))
}

/// Parses `hsm.actions` (`lrh=[…] fid=[…] dfid=[…] compound/cookie=0/0x… action=ARCHIVE
/// archive#=1 … status=WAITING data=[]`), skipping lines it does not know.
pub fn parse_actions(text: &str) -> Vec<ActionRecord> {
    text.lines()
        .filter_map(|line| {
            Some(ActionRecord {
                fid: field(line, "fid")?.trim_matches(|c| c == '[' || c == ']').to_string(),
                cookie: field(line, "compound/cookie")?.rsplit('/').next()?.to_string(),
                action: field(line, "action")?.to_string(),
                archive_id: field(line, "archive#")?.parse().ok()?,
                status: field(line, "status")?.to_string(),
            })
        })
        .collect()
}

/// One agent of `mdt.*.hsm.agents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRecord {
    pub uuid: String,
    /// Archive ids served; empty for any (`ANY`).
    pub archive_ids: Vec<u32>,
    pub current: u32,
    pub ok: u32,
    pub errors: u32,
}

/// Parses `hsm.agents` (`uuid=… archive_id=1,2 requests=[current:0 ok:1 errors:0]`).
pub fn parse_agents(text: &str) -> Vec<AgentRecord> {
    text.lines()
        .filter_map(|line| {
            let line = format!(" {line}");
            let uuid = field(&line, "uuid")?.to_string();
            let ids = field(&line, "archive_id")?;
            let archive_ids = if ids == "ANY" {
                Vec::new()
            } else {
                ids.split(',').map(|i| i.parse().ok()).collect::<Option<Vec<u32>>>()?
            };
            let counter = |name: &str| -> Option<u32> {
                let at = line.find(&format!("{name}:"))? + name.len() + 1;
                line[at..].split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
            };
            Some(AgentRecord {
                uuid,
                archive_ids,
                current: counter("current")?,
                ok: counter("ok")?,
                errors: counter("errors")?,
            })
        })
        .collect()
}

/// An archive root directory for a POSIX copytool: absolute, letters,
/// digits, `.`, `_`, `-` and `/`, no empty, `.` or `..` component, not `/`.
pub fn check_archive_path(path: &str) -> Result<(), String> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!("must be an absolute path (not {path:?})"));
    };
    if path.len() > 255 {
        return Err(format!("at most 255 characters; it has {}", path.len()));
    }
    if let Some(c) = path
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/')))
    {
        return Err(format!("only letters, digits, '.', '_', '-' and '/' (not {c:?})"));
    }
    if rest.is_empty() || rest.split('/').any(|p| p.is_empty() || p == "." || p == "..") {
        return Err(format!("{path:?} is / or has an empty, '.' or '..' component"));
    }
    Ok(())
}

/// Where copytool `id` writes its pid: `--pid-file` (2.15 `ct_run`:
/// `create_pid_file` after `daemon()`, locked with `F_SETLK`, so a second
/// copytool given the same file exits instead of serving twice).
pub fn copytool_pid_file(id: uuid::Uuid) -> String {
    format!("/var/run/chroma-copytool-{id}.pid")
}

/// Where copytool `id`'s standard output and error go. `daemon(1, 1)`
/// keeps the descriptors it was started with: left on an SSH channel they
/// hold it open (the start never returns) and, once it closes, the
/// daemon's next log line kills it with `SIGPIPE`.
pub fn copytool_log(id: uuid::Uuid) -> String {
    format!("/var/log/chroma-copytool-{id}.log")
}

/// The argv copytool `id` runs as, the one place it is built:
/// `lhsmtool_posix --daemon --pid-file FILE --hsm-root DIR --archive N
/// MOUNT` (2.15 `ct_parseopts`). Its words joined by spaces are what
/// `pgrep -a` shows ([`copytool_pid`]); the pid file names the copytool,
/// so two copytools never look alike.
pub fn copytool_argv(id: uuid::Uuid, archive_path: &str, archive_id: i32, mountpoint: &str) -> Vec<String> {
    vec![
        "lhsmtool_posix".into(),
        "--daemon".into(),
        "--pid-file".into(),
        copytool_pid_file(id),
        "--hsm-root".into(),
        archive_path.into(),
        "--archive".into(),
        archive_id.to_string(),
        mountpoint.into(),
    ]
}

/// The pid of the process running `argv`, per `pgrep -a -f lhsmtool_posix`
/// output (`PID ARGS…`, one process a line).
pub fn copytool_pid(pgrep_a: &str, argv: &[String]) -> Option<u32> {
    let cmdline = argv.join(" ");
    pgrep_a.lines().find_map(|l| {
        let (pid, rest) = l.split_once(' ')?;
        (rest.trim() == cmdline).then(|| pid.parse().ok()).flatten()
    })
}

/// How many times the monitor restarts a copytool that keeps dying, each
/// restart within [`RESTART_WINDOW_SECS`] of the one before, before it
/// gives up and leaves it to an operator.
pub const MAX_RESTARTS: u32 = 5;
/// A restart more than this long after the one before starts the count
/// again (an hour).
pub const RESTART_WINDOW_SECS: i64 = 3600;
/// The wait before the second restart; it doubles for each after.
pub const RESTART_BACKOFF_SECS: i64 = 15;

/// What the monitor does about a copytool found dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    /// Restart it now; this is restart number `n` of the current run.
    Now { n: u32 },
    /// Not yet: `secs` more to wait.
    Wait { secs: i64 },
    /// [`MAX_RESTARTS`] restarts within the window: leave it stopped.
    GiveUp,
}

/// Whether to restart a dead copytool restarted `restarts` times so far,
/// the last `since_last` seconds ago (`None`: never). The first restart
/// is at once, then after 15 s, 30 s, 60 s, 120 s.
pub fn restart(restarts: u32, since_last: Option<i64>) -> Restart {
    let restarts = match since_last {
        Some(secs) if secs < RESTART_WINDOW_SECS => restarts,
        _ => 0,
    };
    if restarts >= MAX_RESTARTS {
        return Restart::GiveUp;
    }
    let wait = match restarts {
        0 => 0,
        n => RESTART_BACKOFF_SECS << (n - 1).min(16),
    };
    let waited = since_last.unwrap_or(i64::MAX);
    if waited >= wait {
        Restart::Now { n: restarts + 1 }
    } else {
        Restart::Wait { secs: wait - waited }
    }
}

/// The HSM step actions' names.
pub const ACTIONS: [&str; 5] = [
    "set_hsm_control",
    "hsm_request",
    "start_copytool",
    "stop_copytool",
    "remove_copytool",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ControlArgs {
    filesystem_id: uuid::Uuid,
    control: HsmControl,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestArgs {
    filesystem_id: uuid::Uuid,
    client_mount_id: uuid::Uuid,
    action: HsmAction,
    path: String,
    #[serde(default)]
    archive_id: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CopytoolArgs {
    copytool_id: uuid::Uuid,
}

/// Parses one of [`ACTIONS`] with its arguments, checking the path and
/// archive id a request carries.
pub(crate) fn parse_action(name: &str, args: &serde_json::Value) -> Result<crate::Action, crate::actions::ActionError> {
    use crate::actions::ActionError;
    use crate::Action;
    let action: &'static str = ACTIONS.iter().find(|a| **a == name).copied().unwrap_or("hsm_request");
    let bad = |reason: String| ActionError::BadArgs { action, reason };
    let args = if args.is_null() {
        serde_json::json!({})
    } else {
        args.clone()
    };
    match action {
        "set_hsm_control" => {
            let a: ControlArgs = serde_json::from_value(args).map_err(|e| bad(e.to_string()))?;
            Ok(Action::SetHsmControl {
                filesystem_id: a.filesystem_id,
                control: a.control,
            })
        }
        "hsm_request" => {
            let a: RequestArgs = serde_json::from_value(args).map_err(|e| bad(e.to_string()))?;
            check_hsm_path(&a.path).map_err(|e| bad(format!("path: {e}")))?;
            if a.archive_id.is_some_and(|id| id == 0 || id > MAX_ARCHIVE_ID) {
                return Err(bad(format!("archive_id must be 1 to {MAX_ARCHIVE_ID}")));
            }
            Ok(Action::HsmRequest {
                filesystem_id: a.filesystem_id,
                client_mount_id: a.client_mount_id,
                action: a.action,
                path: a.path,
                archive_id: a.archive_id,
            })
        }
        _ => {
            let a: CopytoolArgs = serde_json::from_value(args).map_err(|e| bad(e.to_string()))?;
            let copytool_id = a.copytool_id;
            Ok(match action {
                "start_copytool" => Action::StartCopytool { copytool_id },
                "stop_copytool" => Action::StopCopytool { copytool_id },
                _ => Action::RemoveCopytool { copytool_id },
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_plain_absolute_paths_in_the_file_system() {
        assert_eq!(check_hsm_path("/dir/file name.dat"), Ok(()));
        for bad in ["dir/f", "/", "/a/../b", "/a//b", "/a/./b", "/a/b/", "/a\nb"] {
            assert!(check_hsm_path(bad).is_err(), "{bad:?}");
        }
        assert_eq!(client_path("/mnt/demo", "/d/f"), "/mnt/demo/d/f");
    }

    #[test]
    fn lfs_and_coordinator_output_parses() {
        let s = parse_hsm_state("/mnt/demo/f: (0x0000000d) released exists archived, archive_id:1");
        assert_eq!(
            s,
            Some(FileState {
                flags: 0xd,
                archive_id: 1
            })
        );
        assert_eq!(s.map(|s| s.words()), Some(vec!["released", "exists", "archived"]));
        assert_eq!(
            parse_hsm_state("/mnt/demo/f: (0x00000000)"),
            Some(FileState {
                flags: 0,
                archive_id: 0
            })
        );
        let actions = parse_actions(
            "lrh=[type=10680000 len=136 idx=1/3] fid=[0x200000401:0x1:0x0] dfid=[0x200000401:0x1:0x0] \
             compound/cookie=0/0x5f000001 action=ARCHIVE archive#=1 flags=0x0 extent=0x0-0xffffffffffffffff \
             gid=0x0 datalen=0 status=WAITING data=[]\n",
        );
        assert_eq!(actions.len(), 1);
        assert_eq!(actions[0].fid, "0x200000401:0x1:0x0");
        assert_eq!(actions[0].cookie, "0x5f000001");
        assert_eq!(
            (actions[0].action.as_str(), actions[0].status.as_str()),
            ("ARCHIVE", "WAITING")
        );
        let agents = parse_agents("uuid=abc-1 archive_id=1,2 requests=[current:0 ok:3 errors:1]\n");
        assert_eq!(
            agents,
            vec![AgentRecord {
                uuid: "abc-1".into(),
                archive_ids: vec![1, 2],
                current: 0,
                ok: 3,
                errors: 1
            }]
        );
    }

    #[test]
    fn a_copytool_is_found_by_its_own_command_line() {
        let id = uuid::Uuid::from_u128(7);
        let argv = copytool_argv(id, "/srv/archive", 2, "/mnt/fs1");
        assert_eq!(
            argv.join(" "),
            "lhsmtool_posix --daemon --pid-file /var/run/chroma-copytool-00000000-0000-0000-0000-000000000007.pid \
             --hsm-root /srv/archive --archive 2 /mnt/fs1"
        );
        let other = copytool_argv(uuid::Uuid::from_u128(8), "/srv/archive", 2, "/mnt/fs1");
        let shown = format!("41 {}\n42 {}\n", other.join(" "), argv.join(" "));
        assert_eq!(copytool_pid(&shown, &argv), Some(42));
        assert_eq!(copytool_pid(&shown, &other), Some(41));
        assert_eq!(copytool_pid("", &argv), None);
    }

    #[test]
    fn a_dying_copytool_is_restarted_less_and_less_often_then_given_up() {
        assert_eq!(restart(0, None), Restart::Now { n: 1 });
        assert_eq!(restart(1, Some(5)), Restart::Wait { secs: 10 });
        assert_eq!(restart(1, Some(15)), Restart::Now { n: 2 });
        assert_eq!(restart(2, Some(20)), Restart::Wait { secs: 10 });
        assert_eq!(restart(4, Some(119)), Restart::Wait { secs: 1 });
        assert_eq!(restart(4, Some(120)), Restart::Now { n: 5 });
        assert_eq!(restart(5, Some(3599)), Restart::GiveUp);
        // An hour after the last restart, the count starts again.
        assert_eq!(restart(5, Some(3600)), Restart::Now { n: 1 });
    }

    #[test]
    fn control_words_and_what_the_mdts_show_after() {
        for word in ["enabled", "disabled", "shutdown", "purge"] {
            assert_eq!(HsmControl::parse(word).map(HsmControl::as_str), Some(word));
        }
        assert_eq!(HsmControl::parse("stopped"), None);
        assert_eq!(HsmControl::Shutdown.shown(), Some("stopped"));
        assert_eq!(HsmControl::Purge.shown(), None);
    }

    #[test]
    fn requests_are_done_when_the_flags_say_so() {
        assert!(HsmAction::Archive.done(HS_EXISTS | HS_ARCHIVED));
        assert!(!HsmAction::Archive.done(HS_EXISTS | HS_ARCHIVED | HS_DIRTY));
        assert!(HsmAction::Release.done(HS_RELEASED | HS_ARCHIVED));
        assert!(HsmAction::Restore.done(HS_ARCHIVED));
        assert!(!HsmAction::Remove.done(HS_EXISTS | HS_ARCHIVED));
        assert!(!HsmAction::Remove.done(HS_EXISTS));
        assert!(HsmAction::Remove.done(0));
        assert_eq!(
            HsmAction::parse("remove").map(HsmAction::lfs_command),
            Some("hsm_remove")
        );
        assert!(check_archive_path("/srv/archive").is_ok());
        assert!(check_archive_path("/srv/a b").is_err());
    }
}
