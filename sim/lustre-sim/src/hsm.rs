//! Lustre HSM: each MDT's coordinator (`mdt.FS-MDTxxxx.hsm_control`), its
//! actions llog (`hsm.actions`), the agents registered with it
//! (`hsm.agents`: copytools, `lhsmtool_posix --daemon` processes on client
//! hosts), the HSM flags of files (`lfs hsm_state`) and the files a POSIX
//! copytool writes under its archive root. Checked against Lustre 2.15
//! (`mdt_coordinator.c`, `mdt_hsm_cdt_client.c`, `mdt_hsm_cdt_agent.c`,
//! `mdt_hsm_cdt_actions.c`, `lfs.c`, `lhsmtool_posix.c`); see
//! docs/lustre-sim-formats.md, "HSM".
//!
//! Requests move on in [`tick`] (run before every command and by the fault
//! watcher): a WAITING request whose coordinator is `enabled` and that a
//! live agent serves starts, then succeeds a moment later, and its effect
//! lands on the file then.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::state::ClusterState;

/// `HS_EXISTS`: a copy exists in the archive.
pub const HS_EXISTS: u32 = 0x1;
/// `HS_DIRTY`: the file changed since it was archived.
pub const HS_DIRTY: u32 = 0x2;
/// `HS_RELEASED`: the file's data is only in the archive.
pub const HS_RELEASED: u32 = 0x4;
/// `HS_ARCHIVED`: the archive copy is complete.
pub const HS_ARCHIVED: u32 = 0x8;
/// `HS_NORELEASE`.
pub const HS_NORELEASE: u32 = 0x10;
/// `HS_NOARCHIVE`.
pub const HS_NOARCHIVE: u32 = 0x20;
/// `HS_LOST`.
pub const HS_LOST: u32 = 0x40;

/// How long a request stays WAITING, then STARTED, once served (µs).
const STEP_US: u64 = 1_000_000;
/// How long a finished request stays in the actions llog
/// (`grace_delay`, 60 s by default).
const GRACE_US: u64 = 60_000_000;
/// `cdt_default_archive_id`.
pub const DEFAULT_ARCHIVE_ID: u32 = 1;

/// HSM state of the cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hsm {
    /// HSM flags of files, by file system then path inside it.
    #[serde(default)]
    pub files: BTreeMap<String, BTreeMap<String, FileHsm>>,
    /// Every MDT's actions llog records, oldest first.
    #[serde(default)]
    pub actions: Vec<Request>,
    /// Running copytools.
    #[serde(default)]
    pub copytools: Vec<Copytool>,
    /// Files copytools wrote, by host: paths under their archive roots.
    #[serde(default)]
    pub archived: BTreeMap<String, BTreeSet<String>>,
    /// Last pid, cookie and FID object id handed out.
    #[serde(default)]
    pub last_pid: u32,
    #[serde(default)]
    pub last_cookie: u64,
    #[serde(default)]
    pub last_oid: u32,
    #[serde(default)]
    pub last_idx: u32,
}

/// A file's HSM attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileHsm {
    /// `HS_*` flags.
    pub flags: u32,
    /// Archive it was copied to (0 for none).
    pub archive_id: u32,
    /// The file's FID, `0x200000401:0x1:0x0`.
    pub fid: String,
    /// Its size when it was archived (a change makes it dirty).
    #[serde(default)]
    pub archived_size: u64,
}

/// One record of an MDT's actions llog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The MDT (`demo-MDT0000`).
    pub mdt: String,
    /// File system name.
    pub fsname: String,
    /// Record index.
    pub idx: u32,
    /// Cookie.
    pub cookie: u64,
    /// `ARCHIVE`, `RESTORE` or `REMOVE`.
    pub action: String,
    /// Path inside the file system.
    pub path: String,
    /// FID.
    pub fid: String,
    /// Archive id.
    pub archive_id: u32,
    /// `WAITING`, `STARTED`, `SUCCEED`, `FAILED`, `CANCELED`.
    pub status: String,
    /// When it last changed status (µs).
    pub since_us: u64,
    /// The agent serving it.
    #[serde(default)]
    pub agent: Option<String>,
}

