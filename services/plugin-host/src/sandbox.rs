//! What a plugin can reach of Chroma (docs/plugins.md, "What a plugin
//! can reach").
//!
//! Chroma's own environment holds secrets: `DATABASE_URL` with the
//! database password, `AMQP_URL`, `CHROMA_ADMIN_PASSWORD`. A plugin gets
//! none of them:
//!
//! - its environment is cleared ([`crate::process`] passes only `PATH`,
//!   `HOME`, locale and time zone variables and the manifest's `env`);
//! - every Chroma service makes itself undumpable at start-up
//!   ([`setup::process::make_undumpable`], `PR_SET_DUMPABLE` 0), so Linux
//!   refuses `/proc/PID/environ` and `/proc/PID/mem` of the API, the
//!   scheduler, the monitor, the workers and this host to any process
//!   without `CAP_SYS_PTRACE`, even one of the same user;
//! - where Chroma runs as root (which has `CAP_SYS_PTRACE`), a plugin runs
//!   as an unprivileged user instead ([`USER_VAR`]), without supplementary
//!   groups or capabilities. It is given its own copy of Chroma's SSH key
//!   ([`KeyCopy`]), since reaching the servers is what the key is for.

use std::fs::{DirBuilder, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The variable naming the user plugins run as where Chroma runs as root
/// (the `plugin_user` setting). Unset: the user [`DEDICATED_USER`] if it
/// exists, else `nobody`.
pub const USER_VAR: &str = "CHROMA_PLUGIN_USER";

/// The user named by the settings, once a process's settings are read.
static REQUESTED_USER: OnceLock<Option<String>> = OnceLock::new();

/// Names the user plugins run as where Chroma runs as root
/// (`settings.plugin_user`; `None`: the default one). The first call of
/// a process counts: call it before the first plugin starts.
pub fn request_user(name: Option<&str>) {
    let _ = REQUESTED_USER.set(name.map(str::to_owned));
}

/// The user to create for plugins (`useradd --system chroma-plugin`).
pub const DEDICATED_USER: &str = "chroma-plugin";

/// The user a plugin process runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: PathBuf,
}

/// Why plugins cannot be started safely.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SandboxError {
    #[error("{USER_VAR}={0:?}: no such user")]
    UnknownUser(String),
    #[error("{USER_VAR}={0:?}: plugins may not run as root (uid 0); name an unprivileged user")]
    Root(String),
    #[error("cannot read the user database: {0}")]
    Lookup(String),
}

/// Who plugins run as: `None` when Chroma itself is not root (a plugin then
/// runs as Chroma's user, which cannot read any undumpable Chroma service).
/// Read once per process.
pub fn plugin_user() -> Result<Option<PluginUser>, SandboxError> {
    static USER: OnceLock<Result<Option<PluginUser>, SandboxError>> = OnceLock::new();
    USER.get_or_init(|| {
        if !nix::unistd::geteuid().is_root() {
            return Ok(None);
        }
        let requested = REQUESTED_USER.get().cloned().flatten();
        resolve(requested.as_deref().map(str::trim).filter(|name| !name.is_empty())).map(Some)
    })
    .clone()
}

/// The user named by `requested`, or the default one.
fn resolve(requested: Option<&str>) -> Result<PluginUser, SandboxError> {
    let lookup = |name: &str| nix::unistd::User::from_name(name).map_err(|e| SandboxError::Lookup(e.to_string()));
    let user = match requested {
        Some(name) => lookup(name)?.ok_or_else(|| SandboxError::UnknownUser(name.to_owned()))?,
        None => match lookup(DEDICATED_USER)? {
            Some(user) => user,
            None => lookup("nobody")?.ok_or_else(|| SandboxError::UnknownUser("nobody".to_owned()))?,
        },
    };
    if user.uid.is_root() {
        return Err(SandboxError::Root(user.name));
    }
    Ok(PluginUser {
        name: user.name,
        uid: user.uid.as_raw(),
        gid: user.gid.as_raw(),
        home: user.dir,
    })
}

/// A copy of Chroma's SSH key that only the plugin user can read, in a
/// directory of its own; removed when dropped.
#[derive(Debug)]
pub struct KeyCopy {
    dir: PathBuf,
    path: PathBuf,
}

impl KeyCopy {
    /// Copies `key` for `user`.
    pub fn new(key: &Path, user: &PluginUser) -> io::Result<Self> {
        let text = std::fs::read(key)?;
        let dir = std::env::temp_dir().join(format!("chroma-plugin-key-{}", uuid::Uuid::now_v7()));
        DirBuilder::new().mode(0o700).create(&dir)?;
        // From here on the directory is removed if anything fails.
        let copy = Self {
            path: dir.join(key.file_name().unwrap_or("id_ed25519".as_ref())),
            dir,
        };
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&copy.path)?;
        file.write_all(&text)?;
        file.sync_all()?;
        std::os::unix::fs::chown(&copy.path, Some(user.uid), Some(user.gid))?;
        std::os::unix::fs::chown(&copy.dir, Some(user.uid), Some(user.gid))?;
        Ok(copy)
    }

    /// Where the plugin reads it.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for KeyCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugins_never_run_as_root() {
        assert!(matches!(resolve(Some("root")), Err(SandboxError::Root(_))));
        assert!(matches!(
            resolve(Some("no-such-user-here")),
            Err(SandboxError::UnknownUser(_))
        ));
    }

    #[test]
    fn the_default_user_is_unprivileged() -> anyhow::Result<()> {
        let user = resolve(None)?;
        assert_ne!(user.uid, 0);
        assert!(user.name == DEDICATED_USER || user.name == "nobody", "{user:?}");
        Ok(())
    }
}
