//! The SSH layer against a real OpenSSH server (Debian's `openssh-server`).

#![expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use chroma_ssh::{Fingerprint, HostKeyPolicy, KeyPair, PoolConfig, Pools, Session, SshError, Target};
use common::{timeouts, Sshd};

const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

async fn connect(sshd: &Sshd) -> Session {
    let policy = HostKeyPolicy::Pinned(sshd.host_fingerprint.clone());
    let connected = Session::connect(&sshd.target(), &sshd.client_key, policy, &timeouts()).await;
    let (session, seen) = connected.unwrap_or_else(|err| panic!("connect failed: {err}; sshd log:\n{}", sshd.log()));
    assert_eq!(seen, sshd.host_fingerprint);
    session
}

#[tokio::test]
async fn remote_program_receives_exactly_the_argv() {
    let sshd = Sshd::start().await;
    let session = connect(&sshd).await;
    let canary = sshd.dir.0.join("canary");
    let touch = format!("touch {}", canary.display());
    let hostile = [
        format!("$({touch})"),
        format!("`{touch}`"),
        format!("; {touch}"),
        format!("&& {touch}"),
        format!("| {touch}"),
        "it's \"quoted\"".to_owned(),
        "a  b".to_owned(),
        "line1\nline2".to_owned(),
        String::new(),
        "*".to_owned(),
        "/etc/pass??".to_owned(),
        "$HOME ${PATH}".to_owned(),
        "~".to_owned(),
        "\\n".to_owned(),
    ];
    let mut argv = vec!["printf".to_owned(), "<%s>\\n".to_owned()];
    argv.extend(hostile.iter().cloned());

    let out = session.exec(&argv, COMMAND_TIMEOUT).await.unwrap();

    let expected: String = hostile.iter().map(|arg| format!("<{arg}>\n")).collect();
    assert_eq!(out.stdout, expected);
    assert_eq!(out.stderr, "");
    assert_eq!(out.exit_status, Some(0));
    assert!(!canary.exists(), "a hostile argument ran a command on the server");

    // echo, as the brief's simplest case.
    let out = session
        .exec(&["echo", "$(id)", "`id`", "a b"], COMMAND_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(out.stdout, "$(id) `id` a b\n");
    session.close().await.unwrap();
}

#[tokio::test]
async fn input_reaches_the_command_and_writes_a_file_without_a_command_line() {
    let sshd = Sshd::start().await;
    let session = connect(&sshd).await;
    // Binary content, larger than one channel window, arrives whole.
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let dir = std::env::temp_dir().join(format!("chroma-ssh-input-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("sub/authkey");
    let path = path.to_str().unwrap();
    let out = session
        .exec_with_input(
            &["install", "-D", "-m", "0400", "/dev/stdin", path],
            Some(&content),
            COMMAND_TIMEOUT,
        )
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr);
    assert_eq!(std::fs::read(path).unwrap(), content);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(path).unwrap().permissions().mode() & 0o777, 0o400);
    let out = session
        .exec_with_input(&["wc", "-c"], Some(b"four"), COMMAND_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(out.stdout.trim(), "4");
    session.close().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn captures_stdout_stderr_and_exit_status() {
    let sshd = Sshd::start().await;
    let session = connect(&sshd).await;

    let out = session
        .exec(&["sh", "-c", "echo out; echo err >&2; exit 3"], COMMAND_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(out.stdout, "out\n");
    assert_eq!(out.stderr, "err\n");
    assert_eq!(out.exit_status, Some(3));
    assert_eq!(out.exit_signal, None);
    assert!(!out.success());

    // More than one channel window of output arrives whole.
    let out = session
        .exec(&["head", "-c", "3000000", "/dev/zero"], COMMAND_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(out.stdout.len(), 3_000_000);
    assert!(!out.truncated);
    assert!(out.success());

    let out = session
        .exec(&["sh", "-c", "kill -TERM $$"], COMMAND_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(out.exit_status, None);
    assert_eq!(out.exit_signal.as_deref(), Some("TERM"));

    let out = session.exec(&["/nonexistent/program"], COMMAND_TIMEOUT).await.unwrap();
    assert_eq!(out.exit_status, Some(127));
    assert!(out.stderr.contains("/nonexistent/program"), "{}", out.stderr);
}

#[tokio::test]
async fn command_timeout_closes_the_channel_and_keeps_the_session() {
    let sshd = Sshd::start().await;
    let session = connect(&sshd).await;

    // A distinctive duration so this test can find its own remote process.
    let duration = format!("30.{}", rand::random::<u32>());
    let started = Instant::now();
    let err = session
        .exec(&["sleep", &duration], Duration::from_millis(500))
        .await
        .unwrap_err();
    assert!(matches!(err, SshError::CommandTimeout { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(err.code(), "ssh_command_timeout");

    // OpenSSH refuses "signal" requests on root logins ("session signalling
    // requires privilege separation"), so as root the remote sleep outlives
    // its channel; end it here so the test leaves nothing behind.
    common::kill_processes(&["sleep", &duration]).await;

    let out = session.exec(&["echo", "still here"], COMMAND_TIMEOUT).await.unwrap();
    assert_eq!(out.stdout, "still here\n");
}

#[tokio::test]
async fn pinned_wrong_fingerprint_is_refused() {
    let sshd = Sshd::start().await;
    let other = KeyPair::generate().unwrap().fingerprint();
    let err = Session::connect(
        &sshd.target(),
        &sshd.client_key,
        HostKeyPolicy::Pinned(other.clone()),
        &timeouts(),
    )
    .await
    .unwrap_err();
    match err {
        SshError::HostKeyMismatch { expected, seen, .. } => {
            assert_eq!(expected, other.as_str());
            assert_eq!(seen, sshd.host_fingerprint.as_str());
        }
        other => panic!("expected HostKeyMismatch, got {other:?}"),
    }
    assert_eq!(sshd.accepted_logins(), 0);
}

#[tokio::test]
async fn trust_first_use_reports_the_key_ssh_keygen_shows() {
    let sshd = Sshd::start().await;
    let (session, seen) = Session::connect(
        &sshd.target(),
        &sshd.client_key,
        HostKeyPolicy::TrustFirstUse,
        &timeouts(),
    )
    .await
    .unwrap();
    let from_keygen = common::fingerprint_from_ssh_keygen(Path::new(&sshd.dir.0.join("host_ed25519.pub")));
    assert_eq!(seen, from_keygen);
    assert_eq!(session.host_key(), &from_keygen);
    session.close().await.unwrap();

    // The key seen first, once pinned, is accepted.
    connect(&sshd).await.close().await.unwrap();
}

#[tokio::test]
async fn unknown_client_key_is_refused() {
    let sshd = Sshd::start().await;
    let stranger = KeyPair::generate().unwrap();
    let policy = HostKeyPolicy::Pinned(sshd.host_fingerprint.clone());
    let err = Session::connect(&sshd.target(), &stranger, policy, &timeouts())
        .await
        .unwrap_err();
    assert!(matches!(err, SshError::AuthRefused { .. }), "{err:?}");
    assert!(err.to_string().contains("authorized_keys"), "{err}");
}

#[tokio::test]
async fn closed_port_is_connection_refused() {
    let target = Target::new("127.0.0.1", common::free_port(), "root");
    let key = KeyPair::generate().unwrap();
    let err = Session::connect(&target, &key, HostKeyPolicy::TrustFirstUse, &timeouts())
        .await
        .unwrap_err();
    assert!(matches!(err, SshError::ConnectionRefused { .. }), "{err:?}");
}

#[tokio::test]
async fn silent_server_hits_the_connect_timeout() {
    // Accepts TCP but never speaks SSH.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let target = Target::new("127.0.0.1", port, "root");
    let key = KeyPair::generate().unwrap();
    let mut short = timeouts();
    short.connect = Duration::from_millis(500);
    let err = Session::connect(&target, &key, HostKeyPolicy::TrustFirstUse, &short)
        .await
        .unwrap_err();
    assert!(matches!(err, SshError::ConnectTimeout { .. }), "{err:?}");
    drop(listener);
}

#[tokio::test]
async fn pool_reuses_one_session_and_recovers_after_sshd_restarts() {
    let mut sshd = Sshd::start().await;
    let pools = Pools::new(
        sshd.client_key.clone(),
        PoolConfig {
            timeouts: timeouts(),
            ..PoolConfig::default()
        },
    );
    let target = sshd.target();
    let fp = sshd.host_fingerprint.clone();

    for word in ["one", "two"] {
        let out = pools
            .exec(&target, &fp, &["echo", word], COMMAND_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(out.stdout, format!("{word}\n"));
    }
    assert_eq!(pools.status(&target).unwrap().size, 1);
    assert_eq!(sshd.accepted_logins(), 1, "two commands should share one login");

    sshd.restart().await;

    let out = pools
        .exec(&target, &fp, &["echo", "three"], COMMAND_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(out.stdout, "three\n");
    assert_eq!(pools.status(&target).unwrap().size, 1);
    assert_eq!(
        sshd.accepted_logins(),
        2,
        "the dead session should be replaced by one new login"
    );
}

#[tokio::test]
async fn pool_refuses_a_changed_host_key_and_runs_commands_in_parallel() {
    let sshd = Sshd::start().await;
    let pools = Pools::new(
        sshd.client_key.clone(),
        PoolConfig {
            timeouts: timeouts(),
            ..PoolConfig::default()
        },
    );
    let target = sshd.target();

    let wrong = KeyPair::generate().unwrap().fingerprint();
    let err = pools
        .exec(&target, &wrong, &["true"], COMMAND_TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(err, SshError::HostKeyMismatch { .. }), "{err:?}");

    // Re-pinned to the right key, four commands run at once on up to four sessions.
    let fp: Fingerprint = sshd.host_fingerprint.clone();
    let started = Instant::now();
    let runs = (0..4).map(|_| pools.exec(&target, &fp, &["sleep", "1"], COMMAND_TIMEOUT));
    for result in futures::future::join_all(runs).await {
        assert!(result.unwrap().success());
    }
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    assert!(pools.status(&target).unwrap().size <= 4);
}

#[tokio::test]
async fn host_going_down_mid_command_is_a_clear_error() {
    let mut sshd = Sshd::start().await;
    let session = connect(&sshd).await;
    let duration = format!("20.{}", rand::random::<u32>());
    let argv = ["sleep", duration.as_str()];
    let running = session.exec(&argv, COMMAND_TIMEOUT);
    let stop = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        sshd.stop().await;
    };
    let (result, ()) = tokio::join!(running, stop);
    let err = result.unwrap_err();
    assert!(matches!(err, SshError::Channel { .. }), "{err:?}");
    assert!(err.to_string().contains("connection was lost"), "{err}");
    assert!(err.to_string().contains(&duration), "{err}");
    // Killing sshd orphans the remote command; end it.
    common::kill_processes(&["sleep", &duration]).await;

    // The session knows it is dead, so a pool would discard it.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !session.is_closed() {
        assert!(Instant::now() < deadline, "session not marked closed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn pool_waits_for_a_free_session_then_times_out() {
    let sshd = Sshd::start().await;
    let config = PoolConfig {
        max_per_host: 1,
        wait_timeout: Duration::from_millis(300),
        timeouts: timeouts(),
    };
    let pools = Pools::new(sshd.client_key.clone(), config);
    let target = sshd.target();
    let fp = sshd.host_fingerprint.clone();

    let busy = pools.exec(&target, &fp, &["sleep", "2"], COMMAND_TIMEOUT);
    let waiting = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        pools.exec(&target, &fp, &["true"], COMMAND_TIMEOUT).await
    };
    let (busy, waiting) = tokio::join!(busy, waiting);
    assert!(busy.unwrap().success());
    let err = waiting.unwrap_err();
    assert!(matches!(err, SshError::PoolTimeout { .. }), "{err:?}");

    // Once the session is free again it is reused.
    assert!(pools
        .exec(&target, &fp, &["true"], COMMAND_TIMEOUT)
        .await
        .unwrap()
        .success());
    assert_eq!(sshd.accepted_logins(), 1);
}

/// Whether a process with exactly `argv` runs on this machine.
fn process_runs(argv: &[&str]) -> bool {
    let wanted: Vec<u8> = argv.iter().flat_map(|arg| arg.bytes().chain([0])).collect();
    std::fs::read_dir("/proc").into_iter().flatten().flatten().any(|entry| {
        entry.file_name().to_string_lossy().parse::<i32>().is_ok()
            && std::fs::read(entry.path().join("cmdline")).is_ok_and(|cmdline| cmdline == wanted)
    })
}

#[tokio::test]
async fn an_interrupted_command_is_killed_before_its_effect() {
    let sshd = Sshd::start().await;
    let session = connect(&sshd).await;
    let file = sshd.dir.0.join("effect");
    // A distinctive duration so this test can find its own remote process.
    let duration = format!("30.{}", rand::random::<u32>());
    let script = format!("sleep {duration}; touch {}", file.display());
    let interrupt = chroma_ssh::Interrupt::new();
    let running = {
        let interrupt = interrupt.clone();
        let script = script.clone();
        tokio::spawn(async move {
            interrupt
                .scope(async { session.exec(&["sh", "-c", &script], COMMAND_TIMEOUT * 6).await })
                .await
        })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !process_runs(&["sleep", &duration]) {
        assert!(Instant::now() < deadline, "the remote sleep never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let started = Instant::now();
    interrupt.interrupt();
    let err = running.await.unwrap().unwrap_err();
    assert!(
        matches!(err, SshError::Interrupted { stopped: true, .. }),
        "{err:?}\nsshd log:\n{}",
        sshd.log()
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    assert!(!interrupt.unconfirmed());
    // Nothing of the command is left: no sleep, no shell, and never its effect.
    assert!(
        !process_runs(&["sleep", &duration]),
        "the remote sleep outlived its interrupt"
    );
    assert!(
        !process_runs(&["sh", "-c", &script]),
        "the remote shell outlived its interrupt"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!file.exists(), "the interrupted command went on to its effect");
    common::kill_processes(&["sleep", &duration]).await;
}
