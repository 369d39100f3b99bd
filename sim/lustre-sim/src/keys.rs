//! SSH keys: per-host ed25519 host keys kept in the state directory (so
//! fingerprints survive restarts) and the authorized-keys check.

use std::path::Path;

use anyhow::Context as _;
use russh::keys::ssh_key::{AuthorizedKeys, LineEnding};
use russh::keys::{Algorithm, HashAlg, PrivateKey, PublicKey};

/// Loads the host key at `path`, generating and saving one (mode 0600) if
/// the file does not exist.
pub fn load_or_create_host_key(path: &Path) -> anyhow::Result<PrivateKey> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            PrivateKey::from_openssh(text).with_context(|| format!("failed to parse host key {}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = generate_ed25519()?;
            let text = key.to_openssh(LineEnding::LF).context("failed to encode host key")?;
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("failed to create {}", parent.display()))?;
            }
            write_private(path, text.as_bytes())?;
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("failed to read host key {}", path.display())),
    }
}

/// A new random ed25519 key pair.
pub fn generate_ed25519() -> anyhow::Result<PrivateKey> {
    PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519).context("failed to generate an ed25519 key")
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("failed to create {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("failed to write {}", path.display()))
}

/// The OpenSSH-style SHA-256 fingerprint, `SHA256:<base64>`.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// Whether `key` is listed in the authorized-keys file at `path` (OpenSSH
/// format; options and comments allowed). The file is read on every call,
/// so edits apply to the next login. A missing file authorizes nobody.
pub fn is_authorized(path: &Path, key: &PublicKey) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        tracing::warn!(path = %path.display(), "authorized keys file unreadable; refusing login");
        return false;
    };
    AuthorizedKeys::new(&text)
        .filter_map(Result::ok)
        .any(|entry| entry.public_key().key_data() == key.key_data())
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;

    #[test]
    fn host_keys_persist_and_authorized_keys_match() {
        let dir = std::env::temp_dir().join(format!("lustre-sim-keys-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("host_ed25519");
        let first = load_or_create_host_key(&path).unwrap();
        let second = load_or_create_host_key(&path).unwrap();
        assert_eq!(fingerprint(first.public_key()), fingerprint(second.public_key()));
        assert!(fingerprint(first.public_key()).starts_with("SHA256:"));

        let client = generate_ed25519().unwrap();
        let other = generate_ed25519().unwrap();
        let auth = dir.join("authorized_keys");
        let line = client.public_key().to_openssh().unwrap();
        std::fs::write(&auth, format!("# comment\n\nno-pty {line} me@host\n")).unwrap();
        assert!(is_authorized(&auth, client.public_key()));
        assert!(!is_authorized(&auth, other.public_key()));
        assert!(!is_authorized(&dir.join("missing"), client.public_key()));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
