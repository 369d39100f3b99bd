//! A real OpenSSH `sshd` for tests: its own config, host key and
//! authorized_keys in a temporary directory, listening on a free loopback
//! port, killed (with its per-connection children) when dropped.

#![allow(dead_code, reason = "each test binary uses a different part of the harness")]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use chroma_ssh::{Fingerprint, KeyPair, Target, Timeouts};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

const SSHD: &str = "/usr/sbin/sshd";
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Timeouts short enough that a broken test fails fast, long enough for a
/// loaded two-core CI machine.
pub fn timeouts() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(10),
        keepalive: Some(Duration::from_secs(5)),
    }
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "chroma-ssh-{name}-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `sshd` and the client key it accepts.
pub struct Sshd {
    pub dir: TempDir,
    pub port: u16,
    pub client_key: KeyPair,
    pub host_fingerprint: Fingerprint,
    child: Option<Child>,
}

impl Sshd {
    /// Start `sshd` accepting a freshly created client key.
    pub async fn start() -> Self {
        assert!(
            Path::new(SSHD).exists(),
            "{SSHD} is missing: these tests need OpenSSH's server; run `apt-get install -y openssh-server`"
        );
        // Privilege separation needs this directory; it is not created on
        // hosts where the ssh service never ran.
        std::fs::create_dir_all("/run/sshd").unwrap();

        let dir = TempDir::new("sshd");
        let host_key = dir.0.join("host_ed25519");
        let status = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&host_key)
            .status()
            .unwrap();
        assert!(status.success(), "ssh-keygen failed");
        let host_fingerprint = fingerprint_from_ssh_keygen(&host_key.with_extension("pub"));

        // Chroma's key, created by the code under test, is what sshd accepts.
        let client_key = KeyPair::load_or_create(&dir.0.join("client/id_ed25519")).unwrap();
        let authorized = dir.0.join("authorized_keys");
        std::fs::copy(dir.0.join("client/id_ed25519.pub"), &authorized).unwrap();

        let config = format!(
            "ListenAddress 127.0.0.1\n\
             HostKey {host_key}\n\
             AuthorizedKeysFile {authorized}\n\
             PidFile none\n\
             UsePAM no\n\
             StrictModes no\n\
             PasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n\
             PubkeyAuthentication yes\n\
             PermitRootLogin prohibit-password\n\
             LogLevel VERBOSE\n",
            host_key = host_key.display(),
            authorized = authorized.display(),
        );
        std::fs::write(dir.0.join("sshd_config"), config).unwrap();

        let mut sshd = Self {
            dir,
            port: 0,
            client_key,
            host_fingerprint,
            child: None,
        };
        sshd.spawn_with_retries(true).await;
        sshd
    }

    /// Where to connect, as the current user (root in CI).
    pub fn target(&self) -> Target {
        Target::new("127.0.0.1", self.port, current_user())
    }

    /// sshd's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.0.join("sshd.log")).unwrap_or_default()
    }

    /// How many logins sshd has accepted.
    pub fn accepted_logins(&self) -> usize {
        self.log().matches("Accepted publickey").count()
    }

    /// Kill sshd and every connection it serves, then start it again on the
    /// same port with the same host key.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.spawn_with_retries(false).await;
    }

    /// Kill sshd and every connection it serves.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Some(pid) = child.id() {
                kill_children(pid);
            }
            let _ = child.kill().await;
        }
    }

    /// Start sshd on `self.port`; `Err` (with its log) if it exited, e.g.
    /// because another process took the port.
    async fn spawn(&mut self) -> Result<(), String> {
        let listening = format!("Server listening on 127.0.0.1 port {}.", self.port);
        let before = self.log().matches(&listening).count();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.0.join("sshd.log"))
            .unwrap();
        // In a mount namespace of its own where root's ~/.bashrc reads as
        // empty: bash runs it for every command sshd serves, and a build
        // machine's (pyenv's `init`, which rehashes under a lock file that
        // an ended session leaves behind) would make commands wait a minute.
        // A Lustre server's root has no such start-up; the test should not
        // depend on this machine's.
        let child = Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg("[ -e /root/.bashrc ] && mount --bind /dev/null /root/.bashrc; exec \"$0\" \"$@\"")
            .arg(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(self.dir.0.join("sshd_config"))
            .arg("-p")
            .arg(self.port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        self.child = Some(child);
        // Wait for this sshd to say it listens: a successful TCP connect could
        // reach some other process that holds the port.
        let deadline = Instant::now() + START_TIMEOUT;
        while self.log().matches(&listening).count() == before {
            assert!(
                Instant::now() < deadline,
                "sshd did not listen within {START_TIMEOUT:?}; log:\n{}",
                self.log()
            );
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                return Err(format!("sshd exited with {status}; log:\n{}", self.log()));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// Start sshd, retrying a few times: on a new port if `new_port`.
    async fn spawn_with_retries(&mut self, new_port: bool) {
        let mut last = String::new();
        for _ in 0..5 {
            if new_port {
                self.port = free_port();
            }
            match self.spawn().await {
                Ok(()) => return,
                Err(err) => last = err,
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("sshd would not start: {last}");
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        // Connection processes outlive the listener; end them too. The
        // listener itself is killed by kill_on_drop.
        if let Some(pid) = self.child.as_ref().and_then(Child::id) {
            kill_children(pid);
        }
    }
}

/// The fingerprint `ssh-keygen -lf` prints for a public key file.
pub fn fingerprint_from_ssh_keygen(public_key: &Path) -> Fingerprint {
    let out = std::process::Command::new("ssh-keygen")
        .arg("-lf")
        .arg(public_key)
        .output()
        .unwrap();
    assert!(out.status.success(), "ssh-keygen -lf failed: {out:?}");
    let line = String::from_utf8(out.stdout).unwrap();
    let field = line.split_whitespace().nth(1).unwrap();
    Fingerprint::parse(field).unwrap()
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The user this test runs as.
pub fn current_user() -> String {
    let out = std::process::Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// SIGKILL the processes running with exactly this argv (make it unique),
/// waiting up to five seconds for one to appear (the remote shell may not
/// have exec'd it yet).
pub async fn kill_processes(argv: &[&str]) {
    let wanted: Vec<u8> = argv.iter().flat_map(|arg| arg.bytes().chain([0])).collect();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let mut killed = false;
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            if std::fs::read(entry.path().join("cmdline")).is_ok_and(|cmdline| cmdline == wanted) {
                killed |= kill(Pid::from_raw(pid), Signal::SIGKILL).is_ok();
            }
        }
        if killed {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// SIGKILL every process whose parent is `parent` (sshd's connection
/// processes, which call setsid and so leave its process group).
fn kill_children(parent: u32) {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // Fields after the parenthesised command name: state, ppid, …
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1));
        if ppid == Some(parent.to_string().as_str()) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}
