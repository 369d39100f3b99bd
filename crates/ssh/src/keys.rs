//! Chroma's own SSH key pair.
//!
//! Chroma authenticates to every server with one ed25519 key. The private key
//! lives at the path in `CHROMA_SSH_KEY` (callers read the variable; see
//! [`default_key_path`] for the fallback) and is created there on first use,
//! mode 0600, with the OpenSSH public key beside it as `<path>.pub` for
//! operators to put in `authorized_keys`.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use russh::keys::ssh_key::LineEnding;
use russh::keys::{Algorithm, PrivateKey};

use crate::{Fingerprint, SshError};

/// The environment variable holding the private key's path.
pub const KEY_PATH_ENV: &str = "CHROMA_SSH_KEY";

/// The comment written into a newly created key.
const KEY_COMMENT: &str = "chroma";

/// Where the key lives when `CHROMA_SSH_KEY` is unset:
/// `$HOME/.local/share/chroma/id_ed25519`. `None` when `HOME` is unset.
pub fn default_key_path() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").filter(|home| !home.is_empty())?;
    Some(PathBuf::from(home).join(".local/share/chroma/id_ed25519"))
}

/// Chroma's private key with its public half. Cheap to clone.
///
/// `Debug` shows only the fingerprint, never key material.
#[derive(Clone)]
pub struct KeyPair {
    private: Arc<PrivateKey>,
}

impl KeyPair {
    /// Load the key at `path`, creating an ed25519 key there (and its parent
    /// directories, mode 0700) if the file does not exist. The public key is
    /// (re)written to `<path>.pub` if that file is missing.
    ///
    /// Safe against several processes starting at once: the key is written
    /// to a temporary file and linked into place, so exactly one key wins and
    /// every process loads that one.
    #[tracing::instrument(skip_all, fields(path = %path.display()))]
    pub fn load_or_create(path: &Path) -> Result<Self, SshError> {
        let pair = match fs::read_to_string(path) {
            Ok(text) => {
                refuse_open_permissions(path)?;
                Self::parse(path, &text)?
            }
            Err(err) if err.kind() == ErrorKind::NotFound => Self::create(path)?,
            Err(source) => return Err(key_io(path, source)),
        };
        let public_path = public_key_path(path);
        if !public_path.exists() {
            fs::write(&public_path, format!("{}\n", pair.public_key_openssh())).map_err(|e| key_io(&public_path, e))?;
        }
        Ok(pair)
    }

    /// A fresh key held only in memory (tests, one-off tools).
    pub fn generate() -> Result<Self, SshError> {
        let mut private =
            PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519).map_err(|e| SshError::KeyInvalid {
                path: PathBuf::new(),
                message: format!("failed to generate an ed25519 key: {e}"),
            })?;
        private.set_comment(KEY_COMMENT);
        Ok(Self {
            private: Arc::new(private),
        })
    }

    /// The public key as one `authorized_keys` line, e.g.
    /// `ssh-ed25519 AAAA… chroma`.
    pub fn public_key_openssh(&self) -> String {
        let public = self.private.public_key();
        // Encoding an in-memory key cannot fail; fall back to the bare key
        // data rather than panic if it ever does.
        public
            .to_openssh()
            .unwrap_or_else(|_| format!("{} {}", public.algorithm(), public.comment()))
    }

    /// The SHA256 fingerprint of the public key, as `ssh-keygen -lf` prints it.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(self.private.public_key())
    }

    pub(crate) fn private_key(&self) -> Arc<PrivateKey> {
        Arc::clone(&self.private)
    }

    fn parse(path: &Path, text: &str) -> Result<Self, SshError> {
        let invalid = |message: String| SshError::KeyInvalid {
            path: path.to_owned(),
            message,
        };
        let private = PrivateKey::from_openssh(text).map_err(|e| invalid(e.to_string()))?;
        if private.is_encrypted() {
            return Err(invalid("the key is encrypted; Chroma needs an unencrypted key".into()));
        }
        Ok(Self {
            private: Arc::new(private),
        })
    }

    fn create(path: &Path) -> Result<Self, SshError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)
                .map_err(|e| key_io(parent, e))?;
        }
        let pair = Self::generate()?;
        let pem = pair
            .private
            .to_openssh(LineEnding::LF)
            .map_err(|e| SshError::KeyInvalid {
                path: path.to_owned(),
                message: format!("failed to encode the new key: {e}"),
            })?;
        let tmp = path.with_extension(format!("tmp.{}.{}", std::process::id(), rand::random::<u32>()));
        let written = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut file| file.write_all(pem.as_bytes()).and_then(|()| file.sync_all()));
        if let Err(source) = written {
            let _ = fs::remove_file(&tmp);
            return Err(key_io(&tmp, source));
        }
        let linked = fs::hard_link(&tmp, path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {
                tracing::info!(fingerprint = %pair.fingerprint(), "created Chroma's SSH key");
                Ok(pair)
            }
            // Another process created it first: use theirs.
            Err(err) if err.kind() == ErrorKind::AlreadyExists => {
                let text = fs::read_to_string(path).map_err(|e| key_io(path, e))?;
                Self::parse(path, &text)
            }
            Err(source) => Err(key_io(path, source)),
        }
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("fingerprint", &self.fingerprint().as_str())
            .finish_non_exhaustive()
    }
}

