//! Pre-flight checks, run by every probe of a host: what it must have to
//! serve Lustre and what it should have. Intel Manager for Lustre checked
//! a new server's reachability and package sanity (`test_host_contact`)
//! and the agent that its kernel had the Lustre modules (`check_kernel`:
//! `modinfo -n -k KVER MODULE`). A server needs `lnet` and `ptlrpc` and
//! an object storage backend (`osd_ldiskfs` or `osd_zfs`); `lustre.ko` is
//! the client (llite), absent from a server-only build, so it is not
//! asked for. A Lustre server also needs the utilities
//! of the `lustre` package (lustre-release `lustre.spec.in`: `lctl`,
//! `mkfs.lustre`, `tunefs.lustre`, `mount.lustre`, `lnetctl`).
//!
//! Required (a failure means the host cannot serve Lustre): `lustre_tools`,
//! `server_utilities`, `kernel_modules`, `lnet_tools`; `ha_stack` too for
//! a member of an HA cluster. Advisory (at most a warning): `ha_stack`
//! otherwise, `time_sync`, `log_space`, `zfs` (ZFS targets need
//! `osd_zfs` and the `zpool` tool; a host without them takes none). The results are stored on the host
//! and a `host_preflight_failed` alert is raised while a required check
//! fails, cleared by the first probe that passes them all.

use chroma_ssh::ExecOutput;
use lustre::preflight::{Check, Preflight};
use serde_json::json;
use store::alerts::{self, AlertKind, Raise};
use uuid::Uuid;

use super::servers::Server;
use super::step;
use crate::error::{db_error, ActionError};
use crate::shared::Shared;

/// Free space below which `/var/log` gets a warning: Lustre's debug
/// dumps (`/tmp/lustre-log.*` aside) and a busy server's journal and
/// syslog grow by hundreds of MiB a day.
pub const MIN_LOG_SPACE: u64 = 1 << 30;

/// The utilities only a Lustre server install has (a client has none).
const SERVER_UTILITIES: [&str; 3] = ["mkfs.lustre", "mount.lustre", "tunefs.lustre"];

/// Modules looked up for the running kernel: both of the first two, and
/// one object storage backend.
const MODULES: [&str; 4] = ["lnet", "ptlrpc", "osd_ldiskfs", "osd_zfs"];

/// Runs every check on `host`, whose running kernel is `kernel`, stores
/// the results and raises or clears the alert.
pub async fn run(shared: &Shared, host: &Server, kernel: &str) -> Result<Preflight, ActionError> {
    let lctl = host.exec(shared, &["lctl", "--version"]).await?;
    let mut utilities = Vec::new();
    for tool in SERVER_UTILITIES {
        utilities.push((tool, host.exec(shared, &["command", "-v", tool]).await?));
    }
    let mut argv = vec!["modinfo", "-n", "-k", kernel];
    argv.extend(MODULES);
    let modinfo = host.exec(shared, &argv).await?;
    let lnetctl = host.exec(shared, &["lnetctl", "--version"]).await?;
    let ha = HaContext::load(shared, host.id).await?;
    let time = time_sync(shared, host).await?;
    let df = host.exec(shared, &["df", "-B1", "--output=avail", "/var/log"]).await?;
    let zpool = host.exec(shared, &["command", "-v", "zpool"]).await?;
    // On an HA server a ZFS target's pool is Pacemaker's `ZFS` resource.
    let agent = match ha.pacemaker {
        Some(_) => Some(
            host.exec(shared, &["crm_resource", "--show-metadata", ZFS_AGENT])
                .await?,
        ),
        None => None,
    };
    let preflight = Preflight {
        checks: vec![
            lustre_tools(&lctl),
            server_utilities(&utilities),
            kernel_modules(kernel, &modinfo),
            lnet_tools(&lnetctl),
            ha_stack(&ha),
            time,
            log_space(&df),
            zfs(&modinfo, &zpool, agent.as_ref()),
        ],
    };
    record(shared, host.id, &ha.label, &preflight).await?;
    Ok(preflight)
}

