//! `systemctl start|stop|restart|enable|disable|is-active|is-enabled
//! [--now] UNIT…` for `corosync` and `pacemaker`, with systemd 239's
//! (RHEL 8) messages and exit codes. `pacemaker.service` `Requires=` and
//! comes `After=` `corosync.service`: starting it starts corosync first
//! (and fails when that fails); stopping corosync stops pacemaker first.
//! corosync reads `/etc/corosync/corosync.conf` (and, with crypto,
//! `/etc/corosync/authkey`) when it starts and fails on a bad file.

use super::{Context, Output};
use crate::faults::Faults;
use crate::pacemaker::{self, corosync, log, Unit};
use crate::state::{now_micros, ClusterState};

/// The corosync configuration file.
pub const COROSYNC_CONF: &str = "/etc/corosync/corosync.conf";
/// The corosync authentication key.
pub const AUTHKEY: &str = "/etc/corosync/authkey";

const UNITS: [&str; 2] = ["corosync", "pacemaker"];

/// `corosync` or `pacemaker` from `corosync.service` etc.
fn unit_name(arg: &str) -> &str {
    arg.strip_suffix(".service").unwrap_or(arg)
}

fn known(ctx: &Context<'_>, unit: &str) -> bool {
    UNITS.contains(&unit) && pacemaker::installed(ctx.state, &ctx.host)
}

fn unit<'a>(state: &'a mut ClusterState, host: &str, name: &str) -> &'a mut Unit {
    let ha = state.ha.hosts.entry(host.to_string()).or_default();
    if name == "corosync" {
        &mut ha.corosync
    } else {
        &mut ha.pacemaker
    }
}

/// A unit's state, without creating a record for it.
fn peek(state: &ClusterState, host: &str, name: &str) -> Unit {
    state
        .ha
        .hosts
        .get(host)
        .map(|ha| {
            if name == "corosync" {
                ha.corosync.clone()
            } else {
                ha.pacemaker.clone()
            }
        })
        .unwrap_or_default()
}

fn job_failed(name: &str) -> String {
    format!(
        "Job for {name}.service failed because the control process exited with error code.\n\
         See \"systemctl status {name}.service\" and \"journalctl -xe\" for details.\n"
    )
}

/// Starts a unit on `host` (used by `systemctl` and at boot); `Err` is
/// what `systemctl start` prints.
pub fn start_unit(state: &mut ClusterState, host: &str, name: &str, now_us: u64) -> Result<(), String> {
    if name == "pacemaker" {
        if start_unit(state, host, "corosync", now_us).is_err() {
            return Err("A dependency job for pacemaker.service failed. See 'journalctl -xe' for details.\n".into());
        }
        let u = unit(state, host, "pacemaker");
        if !u.active {
            u.active = true;
            u.failed = false;
            let msg = format!("Starting Pacemaker {}", pacemaker::VERSION);
            log::pacemaker(state, host, "pacemakerd", log::NOTICE, now_us, &msg);
        }
        return Ok(());
    }
    if unit(state, host, "corosync").active {
        return Ok(());
    }
    match read_conf(state, host) {
        Ok((conf, authkey)) => {
            let name = conf.cluster_name.clone();
            let ha = state.ha.hosts.entry(host.to_string()).or_default();
            ha.conf = Some(conf);
            ha.authkey = authkey;
            ha.corosync = Unit {
                active: true,
                failed: false,
                enabled: ha.corosync.enabled,
            };
            state.ha.clusters.entry(name).or_default();
            log::corosync(
                state,
                host,
                log::NOTICE,
                now_us,
                "  [MAIN  ] Corosync Cluster Engine 3.1.7 started and ready to provide service.",
            );
            Ok(())
        }
        Err(reason) => {
            unit(state, host, "corosync").failed = true;
            log::corosync(state, host, log::ERR, now_us, &format!("  [MAIN  ] {reason}"));
            log::corosync(
                state,
                host,
                log::ERR,
                now_us,
                "  [MAIN  ] Corosync Cluster Engine exiting with status 8 at main.c:1417.",
            );
            Err(job_failed("corosync"))
        }
    }
}

/// The configuration and key corosync would read on `host`.
fn read_conf(state: &ClusterState, host: &str) -> Result<(corosync::CorosyncConf, Option<String>), String> {
    let files = state.files.get(host);
    let text = files
        .and_then(|f| f.get(COROSYNC_CONF))
        .ok_or_else(|| format!("Can't read file {COROSYNC_CONF}: No such file or directory"))?;
    let conf = corosync::parse(&text.content).map_err(|e| format!("parse error in config: {e}"))?;
    if pacemaker::conf_node(state, &conf, host).is_none() {
        return Err("parse error in config: This node is not in the nodelist".into());
    }
    let authkey = files.and_then(|f| f.get(AUTHKEY)).map(|f| f.content.clone());
    if conf.crypto && authkey.is_none() {
        return Err(format!("Could not open {AUTHKEY}: No such file or directory"));
    }
    Ok((conf, authkey))
}