/// `<path>.pub`, where the public half of the key at `path` is written.
pub fn public_key_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

fn key_io(path: &Path, source: std::io::Error) -> SshError {
    SshError::KeyIo {
        path: path.to_owned(),
        source,
    }
}

/// Refuses a private key that its group or others may read or write, as
/// OpenSSH's client does ("UNPROTECTED PRIVATE KEY FILE"): anyone who can
/// read it can log in to every server Chroma manages.
fn refuse_open_permissions(path: &Path) -> Result<(), SshError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path).map_err(|e| key_io(path, e))?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(SshError::KeyInvalid {
            path: path.to_owned(),
            message: format!(
                "the private key is open to other users (mode {mode:04o}); make it private: chmod 600 {}",
                path.display()
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_key_others_can_read_is_refused_with_the_fix() {
        let dir = temp_dir("open");
        let path = dir.join("id_ed25519");
        KeyPair::load_or_create(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let refused = KeyPair::load_or_create(&path).err().unwrap().to_string();
        assert!(
            refused.contains("mode 0644") && refused.contains(&format!("chmod 600 {}", path.display())),
            "{refused}"
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert!(KeyPair::load_or_create(&path).is_ok());
        fs::remove_dir_all(dir).unwrap();
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "chroma-ssh-{name}-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn creates_the_key_private_with_its_public_half_beside_it() {
        let dir = temp_dir("keys");
        let path = dir.join("nested/deeper/id_ed25519");
        let pair = KeyPair::load_or_create(&path).unwrap();

        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let public = fs::read_to_string(public_key_path(&path)).unwrap();
        assert_eq!(public.trim_end(), pair.public_key_openssh());
        assert!(public.starts_with("ssh-ed25519 AAAA"), "{public}");
        assert!(public.trim_end().ends_with(" chroma"), "{public}");

        // ssh-keygen agrees with our fingerprint and can read our private key.
        let out = std::process::Command::new("ssh-keygen")
            .arg("-lf")
            .arg(&path)
            .output()
            .unwrap();
        let listed = String::from_utf8(out.stdout).unwrap();
        assert!(listed.contains(pair.fingerprint().as_str()), "{listed}");

        // Loading again gives the same key and does not touch the file.
        let again = KeyPair::load_or_create(&path).unwrap();
        assert_eq!(again.fingerprint(), pair.fingerprint());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rewrites_a_missing_public_key_from_the_private_key() {
        let dir = temp_dir("pub");
        let path = dir.join("id_ed25519");
        let pair = KeyPair::load_or_create(&path).unwrap();
        fs::remove_file(public_key_path(&path)).unwrap();
        KeyPair::load_or_create(&path).unwrap();
        assert_eq!(
            fs::read_to_string(public_key_path(&path)).unwrap().trim_end(),
            pair.public_key_openssh()
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_a_file_that_is_not_a_key() {
        let dir = temp_dir("bad");
        let path = dir.join("id_ed25519");
        fs::write(&path, "not a key").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let refused = KeyPair::load_or_create(&path);
        assert!(matches!(refused, Err(SshError::KeyInvalid { .. })));
        assert!(
            !refused.err().unwrap().to_string().contains("chmod"),
            "refused for its content"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn debug_does_not_show_key_material() {
        let pair = KeyPair::generate().unwrap();
        let shown = format!("{pair:?}");
        assert!(shown.contains("SHA256:"), "{shown}");
        assert!(!shown.contains("PRIVATE"), "{shown}");
    }

    #[test]
    fn default_path_is_under_home() {
        if let Some(path) = default_key_path() {
            assert!(path.ends_with(".local/share/chroma/id_ed25519"));
        }
    }
}