/// Stores the results and raises (or clears) the alert.
async fn record(shared: &Shared, id: Uuid, label: &str, preflight: &Preflight) -> Result<(), ActionError> {
    let value = serde_json::to_value(preflight)
        .map_err(|e| ActionError::Bug(format!("cannot store the pre-flight results: {e}")))?;
    step::update(&shared.db, "record the pre-flight results", |fence| {
        store::hosts::record_preflight(&shared.db, fence, id, value)
    })
    .await?;
    let failed = preflight.failed();
    let alert = Raise {
        kind: AlertKind::HostPreflightFailed,
        item: lustre::Item::Host(id),
        message: format!(
            "{label} cannot serve Lustre: it failed the pre-flight checks {}",
            failed.join(", ")
        ),
        details: json!({ "failed": failed }),
    };
    alerts::set(&shared.db, !failed.is_empty(), alert)
        .await
        .map_err(db_error("raise or clear the pre-flight alert"))
}

/// `lctl --version` (`lctl 2.15.4`): Lustre's utilities are installed.
fn lustre_tools(out: &ExecOutput) -> Check {
    const NAME: &str = "lustre_tools";
    let fix = "Install the Lustre server packages for the running kernel from the Lustre release \
               repository (EL: `dnf install lustre kmod-lustre kmod-lustre-osd-ldiskfs`; Debian/Ubuntu: \
               `lustre-server-utils` and `lustre-dkms`), then probe the host again";
    match (out.exit_status, first_line(out)) {
        (Some(0), Some(line)) => Check::pass(NAME, format!("Lustre {} (`lctl --version`)", last_word(&line))),
        (Some(127), _) => Check::fail(NAME, "Lustre is not installed: `lctl` was not found", fix),
        _ => Check::fail(NAME, format!("`lctl --version` {}", outcome(out)), fix),
    }
}

/// `command -v TOOL` of each server utility: its path, or nothing.
fn server_utilities(found: &[(&str, ExecOutput)]) -> Check {
    const NAME: &str = "server_utilities";
    let missing: Vec<&str> = found
        .iter()
        .filter(|(_, out)| !out.success() || out.stdout.trim().is_empty())
        .map(|(tool, _)| *tool)
        .collect();
    if missing.is_empty() {
        let tools: Vec<&str> = found.iter().map(|(_, out)| out.stdout.trim()).collect();
        return Check::pass(NAME, format!("found {}", tools.join(", ")));
    }
    Check::fail(
        NAME,
        format!(
            "{} not found: Chroma formats, registers and mounts targets with them (a Lustre client install \
             has none of them)",
            missing.join(", ")
        ),
        "Install the Lustre server utilities (EL: the `lustre` package, not `lustre-client`; \
         Debian/Ubuntu: `lustre-server-utils`), then probe the host again",
    )
}

/// `modinfo -n -k KERNEL lnet ptlrpc osd_ldiskfs osd_zfs`: one file name
/// per module found, `modinfo: ERROR: Module X not found.` for the others.
fn kernel_modules(kernel: &str, out: &ExecOutput) -> Check {
    const NAME: &str = "kernel_modules";
    let fix = format!(
        "Install the Lustre kernel modules built for the running kernel {kernel} (EL: `kmod-lustre` and \
         `kmod-lustre-osd-ldiskfs` or `kmod-lustre-osd-zfs` of the same Lustre release; Debian/Ubuntu: \
         `lustre-dkms`), or boot the kernel the installed Lustre was built for; then probe the host again"
    );
    if out.exit_status == Some(127) {
        return Check::fail(
            NAME,
            "`modinfo` was not found: the kernel module tools (kmod), which load Lustre's modules, are not \
             installed",
            "Install kmod, then probe the host again",
        );
    }
    let found = found_modules(&out.stdout);
    let mut missing: Vec<&str> = ["lnet", "ptlrpc"]
        .into_iter()
        .filter(|m| !found.iter().any(|f| f == m))
        .collect();
    let osd: Vec<&str> = ["osd_ldiskfs", "osd_zfs"]
        .into_iter()
        .filter(|m| found.iter().any(|f| f == m))
        .collect();
    if osd.is_empty() {
        missing.push("osd_ldiskfs or osd_zfs");
    }
    if missing.is_empty() {
        let mut all = vec!["lnet", "ptlrpc"];
        all.extend(osd);
        return Check::pass(NAME, format!("{} built for {kernel}", all.join(", ")));
    }
    Check::fail(
        NAME,
        format!(
            "no {} module for the running kernel {kernel}: Lustre's modules are not installed or were built \
             for another kernel",
            missing.join(", ")
        ),
        fix,
    )
}

/// The agent a ZFS target's pool resource runs.
const ZFS_AGENT: &str = "ocf:heartbeat:ZFS";

