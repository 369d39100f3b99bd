//! Reading a server's host key without logging in: the console shows its
//! fingerprint so the operator can compare it with the server's own
//! (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`) before Chroma pins
//! it. The key is refused during the key exchange, so nothing is sent past
//! it and no credential is offered.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client;
use russh::keys::PublicKeyOrCertificate;

use crate::session::{open_stream, Target};
use crate::{Fingerprint, SshError};

/// The host key a server presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedKey {
    pub fingerprint: Fingerprint,
    /// The key's algorithm, e.g. `ssh-ed25519`.
    pub algorithm: String,
}

/// Records the key and refuses it.
struct Scanner {
    seen: Arc<Mutex<Option<ScannedKey>>>,
}

impl client::Handler for Scanner {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        let key = key.public_key();
        let scanned = ScannedKey {
            fingerprint: Fingerprint::of(&key),
            algorithm: key.algorithm().as_str().to_owned(),
        };
        *self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(scanned);
        Ok(false)
    }
}

/// The host key `target` presents, within `timeout`.
pub async fn scan_host_key(target: &Target, timeout: Duration) -> Result<ScannedKey, SshError> {
    let seen = Arc::new(Mutex::new(None));
    let scanner = Scanner {
        seen: Arc::clone(&seen),
    };
    let exchange = async {
        let stream = open_stream(target).await?;
        // Refusing the key ends the exchange with an error; the key is what we came for.
        let refused = client::connect_stream(Arc::new(client::Config::default()), stream, scanner).await;
        Ok::<_, SshError>(refused.err())
    };
    let ended = tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| SshError::ConnectTimeout {
            target: target.to_string(),
            timeout,
        })??;
    let scanned = seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
    scanned.ok_or_else(|| SshError::Protocol {
        target: target.to_string(),
        source: Box::new(ended.unwrap_or(russh::Error::UnknownKey)),
    })
}
