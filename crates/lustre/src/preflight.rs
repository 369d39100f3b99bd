//! Pre-flight checks: what a server must have before it can serve Lustre
//! (the Lustre server tools, kernel modules for the kernel it runs, the
//! LNet tools) and what it should have (Pacemaker for a failover pair,
//! synchronised time, room for logs). The worker runs them whenever it
//! probes a host; a host that fails one cannot serve Lustre, and nothing
//! that needs Lustre is offered or planned on it.

use serde::{Deserialize, Serialize};

/// A check's outcome. Only a required check can `fail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Pass,
    /// Lustre can run, but something an operator should look at.
    Warn,
    /// Lustre cannot run on the host until this is fixed.
    Fail,
}

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Check {
    /// Stable snake_case name: `lustre_tools`, `server_utilities`,
    /// `kernel_modules`, `lnet_tools`, `ha_stack`, `time_sync`, `log_space`.
    pub name: String,
    pub status: CheckStatus,
    /// What was found, in words.
    pub message: String,
    /// How to fix it; null when it passed.
    pub fix: Option<String>,
}

impl Check {
    pub fn pass(name: &str, message: impl Into<String>) -> Check {
        Check::new(name, CheckStatus::Pass, message.into(), None)
    }

    pub fn warn(name: &str, message: impl Into<String>, fix: impl Into<String>) -> Check {
        Check::new(name, CheckStatus::Warn, message.into(), Some(fix.into()))
    }

    pub fn fail(name: &str, message: impl Into<String>, fix: impl Into<String>) -> Check {
        Check::new(name, CheckStatus::Fail, message.into(), Some(fix.into()))
    }

    fn new(name: &str, status: CheckStatus, message: String, fix: Option<String>) -> Check {
        Check {
            name: name.to_owned(),
            status,
            message,
            fix,
        }
    }
}

/// Every check of one probe, in the order they ran.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Preflight {
    pub checks: Vec<Check>,
}

impl Preflight {
    /// The names of the checks that failed.
    pub fn failed(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| c.status == CheckStatus::Fail)
            .map(|c| c.name.clone())
            .collect()
    }

    /// Whether the host can serve Lustre: no required check failed.
    pub fn serves_lustre(&self) -> bool {
        self.failed().is_empty()
    }
}

/// Why a host that failed pre-flight `failed` (check names) cannot be
/// asked to `what` (`start LNet`, `serve fs1-OST0000`).
pub fn refusal(host: &str, what: &str, failed: &[String]) -> String {
    format!(
        "cannot {what}: host {host} cannot serve Lustre, it failed the pre-flight checks {}; \
         the host's pre-flight results say how to fix them, then probe it again",
        failed.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_check_stops_the_host_serving_lustre_and_a_warning_does_not() {
        let mut preflight = Preflight {
            checks: vec![
                Check::pass("lnet_tools", "lnetctl 2.15.4"),
                Check::warn("time_sync", "unknown", "install chrony"),
            ],
        };
        assert!(preflight.serves_lustre());
        preflight
            .checks
            .push(Check::fail("lustre_tools", "lctl is not installed", "install lustre"));
        assert_eq!(preflight.failed(), ["lustre_tools"]);
        assert!(!preflight.serves_lustre());
        let json = serde_json::to_value(&preflight.checks[2]).unwrap_or_default();
        assert_eq!(json["status"], "fail");
        assert_eq!(json["fix"], "install lustre");
    }
}