/// A running `lhsmtool_posix --daemon`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Copytool {
    pub pid: u32,
    pub host: String,
    /// The host's boot it runs in (a reboot ends it).
    pub boot_id: String,
    /// The command line, as `ps`/`pgrep -a` show it.
    pub cmdline: String,
    pub fsname: String,
    pub mountpoint: String,
    pub hsm_root: String,
    /// Archive ids it serves; empty for any.
    pub archive_ids: Vec<u32>,
    /// Its agent uuid.
    pub uuid: String,
    #[serde(default)]
    pub ok: u32,
    #[serde(default)]
    pub errors: u32,
    /// Its `--pid-file`, locked while it runs.
    #[serde(default)]
    pub pid_file: Option<String>,
    /// Where its standard output and error go.
    #[serde(default)]
    pub stdio: Stdio,
}

/// Where a copytool's standard output and error go. `ct_run` calls
/// `daemon(1, 1)` (2.15 `lhsmtool_posix.c`), which keeps the descriptors
/// the shell gave it: left on the SSH channel, they hold the channel open
/// (sshd closes it only at EOF on both), and once the client closed it,
/// the next line the copytool logs (it logs every action it is given)
/// kills it with `SIGPIPE`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stdio {
    /// Redirected (a log file, `/dev/null`).
    #[default]
    Detached,
    /// The exec channel it was started on, still open.
    Channel,
    /// That channel, closed by the client: its next write is fatal.
    ClosedChannel,
}

/// The `hsm_control` words `lctl get_param` shows (`cdt_mdt_state2str`).
pub fn control_word(value: &str) -> &'static str {
    match value {
        "enabled" => "enabled",
        "disabled" => "disabled",
        _ => "stopped",
    }
}

impl ClusterState {
    /// The coordinator state of MDT `svname` (`stopped` until set): a
    /// `set_param` on the MDT's mount, else the last `set_param -P` of its
    /// MGS.
    pub fn hsm_control(&self, svname: &str) -> &'static str {
        let name = format!("mdt.{svname}.hsm_control");
        let Some(mount) = self.mounts.iter().find(|m| {
            self.devices
                .get(&m.serial)
                .and_then(|d| d.target.as_ref())
                .is_some_and(|t| t.mdt && t.svname() == svname)
        }) else {
            return "stopped";
        };
        if let Some(v) = mount.tunables.get(&name) {
            return control_word(v);
        }
        let persistent = self.mgs_of(&mount.serial).and_then(|mgs| {
            crate::commands::conf_values::set_params(self.llogs(&mgs))
                .into_iter()
                .rev()
                .find(|(p, _)| crate::commands::params::matches(p, &name))
                .map(|(_, v)| v)
        });
        persistent.map_or("stopped", |v| control_word(&v))
    }

    /// The mounted MDTs of `fsname` (svnames, index order).
    pub fn hsm_mdts(&self, fsname: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .mounts
            .iter()
            .filter_map(|m| self.devices.get(&m.serial)?.target.as_ref())
            .filter(|t| t.mdt && t.fsname == fsname)
            .map(|t| t.svname())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// A file's HSM attributes (none: flags 0).
    pub fn hsm_file(&self, fsname: &str, path: &str) -> Option<&FileHsm> {
        self.hsm.files.get(fsname)?.get(path)
    }

    /// A file's HSM attributes, created (with a new FID) on first use.
    pub fn hsm_file_mut(&mut self, fsname: &str, path: &str) -> &mut FileHsm {
        let hsm = &mut self.hsm;
        let files = hsm.files.entry(fsname.to_string()).or_default();
        files.entry(path.to_string()).or_insert_with(|| {
            hsm.last_oid += 1;
            FileHsm {
                flags: 0,
                archive_id: 0,
                fid: format!("0x200000401:{:#x}:0x0", hsm.last_oid),
                archived_size: 0,
            }
        })
    }

    /// Agents registered with `fsname`'s coordinators that serve
    /// `archive_id`.
    fn serving_agent(&self, fsname: &str, archive_id: u32) -> Option<String> {
        self.hsm
            .copytools
            .iter()
            .find(|c| c.fsname == fsname && (c.archive_ids.is_empty() || c.archive_ids.contains(&archive_id)))
            .map(|c| c.uuid.clone())
    }
}

