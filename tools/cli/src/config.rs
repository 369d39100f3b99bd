//! The CLI's config file (`$XDG_CONFIG_HOME/chroma/cli.json`, or
//! `$CHROMA_CONFIG`): the server URL and the session token `chroma login`
//! obtained. Readable by its owner only, since the token is a credential.

use std::fmt;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{CliError, Result};

/// Where the API is when nothing says otherwise.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8080";

/// What the config file holds.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

// The token never prints.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The config file's path.
pub fn path() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMA_CONFIG").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    dirs::config_dir()
        .map(|dir| dir.join("chroma").join("cli.json"))
        .ok_or_else(|| CliError::Local("cannot find a config directory; set CHROMA_CONFIG or XDG_CONFIG_HOME".into()))
}

/// The config at `path`; empty if there is none.
pub fn load(path: &Path) -> Result<Config> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| CliError::Local(format!("config file {} is malformed: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
        Err(e) => Err(CliError::Local(format!("failed to read {}: {e}", path.display()))),
    }
}

/// Writes `config` to `path` with mode 0600 (its directory 0700), replacing
/// the old file atomically.
pub fn save(path: &Path, config: &Config) -> Result<()> {
    let fail = |what: &str, e: std::io::Error| CliError::Local(format!("failed to {what} {}: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| fail("create the directory of", e))?;
    }
    let text = serde_json::to_vec_pretty(config).map_err(|e| CliError::Local(e.to_string()))?;
    let temporary = path.with_extension(format!("tmp.{}", std::process::id()));
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)
        .map_err(|e| fail("write", e))?;
    // `mode` applies only to a new file; a stale temporary keeps its own.
    file.set_permissions(fs::Permissions::from_mode(0o600))
        .map_err(|e| fail("set the permissions of", e))?;
    file.write_all(&text).map_err(|e| fail("write", e))?;
    file.sync_all().map_err(|e| fail("write", e))?;
    fs::rename(&temporary, path).map_err(|e| fail("write", e))
}

/// Where to connect and with what token: flags and environment first, then
/// the config file (its token only if it was issued by the same server),
/// then the default URL.
pub fn effective(url: Option<&str>, token: Option<&str>, config: &Config) -> (String, Option<String>) {
    let normal = |u: &str| u.trim_end_matches('/').to_owned();
    let url = url
        .or(config.url.as_deref())
        .map_or_else(|| DEFAULT_URL.to_owned(), normal);
    let token = match token {
        Some(token) => Some(token.to_owned()),
        None if config.url.as_deref().map(normal).as_deref() == Some(url.as_str()) => config.token.clone(),
        None => None,
    };
    (url, token)
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;

    fn config(url: &str, token: &str) -> Config {
        Config {
            url: Some(url.into()),
            token: Some(token.into()),
        }
    }

    #[test]
    fn flags_beat_the_config_file() {
        let saved = config("http://a:8080", "saved");
        assert_eq!(
            effective(Some("http://b:8080"), Some("flag"), &saved),
            ("http://b:8080".into(), Some("flag".into()))
        );
        assert_eq!(
            effective(None, None, &saved),
            ("http://a:8080".into(), Some("saved".into()))
        );
    }

    #[test]
    fn a_saved_token_goes_only_to_its_server() {
        let saved = config("http://a:8080/", "saved");
        assert_eq!(
            effective(Some("http://a:8080"), None, &saved),
            ("http://a:8080".into(), Some("saved".into()))
        );
        assert_eq!(
            effective(Some("http://b:8080"), None, &saved),
            ("http://b:8080".into(), None)
        );
    }

    #[test]
    fn the_default_url_is_local() {
        assert_eq!(effective(None, None, &Config::default()), (DEFAULT_URL.into(), None));
    }

    #[test]
    fn saved_config_is_private_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chroma").join("cli.json");
        assert_eq!(load(&path).unwrap(), Config::default());
        let saved = config("http://a:8080", "secret");
        save(&path, &saved).unwrap();
        assert_eq!(load(&path).unwrap(), saved);
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir_mode = fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777;
        assert_eq!(dir_mode, 0o700);
    }

    #[test]
    fn a_malformed_file_names_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cli.json");
        fs::write(&path, "{not json").unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert!(err.contains("cli.json"), "{err}");
    }

    #[test]
    fn the_token_never_prints() {
        let text = format!("{:?}", config("http://a", "secret"));
        assert!(!text.contains("secret"), "{text}");
    }
}