/// ZFS targets: `osd_zfs` among the modules found (see
/// [`kernel_modules`]), `zpool`, which imports and exports their pools,
/// and where Pacemaker is installed its `ZFS` agent (`agent`:
/// `crm_resource --show-metadata`), which RHEL's resource-agents leaves
/// out.
fn zfs(modinfo: &ExecOutput, zpool: &ExecOutput, agent: Option<&ExecOutput>) -> Check {
    const NAME: &str = "zfs";
    let osd = found_modules(&modinfo.stdout).iter().any(|m| m == "osd_zfs");
    let tool = zpool.success() && !zpool.stdout.trim().is_empty();
    let fix = "For ZFS targets install OpenZFS and Lustre's ZFS back end for the running kernel (EL: `zfs` \
               and `kmod-lustre-osd-zfs`), give the host a unique hostid (`zgenhostid`) so that multihost \
               protects its pools, then probe the host again; ldiskfs targets do not need it";
    match (osd, tool) {
        (false, _) => return Check::warn(NAME, "no osd_zfs module: ZFS targets cannot run here", fix),
        (true, false) => return Check::warn(NAME, "`zpool` was not found: ZFS pools cannot be imported here", fix),
        (true, true) => {}
    }
    if agent.is_some_and(|out| !out.success()) {
        return Check::warn(
            NAME,
            format!("Pacemaker has no {ZFS_AGENT} agent: a ZFS target's pool could not fail over"),
            "Install the ZFS resource agent on every member (Debian: `resource-agents`; SUSE: \
             `resource-agents-zfs`; RHEL leaves `heartbeat/ZFS` out of its package: install it from \
             ClusterLabs' resource-agents), then probe the host again",
        );
    }
    Check::pass(NAME, format!("osd_zfs and {}", zpool.stdout.trim()))
}

/// Module names from `modinfo -n` file names:
/// `/lib/modules/K/extra/lustre/fs/ptlrpc.ko.xz` → `ptlrpc`.
fn found_modules(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.trim().rsplit('/').next())
        .filter(|file| file.contains(".ko"))
        .filter_map(|file| file.split('.').next())
        .map(|name| name.replace('-', "_"))
        .collect()
}

/// `lnetctl --version`: Chroma starts, stops and reads LNet with it.
fn lnet_tools(out: &ExecOutput) -> Check {
    const NAME: &str = "lnet_tools";
    let fix = "Install the Lustre utilities that provide `lnetctl` (Lustre 2.10 or later: the `lustre` \
               package on EL, `lustre-server-utils` on Debian/Ubuntu), then probe the host again";
    match (out.exit_status, first_line(out)) {
        (Some(0), Some(line)) => Check::pass(NAME, line),
        (Some(127), _) => Check::fail(NAME, "`lnetctl` was not found: LNet cannot be started", fix),
        _ => Check::fail(NAME, format!("`lnetctl --version` {}", outcome(out)), fix),
    }
}

/// What the probe recorded of the host's HA stack, and whether it has a
/// failover partner.
struct HaContext {
    /// Its node name (the probe has just recorded it), else its address.
    label: String,
    pacemaker: Option<String>,
    corosync: Option<String>,
    /// The HA cluster it is a member of.
    cluster: Option<String>,
    /// Other hosts that see one of its volumes.
    sharing: Vec<String>,
}

impl HaContext {
    async fn load(shared: &Shared, id: Uuid) -> Result<HaContext, ActionError> {
        let row = store::hosts::ha_context(&shared.db, id)
            .await
            .map_err(db_error("read the host's HA stack"))?
            .ok_or_else(|| ActionError::Bug(format!("host {id} does not exist")))?;
        Ok(HaContext {
            label: row.label,
            pacemaker: row.pacemaker_version,
            corosync: row.corosync_version,
            cluster: row.cluster,
            sharing: row.sharing,
        })
    }
}