/// Where the POSIX copytool keeps a FID's copy (`ct_path_archive`, the
/// v1 layout): `ROOT/OID&0xFFFF/OID>>16/SEQ…/FID`.
pub fn archive_path(root: &str, fid: &str) -> String {
    let parts: Vec<u64> = fid
        .split(':')
        .map(|p| u64::from_str_radix(p.trim_start_matches("0x"), 16).unwrap_or(0))
        .collect();
    let (seq, oid) = (parts.first().copied().unwrap_or(0), parts.get(1).copied().unwrap_or(0));
    format!(
        "{}/{:04x}/{:04x}/{:04x}/{:04x}/{:04x}/{:04x}/{fid}",
        root.trim_end_matches('/'),
        oid & 0xFFFF,
        (oid >> 16) & 0xFFFF,
        seq & 0xFFFF,
        (seq >> 16) & 0xFFFF,
        (seq >> 32) & 0xFFFF,
        (seq >> 48) & 0xFFFF
    )
}

/// Moves HSM on to `now_us`; whether anything changed.
pub fn tick(state: &mut ClusterState, now_us: u64) -> bool {
    let mut changed = reap(state);
    changed |= dirty_files(state);
    let n = state.hsm.actions.len();
    for i in 0..n {
        let r = state.hsm.actions[i].clone();
        match r.status.as_str() {
            "WAITING" if now_us >= r.since_us + STEP_US && state.hsm_control(&r.mdt) == "enabled" => {
                if let Some(agent) = state.serving_agent(&r.fsname, r.archive_id) {
                    let a = &mut state.hsm.actions[i];
                    a.status = "STARTED".into();
                    a.since_us = now_us;
                    a.agent = Some(agent.clone());
                    changed = true;
                    sigpipe(state, &agent);
                }
            }
            "STARTED" if now_us >= r.since_us + STEP_US => {
                let ok = finish(state, &r);
                let a = &mut state.hsm.actions[i];
                a.status = if ok { "SUCCEED" } else { "FAILED" }.into();
                a.since_us = now_us;
                if let Some(ct) = state
                    .hsm
                    .copytools
                    .iter_mut()
                    .find(|c| Some(&c.uuid) == r.agent.as_ref())
                {
                    if ok {
                        ct.ok += 1;
                    } else {
                        ct.errors += 1;
                    }
                }
                changed = true;
            }
            _ => {}
        }
    }
    let before = state.hsm.actions.len();
    state
        .hsm
        .actions
        .retain(|r| matches!(r.status.as_str(), "WAITING" | "STARTED") || now_us < r.since_us + GRACE_US);
    changed || before != state.hsm.actions.len()
}

/// Copytools whose host rebooted are gone; requests their agent was
/// serving fail, and the client mounts they held are free.
fn reap(state: &mut ClusterState) -> bool {
    // Before every command: with no copytool (most sites), no map of boots.
    if state.hsm.copytools.is_empty() {
        return false;
    }
    let boots: BTreeMap<String, String> = state
        .hosts
        .iter()
        .map(|h| (h.name.clone(), h.boot.id.clone()))
        .collect();
    let (live, dead): (Vec<Copytool>, Vec<Copytool>) = state
        .hsm
        .copytools
        .drain(..)
        .partition(|c| boots.get(&c.host) == Some(&c.boot_id));
    state.hsm.copytools = live;
    for c in &dead {
        stopped(state, c);
    }
    !dead.is_empty()
}

/// A copytool given work logs it (`CT_TRACE`, to stderr): one whose
/// stderr is a closed SSH channel dies of `SIGPIPE` there, and the request
/// it was given fails.
fn sigpipe(state: &mut ClusterState, agent: &str) {
    let Some(at) = state
        .hsm
        .copytools
        .iter()
        .position(|c| c.uuid == agent && c.stdio == Stdio::ClosedChannel)
    else {
        return;
    };
    let c = state.hsm.copytools.remove(at);
    stopped(state, &c);
}

/// What a copytool's end leaves behind: its holder on the client mount,
/// and the requests it was serving failed.
pub fn stopped(state: &mut ClusterState, c: &Copytool) {
    let holder = format!("lhsmtool_posix[{}]", c.pid);
    for m in state.clients.mounts.iter_mut().filter(|m| m.host == c.host) {
        m.holders.retain(|h| *h != holder);
    }
    let now = crate::state::now_micros();
    for r in state
        .hsm
        .actions
        .iter_mut()
        .filter(|r| r.status == "STARTED" && r.agent.as_ref() == Some(&c.uuid))
    {
        r.status = "FAILED".into();
        r.since_us = now;
    }
}

