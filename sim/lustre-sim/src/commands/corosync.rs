//! `corosync -v`: the version banner of corosync 3.1.7 (Debian 12's
//! build, run on this machine).

use super::pacemaker::not_found;
use super::{Context, Output};

/// Runs `corosync -v`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    if !crate::pacemaker::installed(ctx.state, &ctx.host) {
        return not_found("corosync");
    }
    if args.iter().any(|a| a == "-v") {
        return Output::ok(
            "Corosync Cluster Engine, version '3.1.7'\nCopyright (c) 2006-2021 Red Hat, Inc.\n\n\
             Built-in features: dbus monitoring watchdog augeas systemd xmlconf vqsim nozzle snmp pie relro bindnow\n\
             Available crypto models: nss openssl\n\
             Available compression models: zlib lz4 lz4hc lzo2 lzma bzip2 zstd\n",
        );
    }
    Output::fail("lustre-sim: start corosync with systemctl start corosync\n", 1)
}
