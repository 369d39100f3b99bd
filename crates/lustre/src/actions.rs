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
    /// Stops new object creation on an OST from every MDT, persistently
    /// (`lctl set_param -P osp.FS-OSTxxxx-osc-MDT*.max_create_count=0` on
    /// the MGS); records it drained.
    DrainOst { target_id: uuid::Uuid },
    /// Lets the MDTs create objects on a drained OST again
    /// (`max_create_count=20000`, Lustre's default); records it undrained.
    UndrainOst { target_id: uuid::Uuid },
    /// Deactivates an OST permanently for clients and MDTs
    /// (`lctl conf_param FS-OSTxxxx.osc.active=0` on the MGS), before it is
    /// removed from a live file system.
    DeactivateOst { target_id: uuid::Uuid },
    /// Unmounts a deactivated OST being removed wherever it is seen
    /// mounted; a server that does not answer is recorded as unchecked
    /// instead of failing the step (the OST is out of the file system
    /// already, and a dead server cannot answer); `unmounted`.
    UnmountRemovedOst { target_id: uuid::Uuid },
    /// Applies a file system's stored `conf_params` on its MGS with
    /// `lctl conf_param`, skipping those already in the configuration llog.
    ApplyConfParams { filesystem_id: uuid::Uuid },
    /// Erases a stopped file system's configuration logs on its MGS
    /// (`lctl erase_lcfg FSNAME`), so its name can be used again there.
    EraseConfiguration { filesystem_id: uuid::Uuid },
    /// Creates an OST pool on its file system's MGS (`lctl pool_new`) with
    /// these OSTs (`lctl pool_add`), doing only what `lctl pool_list` shows
    /// missing; records what it reads back.
    CreatePool {
        pool_id: uuid::Uuid,
        ost_ids: Vec<uuid::Uuid>,
    },
    /// Gives a pool exactly these OSTs (`lctl pool_add`/`pool_remove` for
    /// the difference from `lctl pool_list`); records what it reads back.
    ChangePool {
        pool_id: uuid::Uuid,
        ost_ids: Vec<uuid::Uuid>,
    },
    /// Removes a pool's OSTs, then the pool (`lctl pool_remove`,
    /// `pool_destroy`), unless `lctl pool_list` shows it gone; `removed`.
    DestroyPool { pool_id: uuid::Uuid },
    /// Mounts a Lustre client (`mount -t lustre MGSNIDS:/FS DIR`) unless
    /// `/proc/mounts` shows it mounted, keeps its `/etc/fstab` line, and
    /// records what `/proc/mounts` shows.
    MountClient { client_mount_id: uuid::Uuid },
    /// Unmounts a Lustre client unless `/proc/mounts` shows it unmounted,
    /// drops its `/etc/fstab` line, and records it `unmounted`.
    UnmountClient { client_mount_id: uuid::Uuid },
    /// Unmounts a Lustre client if mounted, drops its `/etc/fstab` line,
    /// and records it `removed`.
    RemoveClientMount { client_mount_id: uuid::Uuid },
    /// A mirror job on one file through a client mount: reads the layout
    /// (`lfs getstripe`), creates or extends only what is missing, resyncs
    /// stale mirrors, and records the layout it reads back.
    MirrorFile(crate::data::MirrorArgs),
    /// Moves the files under a path off OSTs through a client mount
    /// (`lfs find --ost`, then `lfs migrate -o` on the files it lists)
    /// until `lfs find` lists none.
    MigrateFiles(crate::data::MigrateArgs),
    /// Sets a directory's default striping with a pool (`lfs setstripe -p`)
    /// unless `lfs getstripe` shows it set.
    SetStriping(crate::data::StripeArgs),
    /// Sets a file system's HSM coordinator (`hsm_control`) on every MDT,
    /// persistently (`lctl set_param -P mdt.FS-MDT*.hsm_control=…` on the
    /// MGS), waits until each MDT shows it, and records what they show.
    SetHsmControl {
        filesystem_id: uuid::Uuid,
        control: crate::hsm::HsmControl,
    },
    /// Issues an HSM request for one file from a client
    /// (`lfs hsm_archive|hsm_release|hsm_restore`) and follows
    /// `lfs hsm_state` and the coordinator's `hsm.actions` until it is done,
    /// failing when the coordinator reports it FAILED or CANCELED.
    HsmRequest {
        filesystem_id: uuid::Uuid,
        client_mount_id: uuid::Uuid,
        action: crate::hsm::HsmAction,
        path: String,
        archive_id: Option<u32>,
    },
    /// Starts a POSIX copytool (`lhsmtool_posix --daemon`) on its client
    /// host unless `pgrep` shows it running; records its pid, `started`.
    StartCopytool { copytool_id: uuid::Uuid },
    /// Stops a copytool (`kill PID`) and waits until it is gone; `stopped`.
    StopCopytool { copytool_id: uuid::Uuid },
    /// Stops a copytool if it runs and forgets it; `removed`.
    RemoveCopytool { copytool_id: uuid::Uuid },
    /// Sets the quota types a file system enforces on its MGS (`lctl
    /// conf_param FS.quota.ost=OST` and `FS.quota.mdt=MDT`, letters of `ugp`
    /// or `none`) and records them.
    SetQuotaEnforcement {
        filesystem_id: uuid::Uuid,
        ost: String,
        mdt: String,
    },
    /// Sets a quota's stored limits with `lfs setquota` on a mounted client
    /// mount and records what `lfs quota` reads back; `set`.
    SetQuota {
        quota_id: uuid::Uuid,
        client_mount_id: uuid::Uuid,
    },
    /// Clears a quota's limits (`lfs setquota` with every limit 0) on a
    /// mounted client mount; `removed`.
    ClearQuota {
        quota_id: uuid::Uuid,
        client_mount_id: uuid::Uuid,
    },
    /// Sets a file system's grace times for one quota type (`lfs setquota
    /// -t -u|-g|-p [-b SECS] [-i SECS]`) on a mounted client mount and
    /// records what `lfs quota -t` reads back.
    SetQuotaGrace {
        filesystem_id: uuid::Uuid,
        client_mount_id: uuid::Uuid,
        /// `user`, `group` or `project`.
        kind: String,
        block_secs: Option<u64>,
        inode_secs: Option<u64>,
    },
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
struct ClientMountArgs {
    client_mount_id: uuid::Uuid,
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
struct PoolArgs {
    pool_id: uuid::Uuid,
    #[serde(default)]
    ost_ids: Option<Vec<uuid::Uuid>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaEnforcementArgs {
    filesystem_id: uuid::Uuid,
    ost: String,
    mdt: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaArgs {
    quota_id: uuid::Uuid,
    client_mount_id: uuid::Uuid,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaGraceArgs {
    filesystem_id: uuid::Uuid,
    client_mount_id: uuid::Uuid,
    kind: String,
    #[serde(default)]
    block_secs: Option<u64>,
    #[serde(default)]
    inode_secs: Option<u64>,
}

/// A quota enforcement setting: `none`, or letters of `ugp` in that order,
/// each once (what `lctl conf_param FS.quota.ost=` takes, see
/// docs/lustre-sim-formats.md).
pub fn check_quota_types(value: &str) -> Result<(), String> {
    let ok = value == "none" || (!value.is_empty() && ["u", "g", "p", "ug", "up", "gp", "ugp"].contains(&value));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{value:?} is not a quota type setting: give letters of \"ugp\" in that order (u user, g group, p project), or \"none\""
        ))
    }
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
    "drain_ost",
    "undrain_ost",
    "deactivate_ost",
    "unmount_removed_ost",
    "apply_conf_params",
    "erase_configuration",
    "create_pool",
    "change_pool",
    "destroy_pool",
    "mount_client",
    "unmount_client",
    "remove_client_mount",
    "mirror_file",
    "migrate_files",
    "set_striping",
    "set_hsm_control",
    "hsm_request",
    "start_copytool",
    "stop_copytool",
    "remove_copytool",
    "set_quota_enforcement",
    "set_quota",
    "clear_quota",
    "set_quota_grace",
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
            "drain_ost" => target("drain_ost", args).map(|target_id| Action::DrainOst { target_id }),
            "undrain_ost" => target("undrain_ost", args).map(|target_id| Action::UndrainOst { target_id }),
            "deactivate_ost" => target("deactivate_ost", args).map(|target_id| Action::DeactivateOst { target_id }),
            "unmount_removed_ost" => {
                target("unmount_removed_ost", args).map(|target_id| Action::UnmountRemovedOst { target_id })
            }
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
            "create_pool" | "change_pool" | "destroy_pool" => pool(name, args),
            "mount_client" => {
                client_mount("mount_client", args).map(|client_mount_id| Action::MountClient { client_mount_id })
            }
            "unmount_client" => {
                client_mount("unmount_client", args).map(|client_mount_id| Action::UnmountClient { client_mount_id })
            }
            "remove_client_mount" => client_mount("remove_client_mount", args)
                .map(|client_mount_id| Action::RemoveClientMount { client_mount_id }),
            "mirror_file" => args_of("mirror_file", args).map(Action::MirrorFile),
            "migrate_files" => args_of("migrate_files", args).map(Action::MigrateFiles),
            "set_striping" => args_of("set_striping", args).map(Action::SetStriping),
            "set_quota_enforcement" => {
                let a: QuotaEnforcementArgs = args_of("set_quota_enforcement", args)?;
                for (field, value) in [("ost", &a.ost), ("mdt", &a.mdt)] {
                    check_quota_types(value).map_err(|why| ActionError::BadArgs {
                        action: "set_quota_enforcement",
                        reason: format!("{field}: {why}"),
                    })?;
                }
                Ok(Action::SetQuotaEnforcement {
                    filesystem_id: a.filesystem_id,
                    ost: a.ost,
                    mdt: a.mdt,
                })
            }
            "set_quota" => {
                let a: QuotaArgs = args_of("set_quota", args)?;
                Ok(Action::SetQuota {
                    quota_id: a.quota_id,
                    client_mount_id: a.client_mount_id,
                })
            }
            "clear_quota" => {
                let a: QuotaArgs = args_of("clear_quota", args)?;
                Ok(Action::ClearQuota {
                    quota_id: a.quota_id,
                    client_mount_id: a.client_mount_id,
                })
            }
            "set_quota_grace" => {
                let a: QuotaGraceArgs = args_of("set_quota_grace", args)?;
                let bad = |reason: String| ActionError::BadArgs {
                    action: "set_quota_grace",
                    reason,
                };
                if crate::quota::kind_flag(&a.kind).is_none() {
                    return Err(bad(format!("kind: {:?} is not user, group or project", a.kind)));
                }
                for (field, secs) in [("block_secs", a.block_secs), ("inode_secs", a.inode_secs)] {
                    if secs.is_some_and(|s| s > crate::quota::MAX_GRACE_SECS) {
                        return Err(bad(format!("{field}: above {}", crate::quota::MAX_GRACE_SECS)));
                    }
                }
                if a.block_secs.is_none() && a.inode_secs.is_none() {
                    return Err(bad("neither block_secs nor inode_secs is given".into()));
                }
                Ok(Action::SetQuotaGrace {
                    filesystem_id: a.filesystem_id,
                    client_mount_id: a.client_mount_id,
                    kind: a.kind,
                    block_secs: a.block_secs,
                    inode_secs: a.inode_secs,
                })
            }
            "set_hsm_control" | "hsm_request" | "start_copytool" | "stop_copytool" | "remove_copytool" => {
                crate::hsm::parse_action(name, args)
            }
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
            Action::DrainOst { .. } => "drain_ost",
            Action::UndrainOst { .. } => "undrain_ost",
            Action::DeactivateOst { .. } => "deactivate_ost",
            Action::UnmountRemovedOst { .. } => "unmount_removed_ost",
            Action::WriteconfTarget { .. } => "writeconf_target",
            Action::ConfigureLnet { .. } => "configure_lnet",
            Action::ApplyConfParams { .. } => "apply_conf_params",
            Action::EraseConfiguration { .. } => "erase_configuration",
            Action::RemoveFilesystem { .. } => "remove_filesystem",
            Action::CreatePool { .. } => "create_pool",
            Action::MountClient { .. } => "mount_client",
            Action::UnmountClient { .. } => "unmount_client",
            Action::RemoveClientMount { .. } => "remove_client_mount",
            Action::MirrorFile(_) => "mirror_file",
            Action::MigrateFiles(_) => "migrate_files",
            Action::SetStriping(_) => "set_striping",
            Action::SetHsmControl { .. } => "set_hsm_control",
            Action::HsmRequest { .. } => "hsm_request",
            Action::StartCopytool { .. } => "start_copytool",
            Action::StopCopytool { .. } => "stop_copytool",
            Action::RemoveCopytool { .. } => "remove_copytool",
            Action::SetQuotaEnforcement { .. } => "set_quota_enforcement",
            Action::SetQuota { .. } => "set_quota",
            Action::ClearQuota { .. } => "clear_quota",
            Action::SetQuotaGrace { .. } => "set_quota_grace",
            Action::ChangePool { .. } => "change_pool",
            Action::DestroyPool { .. } => "destroy_pool",
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

fn client_mount(action: &'static str, args: &serde_json::Value) -> Result<uuid::Uuid, ActionError> {
    args_of::<ClientMountArgs>(action, args).map(|a| a.client_mount_id)
}

fn target(action: &'static str, args: &serde_json::Value) -> Result<uuid::Uuid, ActionError> {
    args_of::<TargetArgs>(action, args).map(|a| a.target_id)
}

fn cluster(action: &'static str, args: &serde_json::Value) -> Result<uuid::Uuid, ActionError> {
    args_of::<ClusterArgs>(action, args).map(|a| a.cluster_id)
}

/// The three pool actions: create and change name the OSTs, destroy does
/// not.
fn pool(name: &str, args: &serde_json::Value) -> Result<Action, ActionError> {
    let action: &'static str = match name {
        "create_pool" => "create_pool",
        "change_pool" => "change_pool",
        _ => "destroy_pool",
    };
    let PoolArgs { pool_id, ost_ids } = args_of(action, args)?;
    match (action, ost_ids) {
        ("create_pool", Some(ost_ids)) => Ok(Action::CreatePool { pool_id, ost_ids }),
        ("change_pool", Some(ost_ids)) => Ok(Action::ChangePool { pool_id, ost_ids }),
        ("destroy_pool", None) => Ok(Action::DestroyPool { pool_id }),
        (_, ost_ids) => Err(ActionError::BadArgs {
            action,
            reason: if ost_ids.is_some() {
                "destroy_pool takes no ost_ids".into()
            } else {
                "missing field `ost_ids`".into()
            },
        }),
    }
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
                n if n.ends_with("_ost") => json!({"target_id": id}),
                "configure_corosync" | "start_pacemaker" | "configure_pacemaker" => json!({"cluster_id": id}),
                "create_pool" | "change_pool" => json!({"pool_id": id, "ost_ids": [id]}),
                "destroy_pool" => json!({"pool_id": id}),
                "mount_client" | "unmount_client" | "remove_client_mount" => json!({"client_mount_id": id}),
                "mirror_file" => json!({"client_mount_id": id, "path": "/f", "op": "create", "pools": ["a", "b"]}),
                "migrate_files" => json!({"client_mount_id": id, "path": "/d", "exclude_osts": [1], "osts": [0, 2]}),
                "set_striping" => json!({"client_mount_id": id, "path": "/d", "pool": "flash", "stripe_count": 2}),
                "set_hsm_control" => json!({"filesystem_id": id, "control": "enabled"}),
                "hsm_request" => {
                    json!({"filesystem_id": id, "client_mount_id": id, "action": "archive", "path": "/d/f", "archive_id": 1})
                }
                n if n.ends_with("_copytool") => json!({"copytool_id": id}),
                "set_quota_enforcement" => json!({"filesystem_id": id, "ost": "ug", "mdt": "none"}),
                "set_quota" | "clear_quota" => json!({"quota_id": id, "client_mount_id": id}),
                "set_quota_grace" => {
                    json!({"filesystem_id": id, "client_mount_id": id, "kind": "user", "block_secs": 60, "inode_secs": null})
                }
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
