//! The step actions a worker knows, parsed from `{"action", "args"}` into
//! typed values once, at the boundary. No action runs arbitrary commands.

use serde::{Deserialize, Serialize};

/// Longest a diagnostic `sleep` may last (one hour).
pub const MAX_SLEEP_MS: u64 = 3_600_000;
/// Longest message a diagnostic `fail` may carry.
pub const MAX_FAIL_MESSAGE: usize = 4_096;

/// A validated step action with its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", content = "args", rename_all = "snake_case")]
pub enum Action {
    /// Does nothing and succeeds.
    Noop,
    /// Waits `ms` milliseconds, then succeeds.
    Sleep { ms: u64 },
    /// Fails with `message`.
    Fail { message: String },
    /// Connects to a host over SSH (pinning its key on first contact) and
    /// records what it is: node name, kernel, Lustre version, block devices.
    ProbeHost { host_id: uuid::Uuid },
    /// Starts LNet on a host: loads the `lnet` module (`modprobe lnet`), then
    /// `lnetctl lnet configure --all` unless LNet has NIDs already, and
    /// records its NIDs; `lnet_up`.
    StartLnet { host_id: uuid::Uuid },
    /// Writes a host's LNet networks to `/etc/lnet.conf` and applies them
    /// (Lustre modules reloaded: `lustre_rmmod`, `modprobe lnet`,
    /// `lnetctl lnet configure`, `lnetctl import`); records its new NIDs.
    ConfigureLnet {
        host_id: uuid::Uuid,
        networks: Vec<crate::lnet::LnetNetwork>,
    },
    /// Stops LNet on a host with no target mounted: unloads the Lustre
    /// modules and LNet with `lustre_rmmod` (once a target was mounted,
    /// ptlrpc holds LNet and `lnetctl lnet unconfigure` answers EBUSY);
    /// `lnet_down`.
    StopLnet { host_id: uuid::Uuid },
    /// Formats a target's volume with `mkfs.lustre` unless it already holds
    /// that target; `formatted`.
    FormatTarget { target_id: uuid::Uuid },
    /// First mount of a target, which registers it with its MGS, then
    /// unmount; `registered`.
    RegisterTarget { target_id: uuid::Uuid },
    /// Checks that Pacemaker knows the target as a resource; `unmounted`.
    ConfigureTarget { target_id: uuid::Uuid },
    /// Mounts a target on its primary host unless it is mounted on one of
    /// its hosts already; `mounted`.
    MountTarget { target_id: uuid::Uuid },
    /// Unmounts a target wherever it is mounted; `unmounted`.
    UnmountTarget { target_id: uuid::Uuid },
    /// Moves a mounted target to one of its failover hosts through
    /// Pacemaker (`crm_resource --move`).
    FailoverTarget { target_id: uuid::Uuid, host_id: uuid::Uuid },
    /// Moves a mounted target back to its primary host through Pacemaker
    /// and clears the move constraint.
    FailbackTarget { target_id: uuid::Uuid },
    /// Rewrites an unmounted target's NIDs and marks its configuration for
    /// regeneration (`tunefs.lustre --erase-params --mgsnode --servicenode
    /// --writeconf`); its next mount registers it again.
    WriteconfTarget { target_id: uuid::Uuid },
    /// Forgets an unmounted target; `removed`. Data on the volume is kept.
    RemoveTarget { target_id: uuid::Uuid },
    /// Applies a file system's stored `conf_params` on its MGS with
    /// `lctl conf_param`, skipping those already in the configuration llog.
    ApplyConfParams { filesystem_id: uuid::Uuid },
    /// Erases a stopped file system's configuration logs on its MGS
    /// (`lctl erase_lcfg FSNAME`), so its name can be used again there.
    EraseConfiguration { filesystem_id: uuid::Uuid },
    /// Marks a file system whose targets are all removed as removed.
    RemoveFilesystem { filesystem_id: uuid::Uuid },
    /// Forgets a host that holds no live target; `removed`.
    RemoveHost { host_id: uuid::Uuid },
    /// Reads the configuration llogs of every MGS mounted on managed hosts
    /// and records the file systems and targets Chroma does not know yet,
    /// as monitored-only objects.
    DetectFilesystems,
    /// Writes the corosync configuration and authkey of an HA cluster on
    /// each of its members and starts corosync there.
    ConfigureCorosync { cluster_id: uuid::Uuid },
    /// Starts Pacemaker on each member of an HA cluster, waits until every
    /// member is online, and records each host's Pacemaker node name
    /// (`crm_node -n`).
    StartPacemaker { cluster_id: uuid::Uuid },
    /// Sets an HA cluster's properties and resource defaults and its
    /// fencing (devices, `stonith-enabled`), then records what Pacemaker
    /// shows; the cluster is `configured`.
    ConfigurePacemaker { cluster_id: uuid::Uuid },
    /// Runs a storage plugin's configure `action` on one of its resources
    /// (docs/plugins.md), then records what the plugin detects after it.
    StorageAction {
        resource_id: uuid::Uuid,
        action: String,
        args: serde_json::Map<String, serde_json::Value>,
    },
}

