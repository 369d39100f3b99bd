//! OpenSSH SHA256 host-key fingerprints.
//!
//! Chroma pins a host's key by its fingerprint, in the exact form
//! `ssh-keygen -lf` prints (`SHA256:` then unpadded base64), so operators
//! can compare what the console shows with what the server reports.

use std::fmt;
use std::str::FromStr;

use russh::keys::{HashAlg, PublicKey};

use crate::SshError;

/// A validated `SHA256:<base64>` fingerprint of an SSH public key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// Parse a fingerprint as printed by `ssh-keygen -lf` (surrounding
    /// whitespace is ignored). Only SHA256 fingerprints are accepted.
    pub fn parse(value: &str) -> Result<Self, SshError> {
        let trimmed = value.trim();
        let invalid = || SshError::InvalidFingerprint {
            value: value.to_owned(),
        };
        let parsed = russh::keys::ssh_key::Fingerprint::from_str(trimmed).map_err(|_| invalid())?;
        if parsed.algorithm() != HashAlg::Sha256 {
            return Err(invalid());
        }
        // Re-render so equal keys always compare equal as strings.
        Ok(Self(parsed.to_string()))
    }

    /// The SHA256 fingerprint of `key`.
    pub fn of(key: &PublicKey) -> Self {
        Self(key.fingerprint(HashAlg::Sha256).to_string())
    }

    /// The fingerprint as text, e.g. `SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Fingerprint {
    type Err = SshError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;

    // The key and fingerprint are from `ssh-keygen -t ed25519` / `ssh-keygen -lf`.
    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKbx1TDDWLujAXquonS/8rxHvb8lxunKzunv4dhP5/2K test";
    const FINGERPRINT: &str = "SHA256:7LbMRHQWFHGwMb1yiYNMFf9aJ1ANfXcSAa9WSDtxfJA";

    #[test]
    fn of_matches_the_openssh_format() {
        let key = PublicKey::from_openssh(KEY).unwrap();
        let fp = Fingerprint::of(&key);
        assert_eq!(fp.as_str(), FINGERPRINT);
        assert_eq!(Fingerprint::parse(fp.as_str()).unwrap(), fp);
        assert_eq!(Fingerprint::parse(&format!("  {fp}\n")).unwrap(), fp);
    }

    #[test]
    fn parse_refuses_other_forms() {
        for bad in [
            "",
            "SHA256:",
            "MD5:aa:bb",
            "SHA256:not base64!",
            "uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
        ] {
            assert!(
                matches!(Fingerprint::parse(bad), Err(SshError::InvalidFingerprint { .. })),
                "{bad:?}"
            );
        }
    }
}