/// Pacemaker and corosync: required of an HA cluster member, else only
/// advised (targets on a host without them are mounted directly and
/// cannot fail over).
fn ha_stack(ha: &HaContext) -> Check {
    const NAME: &str = "ha_stack";
    let fix = "Install Pacemaker and corosync (EL: `dnf install pacemaker corosync pcs fence-agents-all` from \
               the HighAvailability repository; Debian/Ubuntu: `apt install pacemaker corosync`), then probe \
               the host again";
    let missing: Vec<&str> = [("pacemaker", &ha.pacemaker), ("corosync", &ha.corosync)]
        .into_iter()
        .filter(|(_, v)| v.is_none())
        .map(|(name, _)| name)
        .collect();
    match (&ha.pacemaker, &ha.corosync) {
        (Some(p), Some(c)) => return Check::pass(NAME, format!("{p}; corosync {}", last_word(c))),
        _ if ha.cluster.is_some() => {
            let cluster = ha.cluster.as_deref().unwrap_or_default();
            return Check::fail(
                NAME,
                format!(
                    "{} not installed, but the host is a member of HA cluster {cluster}",
                    missing.join(" and ")
                ),
                fix,
            );
        }
        _ => {}
    }
    let why = if ha.sharing.is_empty() {
        "needed only for failover: the host shares no volume with another server".to_owned()
    } else {
        format!(
            "its volumes are also seen from {}: without them its targets are mounted directly and cannot \
             fail over",
            ha.sharing.join(", ")
        )
    };
    Check::warn(NAME, format!("{} not installed; {why}", missing.join(" and ")), fix)
}

/// `timedatectl show -p NTPSynchronized --value` (`yes`/`no`), else
/// `chronyc -n tracking`'s leap status: servers whose clocks disagree make
/// Lustre's logs and recovery timeouts hard to follow.
async fn time_sync(shared: &Shared, host: &Server) -> Result<Check, ActionError> {
    let timedatectl = host
        .exec(shared, &["timedatectl", "show", "-p", "NTPSynchronized", "--value"])
        .await?;
    if let Some(synced) = ntp_synchronized(&timedatectl) {
        return Ok(time_check(synced, "timedatectl"));
    }
    let chronyc = host.exec(shared, &["chronyc", "-n", "tracking"]).await?;
    Ok(match chrony_synchronized(&chronyc) {
        Some(synced) => time_check(synced, "chronyc tracking"),
        None => Check::warn(
            "time_sync",
            "unknown: neither `timedatectl` nor `chronyc` answered whether the clock is synchronised",
            TIME_FIX,
        ),
    })
}

const TIME_FIX: &str = "Synchronise the clock with NTP: install and enable chrony (`systemctl enable --now \
                        chronyd`) or systemd-timesyncd, pointing at the same servers as the other Lustre \
                        servers";

fn time_check(synced: bool, source: &str) -> Check {
    if synced {
        Check::pass("time_sync", format!("the clock is synchronised ({source})"))
    } else {
        Check::warn(
            "time_sync",
            format!("the clock is not synchronised ({source})"),
            TIME_FIX,
        )
    }
}

/// `yes` / `no`; anything else is no answer.
fn ntp_synchronized(out: &ExecOutput) -> Option<bool> {
    match (out.exit_status, out.stdout.trim()) {
        (Some(0), "yes") => Some(true),
        (Some(0), "no") => Some(false),
        _ => None,
    }
}

/// `Leap status     : Normal` is synchronised; `Not synchronised` is not.
fn chrony_synchronized(out: &ExecOutput) -> Option<bool> {
    if out.exit_status != Some(0) {
        return None;
    }
    out.stdout.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "Leap status").then(|| value.trim() != "Not synchronised")
    })
}

/// `df -B1 --output=avail /var/log`: a header line (`Avail`), then bytes.
fn log_space(out: &ExecOutput) -> Check {
    const NAME: &str = "log_space";
    let fix = format!(
        "Free space in /var/log (at least {} GiB): rotate or remove old logs and Lustre debug dumps, or give \
         /var/log its own larger file system",
        MIN_LOG_SPACE >> 30
    );
    match available_bytes(out) {
        Some(avail) if avail >= MIN_LOG_SPACE => Check::pass(NAME, format!("{} free in /var/log", gib(avail))),
        Some(avail) => Check::warn(NAME, format!("only {} free in /var/log", gib(avail)), fix),
        None => Check::warn(
            NAME,
            format!("unknown: `df --output=avail /var/log` {}", outcome(out)),
            fix,
        ),
    }
}

fn available_bytes(out: &ExecOutput) -> Option<u64> {
    if out.exit_status != Some(0) {
        return None;
    }
    let mut lines = out.stdout.lines().map(str::trim).filter(|l| !l.is_empty());
    let header = lines.next()?;
    if !header.starts_with("Avail") {
        return None;
    }
    lines.next()?.parse().ok()
}

fn gib(bytes: u64) -> String {
    // Display only: two decimals are plenty.
    #[expect(clippy::cast_precision_loss, reason = "a size shown to two decimals")]
    let gib = bytes as f64 / f64::from(1u32 << 30);
    format!("{gib:.2} GiB")
}