/// An archived file whose size changed is dirty (a write after archive).
fn dirty_files(state: &mut ClusterState) -> bool {
    let mut changed = false;
    let namespaces = &state.clients.namespaces;
    for (fsname, files) in state.hsm.files.iter_mut() {
        let ns = namespaces.get(fsname);
        files.retain(|path, _| ns.is_some_and(|ns| ns.entries.contains_key(path)));
        for (path, f) in files.iter_mut() {
            let size = ns.and_then(|ns| ns.entries.get(path)).map_or(0, |e| e.size);
            if f.flags & HS_EXISTS != 0 && f.flags & HS_DIRTY == 0 && size != f.archived_size {
                f.flags |= HS_DIRTY;
                changed = true;
            }
        }
    }
    changed
}

/// The copytool's work for a started request; false when it fails.
fn finish(state: &mut ClusterState, r: &Request) -> bool {
    let Some(ct) = state
        .hsm
        .copytools
        .iter()
        .find(|c| Some(&c.uuid) == r.agent.as_ref())
        .cloned()
    else {
        return false;
    };
    let size = state
        .clients
        .namespaces
        .get(&r.fsname)
        .and_then(|ns| ns.entries.get(&r.path))
        .map(|e| e.size);
    let Some(size) = size else {
        return false;
    };
    // The archive root must still be there (ct_setup opened it).
    if !state.local_dir_exists(&ct.host, &ct.hsm_root) {
        return false;
    }
    let copy = archive_path(&ct.hsm_root, &r.fid);
    match r.action.as_str() {
        "ARCHIVE" => {
            state.hsm.archived.entry(ct.host.clone()).or_default().insert(copy);
            let f = state.hsm_file_mut(&r.fsname, &r.path);
            f.flags = (f.flags | HS_EXISTS | HS_ARCHIVED) & !(HS_DIRTY | HS_LOST);
            f.archive_id = r.archive_id;
            f.archived_size = size;
            true
        }
        "RESTORE" => {
            if !state.hsm.archived.get(&ct.host).is_some_and(|s| s.contains(&copy)) {
                return false;
            }
            let f = state.hsm_file_mut(&r.fsname, &r.path);
            f.flags &= !HS_RELEASED;
            true
        }
        "REMOVE" => {
            if let Some(s) = state.hsm.archived.get_mut(&ct.host) {
                s.remove(&copy);
            }
            let f = state.hsm_file_mut(&r.fsname, &r.path);
            f.flags &= !(HS_ARCHIVED | HS_EXISTS | HS_LOST);
            true
        }
        _ => false,
    }
}

/// The `mdt.SVNAME.hsm*` parameters of the MDTs mounted on a host, to
/// append to its `lctl get_param` table.
pub fn params(state: &ClusterState, host: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mdts: Vec<String> = state
        .mounts
        .iter()
        .filter(|m| m.host == host)
        .filter_map(|m| state.devices.get(&m.serial)?.target.as_ref())
        .filter(|t| t.mdt)
        .map(|t| t.svname())
        .collect();
    for mdt in mdts {
        let fsname = mdt.rsplit_once('-').map(|(f, _)| f.to_string()).unwrap_or_default();
        let control = state.hsm_control(&mdt);
        out.push((format!("mdt.{mdt}.hsm_control"), control.to_string()));
        let mut actions = String::new();
        let mut active = String::new();
        for r in state.hsm.actions.iter().filter(|r| r.mdt == mdt) {
            actions.push_str(&format!(
                "lrh=[type=10680000 len=136 idx=1/{}] fid=[{fid}] dfid=[{fid}] compound/cookie=0/{:#x} \
                 action={} archive#={} flags=0x0 extent=0x0-0xffffffffffffffff gid=0x0 datalen=0 status={} data=[]\n",
                r.idx,
                r.cookie,
                r.action,
                r.archive_id,
                r.status,
                fid = r.fid
            ));
            if r.status == "STARTED" {
                active.push_str(&format!(
                    "fid=[{fid}] dfid=[{fid}] compound/cookie=0/{:#x} action={} archive#={} flags=0x0 \
                     extent=0x0-0xffffffffffffffff gid=0x0 data=[] canceled=0 uuid={} done=0\n",
                    r.cookie,
                    r.action,
                    r.archive_id,
                    r.agent.clone().unwrap_or_default(),
                    fid = r.fid
                ));
            }
        }
        let mut agents = String::new();
        if control != "stopped" {
            for c in state.hsm.copytools.iter().filter(|c| c.fsname == fsname) {
                let ids = if c.archive_ids.is_empty() {
                    "ANY".to_string()
                } else {
                    c.archive_ids.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
                };
                let current = state
                    .hsm
                    .actions
                    .iter()
                    .filter(|r| r.status == "STARTED" && r.agent.as_ref() == Some(&c.uuid))
                    .count();
                agents.push_str(&format!(
                    "uuid={} archive_id={ids} requests=[current:{current} ok:{} errors:{}]\n",
                    c.uuid, c.ok, c.errors
                ));
            }
        }
        out.push((format!("mdt.{mdt}.hsm.actions"), actions));
        out.push((format!("mdt.{mdt}.hsm.active_requests"), active));
        out.push((format!("mdt.{mdt}.hsm.agents"), agents));
        out.push((
            format!("mdt.{mdt}.hsm.default_archive_id"),
            DEFAULT_ARCHIVE_ID.to_string(),
        ));
        out.push((format!("mdt.{mdt}.hsm.grace_delay"), "60".into()));
    }
    out
}