/// Stops a unit on `host`: pacemaker shuts down cleanly (its resources
/// stop here and move to the peers); corosync stops pacemaker first.
pub fn stop_unit(state: &mut ClusterState, faults: &Faults, host: &str, name: &str, now_us: u64) {
    if name == "corosync" {
        stop_unit(state, faults, host, "pacemaker", now_us);
        let u = unit(state, host, "corosync");
        u.active = false;
        u.failed = false;
        return;
    }
    if !unit(state, host, "pacemaker").active {
        return;
    }
    pacemaker::scheduler::shutdown_node(state, faults, host, now_us);
    let u = unit(state, host, "pacemaker");
    u.active = false;
    u.failed = false;
    log::pacemaker(state, host, "pacemakerd", log::NOTICE, now_us, "Shutdown complete");
}

fn symlink(name: &str) -> String {
    format!("/etc/systemd/system/multi-user.target.wants/{name}.service")
}

/// Runs `systemctl VERB [--now] UNIT…`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let now_flag = args.iter().any(|a| a == "--now");
    let words: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(String::as_str)
        .collect();
    let Some((verb, units)) = words.split_first() else {
        return Output::fail("lustre-sim: systemctl needs a command\n", 1);
    };
    if units.is_empty() {
        return Output::fail("Too few arguments.\n", 1);
    }
    let now_us = now_micros();
    let host = ctx.host.clone();
    let faults = ctx.faults.clone();
    let mut out = Output::ok("");
    for raw in units {
        let name = unit_name(raw);
        let present = known(ctx, name);
        match *verb {
            "start" | "restart" => {
                if !present {
                    return Output::fail(
                        format!("Failed to {verb} {name}.service: Unit {name}.service not found.\n"),
                        5,
                    );
                }
                if *verb == "restart" {
                    stop_unit(ctx.state, &faults, &host, name, now_us);
                }
                if let Err(e) = start_unit(ctx.state, &host, name, now_us) {
                    out.stderr.push_str(&e);
                    out.code = 1;
                }
            }
            "stop" => {
                if !present {
                    return Output::fail(
                        format!("Failed to stop {name}.service: Unit {name}.service not loaded.\n"),
                        5,
                    );
                }
                stop_unit(ctx.state, &faults, &host, name, now_us);
            }
            "enable" | "disable" => {
                if !present {
                    return Output::fail(
                        format!("Failed to {verb} unit: Unit file {name}.service does not exist.\n"),
                        1,
                    );
                }
                let enable = *verb == "enable";
                let u = unit(ctx.state, &host, name);
                if u.enabled != enable {
                    u.enabled = enable;
                    out.stderr.push_str(&if enable {
                        format!(
                            "Created symlink {} → /usr/lib/systemd/system/{name}.service.\n",
                            symlink(name)
                        )
                    } else {
                        format!("Removed {}.\n", symlink(name))
                    });
                }
                if now_flag {
                    if enable {
                        if let Err(e) = start_unit(ctx.state, &host, name, now_us) {
                            out.stderr.push_str(&e);
                            out.code = 1;
                        }
                    } else {
                        stop_unit(ctx.state, &faults, &host, name, now_us);
                    }
                }
            }
            "is-active" => {
                let u = if present {
                    peek(ctx.state, &host, name)
                } else {
                    Unit::default()
                };
                let word = if u.active {
                    "active"
                } else if u.failed {
                    "failed"
                } else {
                    "inactive"
                };
                out.stdout.push_str(&format!("{word}\n"));
                if !u.active {
                    out.code = 3;
                }
            }
            "is-enabled" => {
                if !present {
                    out.stderr.push_str(&format!(
                        "Failed to get unit file state for {name}.service: No such file or directory\n"
                    ));
                    out.code = 1;
                    continue;
                }
                let enabled = peek(ctx.state, &host, name).enabled;
                out.stdout.push_str(if enabled { "enabled\n" } else { "disabled\n" });
                if !enabled {
                    out.code = 1;
                }
            }
            other => {
                return Output::fail(format!("lustre-sim: systemctl {other} is not simulated\n"), 1);
            }
        }
    }
    out
}

/// Does `systemctl ARGS` only read?
pub fn is_read_only(args: &[String]) -> bool {
    matches!(
        args.iter().find(|a| !a.starts_with('-')).map(String::as_str),
        Some("is-active" | "is-enabled" | "status")
    )
}
