//! Chroma's SSH client layer.
//!
//! Workers reach Lustre servers over SSH. This crate holds everything they
//! need for that and nothing else:
//!
//! - [`keys`]: Chroma's own ed25519 key pair, created on first use.
//! - [`fingerprint`]: OpenSSH `SHA256:…` host-key fingerprints, for pinning.
//! - [`quote`]: turning an argv into a command line no remote shell can
//!   misread.
//! - [`session`]: one connection (`connect`, `exec`, `close`) with host-key
//!   verification, connect and command timeouts.
//! - [`output`]: a command's stdout, stderr and exit status or signal.
//! - [`pool`]: a small pool of sessions per host, so steps reuse connections.
//! - [`interrupt`]: stopping a running remote command for real.
//!
//! ```no_run
//! use std::time::Duration;
//! use chroma_ssh::{default_key_path, HostKeyPolicy, KeyPair, PoolConfig, Pools, Session, Target, Timeouts};
//!
//! # async fn example() -> Result<(), chroma_ssh::SshError> {
//! let path = std::env::var_os(chroma_ssh::KEY_PATH_ENV).map(Into::into).or_else(default_key_path);
//! let key = KeyPair::load_or_create(&path.unwrap_or_else(|| "id_ed25519".into()))?;
//! let target = Target::new("10.0.0.5", 22, "root");
//!
//! // Adding a host: accept the key seen first and pin it.
//! let (session, fingerprint) =
//!     Session::connect(&target, &key, HostKeyPolicy::TrustFirstUse, &Timeouts::default()).await?;
//! session.close().await?;
//!
//! // Every later command: pooled, pinned, quoted, bounded.
//! let pools = Pools::new(key, PoolConfig::default());
//! let out = pools.exec(&target, &fingerprint, &["lctl", "get_param", "-n", "version"], Duration::from_secs(30)).await?;
//! println!("{} (exit {:?})", out.stdout, out.exit_status);
//! # Ok(())
//! # }
//! ```

pub mod error;
pub mod fingerprint;
pub mod follow;
pub mod interrupt;
pub mod keys;
pub mod output;
pub mod pool;
pub mod quote;
pub mod scan;
pub mod session;

pub use error::SshError;
pub use fingerprint::Fingerprint;
pub use follow::Follow;
pub use interrupt::Interrupt;
pub use keys::{default_key_path, KeyPair, KEY_PATH_ENV};
pub use output::{ExecOutput, MAX_STREAM_BYTES};
pub use pool::{PoolConfig, Pools};
pub use quote::command_line;
pub use scan::{scan_host_key, ScannedKey};
pub use session::{HostKeyPolicy, Session, Target, Timeouts};
