//! `lustre-sim exec HOST -- COMMAND…` as real processes: one command per
//! process against the saved state, with the command's output and status,
//! and no update lost when two hosts' commands race.
#![expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A directory removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("lustre-sim-oneshot-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `lustre-sim --state-dir DIR --hosts mds1,oss1,oss2 exec HOST -- ARGS`.
fn exec(dir: &Path, host: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lustre-sim"))
        .arg("--state-dir")
        .arg(dir)
        .args(["--hosts", "mds1,oss1,oss2", "exec", host, "--"])
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn state(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("state.json")).unwrap()).unwrap()
}

#[test]
fn exec_runs_one_command_and_exits_with_its_status() {
    let dir = TempDir::new("status");
    let out = exec(&dir.0, "mds1", &["mkfs.lustre", "--mgs", "/dev/sdb"]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Permanent disk data"));
    assert_eq!(
        exec(&dir.0, "mds1", &["mount", "-t", "lustre", "/dev/sdb", "/mnt/mgs"])
            .status
            .code(),
        Some(0)
    );
    let listed = exec(&dir.0, "mds1", &["mount", "-t", "lustre"]);
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout),
        "/dev/sdb on /mnt/mgs type lustre (ro,svname=MGS,nosvc,mgs,osd=osd-ldiskfs)\n"
    );
    let again = exec(&dir.0, "mds1", &["mount", "-t", "lustre", "/dev/sdb", "/mnt/mgs"]);
    assert_eq!(again.status.code(), Some(114));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already running"));
    let elsewhere = exec(&dir.0, "oss1", &["umount", "/mnt/mgs"]);
    assert_eq!(elsewhere.status.code(), Some(32));
    assert_eq!(exec(&dir.0, "mds1", &["nosuch"]).status.code(), Some(127));
    assert_eq!(state(&dir.0)["mounts"][0]["host"], "mds1");
}

#[test]
fn racing_hosts_lose_no_update() {
    let dir = TempDir::new("race");
    // Both hosts of the pair see /dev/sdc: each reformat counts once.
    let mkfs = [
        "mkfs.lustre",
        "--reformat",
        "--ost",
        "--fsname=fs1",
        "--index=0",
        "--mgsnode=10.0.0.1@tcp",
        "/dev/sdc",
    ];
    const EACH: usize = 15;
    let workers: Vec<_> = ["oss1", "oss2"]
        .into_iter()
        .map(|host| {
            let dir = dir.0.clone();
            std::thread::spawn(move || {
                for _ in 0..EACH {
                    let out = exec(&dir, host, &mkfs);
                    assert!(out.status.success(), "{out:?}");
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let devices = state(&dir.0)["devices"].clone();
    let count: u64 = devices
        .as_object()
        .unwrap()
        .values()
        .map(|d| d["format_count"].as_u64().unwrap())
        .sum();
    assert_eq!(count, 2 * EACH as u64);
}
