//! What a plugin can reach of the process that starts it: a plugin that
//! tries to read its parent's environment, its own, and the SSH key it is
//! given, and reports what it saw. Chroma runs as root here, as it may in
//! production: the plugin must not see the database password either way.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use plugin_host::process::{PluginProcess, INITIALIZE_LIMIT};
use plugin_host::protocol::Manifest;
use serde_json::json;

const PASSWORD: &str = "db-password-the-plugin-must-not-see";

/// Reports its uid, its environment, its parent's environment (or why it
/// could not read it), and the SSH key it was given (or why not).
const SNOOP: &str = r#"import json, os, sys
request = json.loads(sys.stdin.readline())
key = request["params"].get("ssh_key", "")
original = request["params"].get("original_key", "")
seen = {"uid": os.getuid(), "groups": os.getgroups(), "env": dict(os.environ), "key_path": key}
def read(name, path):
    try:
        with open(path, "rb") as f:
            seen[name] = f.read().decode("latin-1")
    except Exception as e:
        seen[name + "_error"] = str(e)
read("parent_environ", "/proc/%d/environ" % os.getppid())
read("parent_mem_maps", "/proc/%d/maps" % os.getppid())
read("key", key)
read("original_key", original)
print(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": seen}), flush=True)
sys.stdin.readline()
"#;

fn private_dir(name: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("plugin-host-{name}-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The snooping plugin, in a directory any user may read (as an installed plugin is).
fn snoop() -> anyhow::Result<Manifest> {
    let dir = private_dir("snoop")?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))?;
    let path = dir.join("plugin.py");
    std::fs::write(&path, SNOOP)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
    Ok(Manifest {
        name: "snoop".to_owned(),
        command: vec!["python3".to_owned(), path.display().to_string()],
        env: Default::default(),
        detect_interval_seconds: 60,
        monitor_interval_seconds: 10,
    })
}

/// Chroma's SSH key as Chroma keeps it: readable by its owner only.
fn private_key(dir: &Path) -> anyhow::Result<PathBuf> {
    let key = dir.join("id_ed25519");
    std::fs::write(&key, "-----BEGIN OPENSSH PRIVATE KEY-----\nnot really a key\n")?;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))?;
    Ok(key)
}

/// Set in the copy of this test that runs with Chroma's secrets in its environment.
const CHILD: &str = "PLUGIN_HOST_BOUNDARY_CHILD";

/// Runs test `name` again in a process started with the secrets in its
/// environment, as Chroma's processes are (`/proc/PID/environ` shows the
/// environment a process started with, not later changes).
fn in_a_process_with_secrets(name: &str) -> anyhow::Result<()> {
    let status = std::process::Command::new(std::env::current_exe()?)
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("DATABASE_URL", format!("postgres://chroma:{PASSWORD}@127.0.0.1/chroma"))
        .env("CHROMA_ADMIN_PASSWORD", PASSWORD)
        .status()?;
    anyhow::ensure!(status.success(), "{name} with secrets in the environment: {status}");
    Ok(())
}

#[tokio::test]
async fn a_plugin_sees_neither_the_database_password_nor_chromas_environment() -> anyhow::Result<()> {
    if std::env::var_os(CHILD).is_none() {
        return in_a_process_with_secrets("a_plugin_sees_neither_the_database_password_nor_chromas_environment");
    }
    let dir = private_dir("key")?;
    let key = private_key(&dir)?;

    let mut process = PluginProcess::spawn(&snoop()?)?;
    let params = json!({"protocol": 1, "chroma_version": "0.1.0", "hosts": [], "ssh_key": key, "original_key": key});
    let seen = process.call("initialize", params, INITIALIZE_LIMIT).await?;
    process.kill().await;

    let text = seen.to_string();
    assert!(!text.contains(PASSWORD), "the plugin saw the password: {text}");
    let env = seen["env"].as_object().cloned().unwrap_or_default();
    assert!(
        !env.contains_key("DATABASE_URL") && !env.contains_key("CHROMA_ADMIN_PASSWORD"),
        "{env:?}"
    );
    assert!(
        seen["parent_environ_error"].is_string(),
        "the plugin read its parent's environment: {}",
        seen["parent_environ"]
    );
    assert!(
        seen["parent_mem_maps_error"].is_string(),
        "the plugin read its parent's memory map"
    );
    if nix::unistd::geteuid().is_root() {
        assert_ne!(seen["uid"], json!(0), "the plugin runs as root");
        let groups = seen["groups"].as_array().cloned().unwrap_or_default();
        assert!(!groups.contains(&json!(0)), "the plugin kept root's group: {groups:?}");
        assert!(
            seen["original_key_error"].is_string(),
            "the plugin read Chroma's own key file"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_plugin_can_read_the_ssh_key_it_is_given_until_it_stops() -> anyhow::Result<()> {
    let dir = private_dir("key")?;
    let key = private_key(&dir)?;
    let mut process = PluginProcess::spawn(&snoop()?)?;
    let params = json!({"protocol": 1, "chroma_version": "0.1.0", "hosts": [], "ssh_key": key});
    let seen = process.call("initialize", params, INITIALIZE_LIMIT).await?;
    assert_eq!(
        seen["key"].as_str(),
        Some(std::fs::read_to_string(&key)?.as_str()),
        "{seen}"
    );
    let given = PathBuf::from(seen["key_path"].as_str().unwrap_or_default());
    process.shutdown().await.ok();
    if nix::unistd::geteuid().is_root() {
        assert_ne!(given, key, "a plugin of another user gets a copy");
        assert!(!given.exists(), "the copy outlived the plugin: {}", given.display());
    }
    Ok(())
}