/// `lctl set_param [-P] mdt.X.hsm_control=VALUE` as `hsm_control_store`
/// takes it: `enabled`, `disabled` (refused while stopped), `shutdown`,
/// `purge` (every request of the MDT cancelled), anything else EINVAL.
/// `None` for any other parameter.
pub fn set_control(
    pattern: &str,
    value: &str,
    permanent: bool,
    ctx: &mut crate::commands::Context<'_>,
) -> Option<crate::commands::Output> {
    use crate::commands::Output;
    if !pattern.ends_with(".hsm_control") || !pattern.starts_with("mdt.") {
        return None;
    }
    let invalid = || {
        Output::fail(
            format!("error: set_param: setting {pattern}={value}: Invalid argument\n"),
            22,
        )
    };
    if !matches!(value, "enabled" | "disabled" | "shutdown" | "purge") {
        return Some(invalid());
    }
    // The MDTs it names: on this host, or (with -P) anywhere under its MGS.
    let mdts: Vec<String> = ctx
        .state
        .mounts
        .iter()
        .filter(|m| permanent || m.host == ctx.host)
        .filter_map(|m| ctx.state.devices.get(&m.serial)?.target.as_ref())
        .filter(|t| t.mdt && crate::commands::params::matches(pattern, &format!("mdt.{}.hsm_control", t.svname())))
        .map(|t| t.svname())
        .collect();
    if value == "disabled" && mdts.iter().any(|m| ctx.state.hsm_control(m) == "stopped") {
        return Some(invalid());
    }
    if value == "purge" {
        let now = crate::state::now_micros();
        for r in ctx.state.hsm.actions.iter_mut().filter(|r| mdts.contains(&r.mdt)) {
            if matches!(r.status.as_str(), "WAITING" | "STARTED") {
                r.status = "CANCELED".into();
                r.since_us = now;
            }
        }
        return Some(if mdts.is_empty() && !permanent {
            Output::fail(
                format!("error: set_param: param_path '{pattern}': No such file or directory\n"),
                2,
            )
        } else {
            Output::ok("")
        });
    }
    if permanent {
        // The MGS pushes a `-P` setting to every live MDT (their config
        // lock is revoked and the params log replayed), replacing what a
        // plain set_param set there; the llog record is written by the
        // generic `-P` path.
        for m in ctx.state.mounts.iter_mut() {
            m.tunables
                .retain(|name, _| !mdts.iter().any(|mdt| *name == format!("mdt.{mdt}.hsm_control")));
        }
        return None;
    }
    if mdts.is_empty() {
        return None;
    }
    let word = if value == "shutdown" { "stopped" } else { value };
    let host = ctx.host.clone();
    let mut out = Output::ok("");
    for mdt in &mdts {
        let name = format!("mdt.{mdt}.hsm_control");
        let state = &mut *ctx.state;
        let devices = &state.devices;
        if let Some(m) = state.mounts.iter_mut().filter(|m| m.host == host).find(|m| {
            devices
                .get(&m.serial)
                .and_then(|d| d.target.as_ref())
                .is_some_and(|t| t.svname() == *mdt)
        }) {
            m.tunables.insert(name.clone(), word.to_string());
            out.stdout.push_str(&format!("{name}={value}\n"));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::archive_path;

    #[test]
    fn archive_copies_follow_the_v1_layout() {
        assert_eq!(
            archive_path("/archive/", "0x200000401:0x1:0x0"),
            "/archive/0001/0000/0401/0000/0002/0000/0x200000401:0x1:0x0"
        );
    }
}
