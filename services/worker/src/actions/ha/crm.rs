//! Asking Pacemaker: `crm_mon -1 --output-as=xml` read from the first
//! member that answers, `crm_resource` run there, and bounded waits until
//! the cluster shows what an action asked for.

use lustre::pacemaker::ClusterStatus;
use std::time::Duration;

use super::super::servers::Server;
use crate::error::ActionError;
use crate::shared::Shared;

/// Pause between two looks while waiting on Pacemaker.
const POLL: Duration = Duration::from_secs(1);

/// The cluster as `via` sees it.
pub async fn status(shared: &Shared, via: &Server) -> Result<ClusterStatus, ActionError> {
    let stdout = via.check(shared, &["crm_mon", "-1", "--output-as=xml"]).await?;
    ClusterStatus::parse(&stdout).map_err(|e| ActionError::Command(format!("{}: {e}", via.name)))
}

/// The cluster as the first of `hosts` that answers sees it, and that host.
pub async fn status_any(shared: &Shared, hosts: &[Server]) -> Result<(Server, ClusterStatus), ActionError> {
    let mut failures = Vec::new();
    for host in hosts {
        match status(shared, host).await {
            Ok(status) => return Ok((host.clone(), status)),
            Err(why) => failures.push(why.to_string()),
        }
    }
    Err(ActionError::Unreachable(format!(
        "no member of the cluster answered: {}",
        failures.join("; ")
    )))
}

/// What a wait decided from one look at the cluster.
pub enum Look<T> {
    Done(T),
    NotYet(String),
}

/// Looks at the cluster every second until `check` says done, fails, or
/// `timeout` passes (then the last "not yet" reason is the error).
pub async fn wait_for<T>(
    shared: &Shared,
    hosts: &[Server],
    timeout: Duration,
    check: impl Fn(&ClusterStatus) -> Result<Look<T>, ActionError>,
) -> Result<T, ActionError> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let last = match status_any(shared, hosts).await {
            Ok((_, status)) => match check(&status)? {
                Look::Done(value) => return Ok(value),
                Look::NotYet(why) => why,
            },
            Err(why) => why.to_string(),
        };
        if tokio::time::Instant::now() >= deadline {
            return Err(ActionError::Command(format!(
                "gave up after {} s: {last}",
                timeout.as_secs()
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Runs `crm_resource ARGS` on the first of `hosts` that answers it.
pub async fn crm_resource(shared: &Shared, hosts: &[Server], args: &[&str]) -> Result<String, ActionError> {
    let mut argv = vec!["crm_resource"];
    argv.extend_from_slice(args);
    let mut failures = Vec::new();
    for host in hosts {
        match host.exec(shared, &argv).await {
            Ok(out) if out.success() => return Ok(out.stdout),
            Ok(out) => return Err(host.failed(&argv, &out)),
            Err(why) => failures.push(why.to_string()),
        }
    }
    Err(ActionError::Unreachable(failures.join("; ")))
}