fn first_line(out: &ExecOutput) -> Option<String> {
    out.stdout
        .lines()
        .chain(out.stderr.lines())
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_owned)
}

fn last_word(line: &str) -> &str {
    line.split_whitespace().last().unwrap_or(line)
}

/// How a command ended, for a message.
fn outcome(out: &ExecOutput) -> String {
    let said = first_line(out).unwrap_or_default();
    match (out.exit_status, &out.exit_signal) {
        (Some(code), _) => format!("exited with status {code}: {said}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        (None, None) => "ended without a status".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lustre::preflight::CheckStatus;

    fn out(code: u32, stdout: &str, stderr: &str) -> ExecOutput {
        ExecOutput {
            stdout: stdout.to_owned(),
            stderr: stderr.to_owned(),
            exit_status: Some(code),
            exit_signal: None,
            truncated: false,
        }
    }

    const NOT_FOUND: u32 = 127;

    #[test]
    fn lustre_is_installed_when_lctl_tells_its_version() {
        let check = lustre_tools(&out(0, "lctl 2.15.4\n", ""));
        assert_eq!(check.status, CheckStatus::Pass);
        assert!(check.message.contains("2.15.4"), "{check:?}");
        let check = lustre_tools(&out(NOT_FOUND, "", "bash: lctl: command not found\n"));
        assert_eq!(check.status, CheckStatus::Fail);
        assert!(
            check.message.contains("not installed") && check.fix.is_some(),
            "{check:?}"
        );
    }

    #[test]
    fn a_missing_server_utility_fails_naming_it() {
        let found = [
            ("mkfs.lustre", out(0, "/usr/sbin/mkfs.lustre\n", "")),
            ("mount.lustre", out(0, "/usr/sbin/mount.lustre\n", "")),
            ("tunefs.lustre", out(1, "", "")),
        ];
        let check = server_utilities(&found);
        assert_eq!(check.status, CheckStatus::Fail);
        assert!(check.message.starts_with("tunefs.lustre not found"), "{check:?}");
        let check = server_utilities(&found[..2]);
        assert_eq!(check.status, CheckStatus::Pass);
    }

    #[test]
    fn kernel_modules_are_read_from_modinfo_file_names() {
        let kernel = "4.18.0-477.27.1.el8_lustre.x86_64";
        let all = out(
            1,
            "/lib/modules/4.18.0-477.27.1.el8_lustre.x86_64/extra/lustre/net/lnet.ko\n\
             /lib/modules/4.18.0-477.27.1.el8_lustre.x86_64/extra/lustre/fs/ptlrpc.ko.xz\n\
             /lib/modules/4.18.0-477.27.1.el8_lustre.x86_64/extra/lustre-osd-ldiskfs/fs/osd_ldiskfs.ko\n",
            "modinfo: ERROR: Module osd_zfs not found.\n",
        );
        assert_eq!(found_modules(&all.stdout), ["lnet", "ptlrpc", "osd_ldiskfs"]);
        let check = kernel_modules(kernel, &all);
        assert_eq!(check.status, CheckStatus::Pass, "{check:?}");
        assert_eq!(check.message, format!("lnet, ptlrpc, osd_ldiskfs built for {kernel}"));

        let none = out(
            1,
            "",
            "modinfo: ERROR: Module lnet not found.\nmodinfo: ERROR: Module ptlrpc not found.\n\
             modinfo: ERROR: Module osd_ldiskfs not found.\nmodinfo: ERROR: Module osd_zfs not found.\n",
        );
        let check = kernel_modules("6.1.0-18-amd64", &none);
        assert_eq!(check.status, CheckStatus::Fail);
        assert!(
            check
                .message
                .starts_with("no lnet, ptlrpc, osd_ldiskfs or osd_zfs module for the running kernel 6.1.0-18-amd64"),
            "{check:?}"
        );
        assert!(check.fix.is_some_and(|f| f.contains("6.1.0-18-amd64")));
        let check = kernel_modules(kernel, &out(NOT_FOUND, "", "bash: modinfo: command not found\n"));
        assert_eq!(check.status, CheckStatus::Fail);
        assert!(check.message.contains("kmod"), "{check:?}");
    }

    #[test]
    fn lnetctl_must_answer_its_version() {
        assert_eq!(lnet_tools(&out(0, "lnetctl 2.15.4\n", "")).status, CheckStatus::Pass);
        assert_eq!(lnet_tools(&out(NOT_FOUND, "", "")).status, CheckStatus::Fail);
    }

    #[test]
    fn a_missing_ha_stack_fails_only_a_cluster_member() {
        let mut ha = HaContext {
            label: "oss1".into(),
            pacemaker: Some("Pacemaker 2.1.5".into()),
            corosync: Some("Corosync Cluster Engine, version '3.1.7'".into()),
            cluster: None,
            sharing: Vec::new(),
        };
        assert_eq!(ha_stack(&ha).status, CheckStatus::Pass);
        ha.pacemaker = None;
        ha.corosync = None;
        let check = ha_stack(&ha);
        assert_eq!(check.status, CheckStatus::Warn);
        assert!(check.message.contains("shares no volume"), "{check:?}");
        ha.sharing = vec!["oss2".into()];
        let check = ha_stack(&ha);
        assert_eq!(check.status, CheckStatus::Warn);
        assert!(check.message.contains("also seen from oss2"), "{check:?}");
        ha.cluster = Some("lustre-ha".into());
        let check = ha_stack(&ha);
        assert_eq!(check.status, CheckStatus::Fail);
        assert!(
            check.message.starts_with("pacemaker and corosync not installed"),
            "{check:?}"
        );
    }

    #[test]
    fn zfs_needs_its_osd_and_zpool() {
        let both = out(0, "/lib/modules/k/extra/lustre-osd-zfs/fs/osd_zfs.ko\n", "");
        let zpool = out(0, "/usr/sbin/zpool\n", "");
        assert_eq!(zfs(&both, &zpool, None).status, CheckStatus::Pass);
        let ldiskfs = out(1, "/lib/modules/k/extra/lustre-osd-ldiskfs/fs/osd_ldiskfs.ko\n", "");
        assert_eq!(zfs(&ldiskfs, &zpool, None).status, CheckStatus::Warn);
        let message = zfs(&both, &out(1, "", ""), None).message;
        assert!(message.contains("`zpool` was not found"), "{message}");
        // Pacemaker 2.1.5 on a host without the agent.
        let missing = out(
            105,
            "",
            "crm_resource: Metadata query for ocf:heartbeat:ZFS failed: No such device or address\n\
             Error performing operation: No such object\n",
        );
        let check = zfs(&both, &zpool, Some(&missing));
        assert_eq!(check.status, CheckStatus::Warn);
        assert!(
            check.message.contains("no ocf:heartbeat:ZFS agent"),
            "{}",
            check.message
        );
        let present = out(0, "<?xml version=\"1.0\"?>\n<resource-agent name=\"ZFS\"/>\n", "");
        assert_eq!(zfs(&both, &zpool, Some(&present)).status, CheckStatus::Pass);
    }

    #[test]
    fn time_sync_reads_timedatectl_and_chrony() {
        assert_eq!(ntp_synchronized(&out(0, "yes\n", "")), Some(true));
        assert_eq!(ntp_synchronized(&out(0, "no\n", "")), Some(false));
        assert_eq!(
            ntp_synchronized(&out(1, "", "Failed to connect to bus: Host is down\n")),
            None
        );
        let tracking = "Reference ID    : C0A80001 (192.168.0.1)\nStratum         : 3\n\
                        Leap status     : Normal\n";
        assert_eq!(chrony_synchronized(&out(0, tracking, "")), Some(true));
        let lost = "Reference ID    : 00000000 ()\nLeap status     : Not synchronised\n";
        assert_eq!(chrony_synchronized(&out(0, lost, "")), Some(false));
        assert_eq!(chrony_synchronized(&out(NOT_FOUND, "", "")), None);
        assert_eq!(time_check(false, "timedatectl").status, CheckStatus::Warn);
    }

    #[test]
    fn log_space_reads_df_and_warns_below_a_gib() {
        let check = log_space(&out(0, "      Avail\n82245537792\n", ""));
        assert_eq!(check.status, CheckStatus::Pass);
        assert_eq!(check.message, "76.60 GiB free in /var/log");
        let check = log_space(&out(0, "    Avail\n104857600\n", ""));
        assert_eq!(check.status, CheckStatus::Warn);
        assert_eq!(check.message, "only 0.10 GiB free in /var/log");
        let check = log_space(&out(1, "", "df: /var/log: No such file or directory\n"));
        assert_eq!(check.status, CheckStatus::Warn);
        assert!(check.message.starts_with("unknown"), "{check:?}");
    }
}