/// Why an action and its arguments were refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ActionError {
    #[error("unknown action {0:?}; known actions are {known}", known = KNOWN.join(", "))]
    UnknownAction(String),
    #[error("bad args for {action}: {reason}")]
    BadArgs { action: &'static str, reason: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoArgs {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SleepArgs {
    ms: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FailArgs {
    message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StorageArgs {
    resource_id: uuid::Uuid,
    action: String,
    #[serde(default)]
    args: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HostArgs {
    host_id: uuid::Uuid,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetArgs {
    target_id: uuid::Uuid,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FailoverArgs {
    target_id: uuid::Uuid,
    host_id: uuid::Uuid,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClusterArgs {
    cluster_id: uuid::Uuid,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LnetArgs {
    host_id: uuid::Uuid,
    networks: Vec<crate::lnet::LnetNetwork>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FilesystemArgs {
    filesystem_id: uuid::Uuid,
}

/// Every action name, as `Action::name` spells it.
pub const KNOWN: &[&str] = &[
    "noop",
    "sleep",
    "fail",
    "probe_host",
    "start_lnet",
    "stop_lnet",
    "configure_lnet",
    "format_target",
    "register_target",
    "configure_target",
    "mount_target",
    "unmount_target",
    "failover_target",
    "failback_target",
    "writeconf_target",
    "remove_target",
    "apply_conf_params",
    "erase_configuration",
    "remove_filesystem",
    "remove_host",
    "detect_filesystems",
    "storage_action",
    "configure_corosync",
    "start_pacemaker",
    "configure_pacemaker",
];

fn args_of<T: serde::de::DeserializeOwned>(action: &'static str, args: &serde_json::Value) -> Result<T, ActionError> {
    // A missing `args` arrives as null; treat it as an empty object.
    let args = if args.is_null() {
        serde_json::json!({})
    } else {
        args.clone()
    };
    serde_json::from_value(args).map_err(|e| ActionError::BadArgs {
        action,
        reason: e.to_string(),
    })
}

impl Action {
    /// Parses an action name and its JSON arguments.
    pub fn parse(name: &str, args: &serde_json::Value) -> Result<Self, ActionError> {
        match name {
            "noop" => args_of::<NoArgs>("noop", args).map(|_| Action::Noop),
            "sleep" => {
                let SleepArgs { ms } = args_of("sleep", args)?;
                if ms > MAX_SLEEP_MS {
                    return Err(ActionError::BadArgs {
                        action: "sleep",
                        reason: format!("ms must be at most {MAX_SLEEP_MS}"),
                    });
                }
                Ok(Action::Sleep { ms })
            }
            "fail" => {
                let FailArgs { message } = args_of("fail", args)?;
                if message.contains('\0') {
                    return Err(ActionError::BadArgs {
                        action: "fail",
                        reason: "message must not contain NUL characters".into(),
                    });
                }
                if message.len() > MAX_FAIL_MESSAGE {
                    return Err(ActionError::BadArgs {
                        action: "fail",
                        reason: format!("message must be at most {MAX_FAIL_MESSAGE} bytes"),
                    });
                }
                Ok(Action::Fail { message })
            }
            "probe_host" => host("probe_host", args).map(|host_id| Action::ProbeHost { host_id }),
            "start_lnet" => host("start_lnet", args).map(|host_id| Action::StartLnet { host_id }),
            "stop_lnet" => host("stop_lnet", args).map(|host_id| Action::StopLnet { host_id }),
            "remove_host" => host("remove_host", args).map(|host_id| Action::RemoveHost { host_id }),
            "format_target" => target("format_target", args).map(|target_id| Action::FormatTarget { target_id }),
            "register_target" => target("register_target", args).map(|target_id| Action::RegisterTarget { target_id }),
            "configure_target" => {
                target("configure_target", args).map(|target_id| Action::ConfigureTarget { target_id })
            }
            "mount_target" => target("mount_target", args).map(|target_id| Action::MountTarget { target_id }),
            "unmount_target" => target("unmount_target", args).map(|target_id| Action::UnmountTarget { target_id }),
            "failback_target" => target("failback_target", args).map(|target_id| Action::FailbackTarget { target_id }),
            "remove_target" => target("remove_target", args).map(|target_id| Action::RemoveTarget { target_id }),
            "writeconf_target" => {
                target("writeconf_target", args).map(|target_id| Action::WriteconfTarget { target_id })
            }
            "configure_lnet" => {
                let a: LnetArgs = args_of("configure_lnet", args)?;
                let networks = crate::lnet::validate(&a.networks).map_err(|(field, why)| ActionError::BadArgs {
                    action: "configure_lnet",
                    reason: format!("{field}: {why}"),
                })?;
                Ok(Action::ConfigureLnet {
                    host_id: a.host_id,
                    networks,
                })
            }
            "failover_target" => {
                let FailoverArgs { target_id, host_id } = args_of("failover_target", args)?;
                Ok(Action::FailoverTarget { target_id, host_id })
            }
            "apply_conf_params" => {
                filesystem("apply_conf_params", args).map(|filesystem_id| Action::ApplyConfParams { filesystem_id })
            }
            "erase_configuration" => filesystem("erase_configuration", args)
                .map(|filesystem_id| Action::EraseConfiguration { filesystem_id }),
            "remove_filesystem" => {
                filesystem("remove_filesystem", args).map(|filesystem_id| Action::RemoveFilesystem { filesystem_id })
            }
            "detect_filesystems" => args_of::<NoArgs>("detect_filesystems", args).map(|_| Action::DetectFilesystems),
            "storage_action" => args_of::<StorageArgs>("storage_action", args).map(|a| Action::StorageAction {
                resource_id: a.resource_id,
                action: a.action,
                args: a.args,
            }),
            "configure_corosync" => {
                cluster("configure_corosync", args).map(|cluster_id| Action::ConfigureCorosync { cluster_id })
            }
            "start_pacemaker" => {
                cluster("start_pacemaker", args).map(|cluster_id| Action::StartPacemaker { cluster_id })
            }
            "configure_pacemaker" => {
                cluster("configure_pacemaker", args).map(|cluster_id| Action::ConfigurePacemaker { cluster_id })
            }
            other => Err(ActionError::UnknownAction(other.to_owned())),
        }
    }

    /// Whether the action only exercises the engine (`noop`, `sleep`,
    /// `fail`): the only ones `POST /api/command` accepts. The others
    /// change servers and are submitted by the planner with their locks.
    pub fn is_diagnostic(&self) -> bool {
        matches!(self, Action::Noop | Action::Sleep { .. } | Action::Fail { .. })
    }

    /// The action's name.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Noop => "noop",
            Action::Sleep { .. } => "sleep",
            Action::Fail { .. } => "fail",
            Action::ProbeHost { .. } => "probe_host",
            Action::StartLnet { .. } => "start_lnet",
            Action::StopLnet { .. } => "stop_lnet",
            Action::FormatTarget { .. } => "format_target",
            Action::RegisterTarget { .. } => "register_target",
            Action::ConfigureTarget { .. } => "configure_target",
            Action::MountTarget { .. } => "mount_target",
            Action::UnmountTarget { .. } => "unmount_target",
            Action::FailoverTarget { .. } => "failover_target",
            Action::FailbackTarget { .. } => "failback_target",
            Action::RemoveTarget { .. } => "remove_target",
            Action::WriteconfTarget { .. } => "writeconf_target",
            Action::ConfigureLnet { .. } => "configure_lnet",
            Action::ApplyConfParams { .. } => "apply_conf_params",
            Action::EraseConfiguration { .. } => "erase_configuration",
            Action::RemoveFilesystem { .. } => "remove_filesystem",
            Action::RemoveHost { .. } => "remove_host",
            Action::DetectFilesystems => "detect_filesystems",
            Action::StorageAction { .. } => "storage_action",
            Action::ConfigureCorosync { .. } => "configure_corosync",
            Action::StartPacemaker { .. } => "start_pacemaker",
            Action::ConfigurePacemaker { .. } => "configure_pacemaker",
        }
    }

    /// The action's arguments as stored and sent to workers.
    pub fn args(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut tagged)) => tagged.remove("args").unwrap_or_else(|| serde_json::json!({})),
            _ => serde_json::json!({}),
        }
    }
}

fn host(action: &'static str, args: &serde_json::Value) -> Result<uuid::Uuid, ActionError> {
    args_of::<HostArgs>(action, args).map(|a| a.host_id)
}

fn target(action: &'static str, args: &serde_json::Value) -> Result<uuid::Uuid, ActionError> {
    args_of::<TargetArgs>(action, args).map(|a| a.target_id)
}

fn cluster(action: &'static str, args: &serde_json::Value) -> Result<uuid::Uuid, ActionError> {
    args_of::<ClusterArgs>(action, args).map(|a| a.cluster_id)
}

fn filesystem(action: &'static str, args: &serde_json::Value) -> Result<uuid::Uuid, ActionError> {
    args_of::<FilesystemArgs>(action, args).map(|a| a.filesystem_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_known_actions() {
        assert_eq!(Action::parse("noop", &json!(null)), Ok(Action::Noop));
        assert_eq!(Action::parse("sleep", &json!({"ms": 5})), Ok(Action::Sleep { ms: 5 }));
        assert_eq!(
            Action::parse("fail", &json!({"message": "x"})),
            Ok(Action::Fail { message: "x".into() })
        );
    }

    #[test]
    fn every_known_action_round_trips() {
        let id = uuid::Uuid::nil();
        for name in KNOWN {
            let args = match *name {
                "noop" | "detect_filesystems" => json!({}),
                "sleep" => json!({"ms": 1}),
                "fail" => json!({"message": "m"}),
                "failover_target" => json!({"target_id": id, "host_id": id}),
                "storage_action" => json!({"resource_id": id, "action": "create_lun", "args": {"size": 1}}),
                "configure_lnet" => json!({"host_id": id, "networks": [{"net": "tcp", "interfaces": ["eth0"]}]}),
                n if n.ends_with("_host") || n.ends_with("_lnet") => json!({"host_id": id}),
                n if n.ends_with("_target") => json!({"target_id": id}),
                "configure_corosync" | "start_pacemaker" | "configure_pacemaker" => json!({"cluster_id": id}),
                _ => json!({"filesystem_id": id}),
            };
            let action = Action::parse(name, &args).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(action.name(), *name);
            assert_eq!(Action::parse(name, &action.args()), Ok(action));
            assert!(Action::parse(name, &json!({"target_id": id, "extra": 1})).is_err());
        }
    }

    #[test]
    fn refuses_bad_input() {
        assert!(matches!(
            Action::parse("rm", &json!({})),
            Err(ActionError::UnknownAction(_))
        ));
        assert!(Action::parse("sleep", &json!({"ms": -1})).is_err());
        assert!(Action::parse("sleep", &json!({"ms": MAX_SLEEP_MS + 1})).is_err());
        assert!(Action::parse("noop", &json!({"extra": 1})).is_err());
        assert!(Action::parse("fail", &json!({})).is_err());
        assert!(Action::parse("fail", &json!({"message": "a\u{0}b"})).is_err());
    }
}
