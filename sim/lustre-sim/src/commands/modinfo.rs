//! kmod's `modinfo [-n] [-F FIELD] [-k KERNEL] MODULE…` over the modules
//! of the simulated Lustre stack (`commands::modules`), with kmod's
//! messages (`tools/modinfo.c`: `modinfo: ERROR: Module NAME not found.`,
//! status 1 when any module is missing, the others still printed). The
//! files sit where lustre-release's `lustre.spec.in` installs them:
//! `/lib/modules/KERNEL/extra/lustre/{net,fs}/NAME.ko`, the ldiskfs OSD in
//! `extra/lustre-osd-ldiskfs/fs/`. A host without Lustre, and any kernel
//! but the running one, has none of them; modules outside Lustre's stack
//! are not modelled (not found).

use super::{installed, modules, Context, Output, KERNEL_RELEASE, LUSTRE_VERSION};

/// The OpenZFS release the simulated servers run (with `kmod-lustre-osd-zfs`).
const ZFS_VERSION: &str = "2.1.16-1";

/// Runs `modinfo`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let mut field: Option<String> = None;
    let mut kernel = KERNEL_RELEASE.to_owned();
    let mut names = Vec::new();
    let mut words = args.iter();
    while let Some(arg) = words.next() {
        match arg.as_str() {
            "-n" | "--filename" => field = Some("filename".into()),
            "-F" | "--field" => field = words.next().cloned(),
            "-k" => kernel = words.next().cloned().unwrap_or_default(),
            other if other.starts_with("--field=") => field = Some(other["--field=".len()..].to_owned()),
            other if other.starts_with('-') => {
                return Output::fail(format!("modinfo: unrecognized option '{other}'\n"), 1);
            }
            name => names.push(name.to_owned()),
        }
    }
    if names.is_empty() {
        return Output::fail("modinfo: ERROR: missing module or filename.\n", 1);
    }
    let present = installed::lustre(ctx) && kernel == KERNEL_RELEASE;
    let mut out = Output::ok("");
    for name in names {
        match modules::known(&name).filter(|_| present) {
            Some(module) => {
                for (key, value) in fields(module, &kernel) {
                    match &field {
                        Some(only) if *only == key => out.stdout.push_str(&format!("{value}\n")),
                        Some(_) => {}
                        None => out.stdout.push_str(&format!("{:<16}{value}\n", format!("{key}:"))),
                    }
                }
            }
            None => {
                out.stderr
                    .push_str(&format!("modinfo: ERROR: Module {name} not found.\n"));
                out.code = 1;
            }
        }
    }
    out
}

/// The fields of a module (a subset of what its `.modinfo` section holds).
fn fields(module: &'static str, kernel: &str) -> Vec<(&'static str, String)> {
    let dir = match module {
        "libcfs" | "lnet" | "ksocklnd" | "ko2iblnd" => "lustre/net",
        "ldiskfs" | "osd_ldiskfs" => "lustre-osd-ldiskfs/fs",
        "osd_zfs" => "lustre-osd-zfs/fs",
        "spl" | "zfs" => "zfs",
        _ => "lustre/fs",
    };
    let mut fields = vec![("filename", format!("/lib/modules/{kernel}/extra/{dir}/{module}.ko"))];
    match module {
        "ldiskfs" => {}
        "spl" | "zfs" => fields.push(("version", ZFS_VERSION.to_owned())),
        _ => fields.push(("version", LUSTRE_VERSION.to_owned())),
    }
    fields.push(("license", "GPL".to_owned()));
    fields.push(("depends", modules::deps(module).join(",")));
    fields.push(("name", module.to_owned()));
    fields.push(("vermagic", format!("{kernel} SMP mod_unload modversions ")));
    fields
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};
    use crate::commands::KERNEL_RELEASE;

    #[test]
    fn names_the_files_of_lustre_modules_for_the_running_kernel() {
        let mut state = cluster();
        let out = run(
            &mut state,
            "oss1",
            &format!("modinfo -n -k {KERNEL_RELEASE} lnet ptlrpc osd_ldiskfs osd_zfs osd_btrfs"),
        );
        assert_eq!(out.code, 1);
        assert_eq!(
            out.stdout,
            format!(
                "/lib/modules/{KERNEL_RELEASE}/extra/lustre/net/lnet.ko\n\
                 /lib/modules/{KERNEL_RELEASE}/extra/lustre/fs/ptlrpc.ko\n\
                 /lib/modules/{KERNEL_RELEASE}/extra/lustre-osd-ldiskfs/fs/osd_ldiskfs.ko\n\
                 /lib/modules/{KERNEL_RELEASE}/extra/lustre-osd-zfs/fs/osd_zfs.ko\n"
            )
        );
        assert_eq!(out.stderr, "modinfo: ERROR: Module osd_btrfs not found.\n");
        let out = run(&mut state, "oss1", "modinfo lnet");
        assert_eq!(out.code, 0);
        assert!(out.stdout.contains("\nversion:        2.15.4\n"), "{}", out.stdout);
        assert!(out.stdout.contains("\ndepends:        libcfs\n"), "{}", out.stdout);
        let out = run(&mut state, "oss1", "modinfo -k 6.1.0-18-amd64 lnet");
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (1, "modinfo: ERROR: Module lnet not found.\n")
        );
    }

    #[test]
    fn a_host_without_lustre_has_no_lustre_module() {
        let mut state = cluster();
        if let Some(h) = state.host_mut("oss1") {
            h.no_lustre = true;
        }
        let out = run(&mut state, "oss1", "modinfo -n lnet");
        assert_eq!(out.code, 1);
        assert!(out.stdout.is_empty());
        assert_eq!(out.stderr, "modinfo: ERROR: Module lnet not found.\n");
    }
}
