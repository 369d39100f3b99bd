//! A worker step over Debian's real OpenSSH `sshd` (not only lustre-sim's
//! russh server): adding a host pins sshd's key, runs the probe's commands
//! and records what the machine is; a host presenting another key than the
//! one given is refused and raises a `host_key_changed` alert.

#![expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]

#[path = "../../crates/ssh/tests/common/mod.rs"]
mod sshd;

use integration_tests::TestEnv;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_step_runs_over_openssh_and_a_changed_key_raises_an_alert() -> anyhow::Result<()> {
    let mut env = TestEnv::start("openssh").await?;
    env.scheduler().await?;
    env.worker(2).await?;
    let server = sshd::Sshd::start().await;
    // sshd accepts Chroma's own key, as an operator would install it.
    let key = chroma_ssh::KeyPair::load_or_create(&env.settings.ssh_key_path)?;
    std::fs::write(
        server.dir.0.join("authorized_keys"),
        format!("{}\n", key.public_key_openssh()),
    )?;
    let (status, shown) = env.get("/api/ssh_key").await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["response"]["public_key"], key.public_key_openssh().trim());

    let body = json!({"address": "127.0.0.1", "port": server.port});
    let (status, envelope) = env.post("/api/host", &body).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let command = envelope["response"]["command"].as_str().unwrap().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}\nsshd log:\n{}", server.log());
    let id = envelope["response"]["host"]["id"].as_str().unwrap();
    let (_, host) = env.get(&format!("/api/host/{id}")).await?;
    let host = &host["response"];
    assert_eq!(host["state"], "managed", "{host}");
    assert_eq!(host["fingerprint"], server.host_fingerprint.as_str());
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")?;
    assert_eq!(host["nodename"], hostname.trim());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")?;
    assert_eq!(host["kernel"], kernel.trim());
    assert!(server.accepted_logins() >= 1);
    // This Debian machine has no Lustre: its pre-flight checks say so.
    assert_eq!(host["serves_lustre"], false, "{host}");
    assert_eq!(host["lnet_transitions"], json!([]), "{host}");
    let checks = host["preflight"]["checks"].as_array().cloned().unwrap_or_default();
    for name in ["lustre_tools", "server_utilities", "lnet_tools"] {
        let check = checks.iter().find(|c| c["name"] == name).unwrap();
        assert_eq!(check["status"], "fail", "{check}");
    }

    // The same sshd under another name, with a different key expected.
    let other = chroma_ssh::KeyPair::generate()?.fingerprint();
    let body = json!({"address": "localhost", "port": server.port, "fingerprint": other.as_str()});
    let (status, envelope) = env.post("/api/host", &body).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let command = envelope["response"]["command"].as_str().unwrap().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "failed", "{done}");
    let id = envelope["response"]["host"]["id"].as_str().unwrap();
    let (_, alerts) = env.get("/api/alert?active=true").await?;
    let alerts = alerts["response"]["objects"].as_array().cloned().unwrap_or_default();
    let alert = alerts
        .iter()
        .find(|a| a["kind"] == "host_key_changed" && a["item"] == format!("host/{id}"))
        .unwrap_or_else(|| panic!("no host_key_changed alert: {alerts:?}"));
    assert_eq!(alert["severity"], "error");
    assert!(
        alert["message"]
            .as_str()
            .unwrap()
            .contains(server.host_fingerprint.as_str()),
        "{alert}"
    );
    env.stop().await
}
