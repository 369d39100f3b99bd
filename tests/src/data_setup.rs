//! The setup the data-management tests (quotas, HSM, mirrors) share: a
//! simulated cluster of `mds1`, the failover pair `oss1`/`oss2` and a
//! client host `cli1`, file system `fs1` created on it (MGT and MDT on
//! mds1, four OSTs on the pair), and a client mount of it on `cli1` once
//! the test has checked what is refused without one.

use serde_json::{json, Value};

use crate::lustre::{volumes_request, LONG};
use crate::TestEnv;

/// The hosts, in order, of the cluster [`filesystem_with_client`] starts.
pub const HOSTS: [&str; 4] = ["mds1", "oss1", "oss2", "cli1"];

/// Where [`FilesystemWithClient::mount`] mounts `fs1` on `cli1`.
pub const MOUNTPOINT: &str = "/mnt/fs1";

/// A cluster with file system `fs1` available and a client host.
pub struct FilesystemWithClient {
    pub cluster: lustre_sim::ClusterHandle,
    /// The simulator's state directory.
    pub state: std::path::PathBuf,
    /// Host ids, in the order of [`HOSTS`].
    pub hosts: Vec<String>,
    /// `fs1`'s id.
    pub fs_id: String,
}

/// Starts the cluster of [`HOSTS`] (without Pacemaker), adds its hosts and
/// creates `fs1`, waiting for it to be available. The client host has no
/// mount yet: see [`FilesystemWithClient::mount`].
pub async fn filesystem_with_client(env: &mut TestEnv) -> anyhow::Result<FilesystemWithClient> {
    let (cluster, state) = env.simulated_cluster_without_pacemaker(&HOSTS, &HOSTS).await?;
    let hosts = env.add_hosts(&cluster).await?;
    let request = volumes_request(env, &hosts, "fs1").await?;
    let envelope = succeeded(env, "/api/filesystem", &request).await?;
    let fs_id = envelope["response"]["filesystem"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok(FilesystemWithClient {
        cluster,
        state,
        hosts,
        fs_id,
    })
}

impl FilesystemWithClient {
    /// The client host `cli1` as the simulator serves it.
    pub fn client(&self) -> &lustre_sim::HostEndpoint {
        &self.cluster.hosts[3]
    }

    /// Mounts `fs1` on `cli1` at [`MOUNTPOINT`] and waits for it; returns
    /// the client mount's id.
    pub async fn mount(&self, env: &TestEnv) -> anyhow::Result<String> {
        let body = json!({"host_id": self.hosts[3], "filesystem_id": self.fs_id, "mountpoint": MOUNTPOINT});
        let envelope = succeeded(env, "/api/client_mount", &body).await?;
        Ok(envelope["response"]["client_mount"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }
}

/// Posts `body` to `path`, expects 202 and waits for the command to
/// succeed; returns the envelope of the answer.
async fn succeeded(env: &TestEnv, path: &str, body: &Value) -> anyhow::Result<Value> {
    let (status, envelope) = env.post(path, body).await?;
    anyhow::ensure!(
        status == reqwest::StatusCode::ACCEPTED,
        "POST {path}: {status} {envelope}"
    );
    let command = envelope["response"]["command"].as_str().unwrap_or_default();
    let finished = env.finished(command, LONG).await?;
    anyhow::ensure!(finished["state"] == "succeeded", "POST {path}: {finished}");
    Ok(envelope)
}
