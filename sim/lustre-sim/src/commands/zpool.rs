//! `zpool create | import | export | list | destroy`, with OpenZFS 2.1's
//! refusals: a vdev of another pool is refused unless forced (and never
//! when that pool is active here), a pool another live host has imported
//! is refused even forced (`multihost=on`), a pool last used by another
//! host and not exported needs `-f`, and an export or destroy of a pool
//! whose Lustre target is mounted finds it busy.

use super::{Context, Output};
use crate::zfs::{host_down, hostid, Zpool};

/// Runs `zpool SUBCOMMAND …`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let Some((sub, rest)) = args.split_first() else {
        return Output::fail("usage: zpool command args ...\n", 2);
    };
    // libzfs loads the zfs module when /dev/zfs is missing (modelled for
    // the commands that change something: `list` and `get` only read).
    if matches!(sub.as_str(), "create" | "import") {
        let host = ctx.host.clone();
        ctx.state.load_module(&host, "zfs", crate::state::now_micros());
    }
    match sub.as_str() {
        "create" => create(rest, ctx),
        "import" => import(rest, ctx),
        "export" => export(rest, ctx),
        "list" => list(rest, ctx),
        "destroy" => destroy(rest, ctx),
        "set" => set(rest, ctx),
        "get" => get(rest, ctx),
        other => Output::fail(format!("unrecognized command '{other}'\n"), 2),
    }
}

/// Splits `args` into flags (`-f`), `-o`/`-O`/`-d` values and positionals.
fn split(args: &[String]) -> (Vec<char>, Vec<String>, Vec<String>) {
    let mut flags = Vec::new();
    let mut props = Vec::new();
    let mut words = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "-o" | "-O" | "-d" | "-R" | "-m" | "-t" => props.extend(iter.next().cloned()),
            a if a.starts_with('-') && a.len() > 1 => flags.extend(a.chars().skip(1)),
            a => words.push(a.to_string()),
        }
    }
    (flags, props, words)
}

fn no_such_pool(name: &str) -> Output {
    Output::fail(format!("cannot open '{name}': no such pool\n"), 1)
}

/// zpool's name rule: a letter first, then letters, digits, `_ - . :`.
fn valid_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.:".contains(c))
        && !["mirror", "raidz", "draid", "spare", "log"]
            .iter()
            .any(|r| name.starts_with(r))
}

fn create(args: &[String], ctx: &mut Context<'_>) -> Output {
    let (flags, props, words) = split(args);
    let force = flags.contains(&'f');
    let Some((name, vdevs)) = words.split_first() else {
        return Output::fail("missing pool name argument\n", 2);
    };
    if vdevs.is_empty() {
        return Output::fail("missing vdev specification\n", 2);
    }
    if !valid_name(name) {
        return Output::fail(format!("cannot create '{name}': invalid character in pool name\n"), 1);
    }
    if ctx
        .state
        .zpools
        .iter()
        .any(|p| &p.name == name && p.imported_on.as_deref() == Some(&ctx.host))
    {
        return Output::fail(format!("cannot create '{name}': pool already exists\n"), 1);
    }
    let mut serials = Vec::new();
    let mut forced = Vec::new();
    let mut fatal = Vec::new();
    for vdev in vdevs {
        let Some(serial) = ctx.state.resolve_device(&ctx.host, vdev) else {
            return Output::fail(
                format!("cannot open '{vdev}': no such device in /dev\nmust be a full path or shorthand device name\n"),
                1,
            );
        };
        if let Some(mount) = ctx.state.mount_of(&serial).filter(|m| m.host == ctx.host) {
            fatal.push(format!(
                "{vdev} is in use and contains a lustre filesystem ({})",
                mount.mountpoint
            ));
        } else if ctx.state.holder(&ctx.host, vdev).is_some() {
            fatal.push(format!("{vdev} is in use and contains a unknown filesystem"));
        } else if let Some(pool) = ctx.state.pool_of_vdev(&serial).filter(|p| !p.destroyed) {
            match pool.imported_on.as_deref() {
                Some(h) if h == ctx.host => fatal.push(format!("{vdev} is part of active pool '{}'", pool.name)),
                Some(_) => forced.push(format!("{vdev} is part of potentially active pool '{}'", pool.name)),
                None => forced.push(format!("{vdev} is part of exported pool '{}'", pool.name)),
            }
        } else if ctx.state.devices[&serial].target.is_some() {
            forced.push(format!("{vdev} contains a filesystem of type 'ext4'"));
        }
        serials.push(serial);
    }
    if !fatal.is_empty() {
        return Output::fail(
            format!(
                "invalid vdev specification\nthe following errors must be manually repaired:\n{}\n",
                fatal.join("\n")
            ),
            1,
        );
    }
    if !forced.is_empty() && !force {
        return Output::fail(
            format!(
                "invalid vdev specification\nuse '-f' to override the following errors:\n{}\n",
                forced.join("\n")
            ),
            1,
        );
    }
    ctx.state.vdevs_overwritten(&serials);
    let guid = guid(name, &serials, ctx.state.zpools.len());
    ctx.state.zpools.push(Zpool {
        name: name.clone(),
        guid,
        vdevs: serials,
        imported_on: Some(ctx.host.clone()),
        last_host: ctx.host.clone(),
        exported: false,
        multihost: props.iter().any(|p| p == "multihost=on"),
        destroyed: false,
        datasets: Default::default(),
    });
    Output::ok("")
}

/// A pool GUID: 64 bits, stable for the same creation.
fn guid(name: &str, vdevs: &[String], n: usize) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes().chain(vdevs.concat().bytes()).chain(n.to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h >> 1
}

fn import(args: &[String], ctx: &mut Context<'_>) -> Output {
    let (flags, props, words) = split(args);
    let force = flags.contains(&'f');
    let Some(name) = words.first() else {
        return Output::fail("lustre-sim: `zpool import` without a pool name is not modelled\n", 2);
    };
    let visible = |p: &Zpool| {
        p.vdevs.iter().all(|v| {
            ctx.state
                .devices
                .get(v)
                .is_some_and(|d| d.paths.contains_key(&ctx.host))
        })
    };
    let Some(index) = ctx
        .state
        .zpools
        .iter()
        .rposition(|p| &p.name == name && !p.destroyed && visible(p))
    else {
        return Output::fail(format!("cannot import '{name}': no such pool available\n"), 1);
    };
    let pool = ctx.state.zpools[index].clone();
    if pool.imported_on.as_deref() == Some(&ctx.host) {
        return Output::fail(
            format!(
                "cannot import '{name}': a pool with that name is already created/imported,\n\
                 and no additional pools with that name were found\n"
            ),
            1,
        );
    }
    if let Some(other) = pool.imported_on.as_deref() {
        if pool.multihost && !host_down(&ctx.faults, other) {
            // The activity check saw the other host write (libzfs words
            // it differently with and without -f).
            let held = if force {
                format!("pool is imported on host '{other}' (hostid={}).", hostid(other))
            } else {
                format!("pool is imported on {other} (hostid: 0x{})", hostid(other))
            };
            return Output::fail(
                format!(
                    "cannot import '{name}': {held}\n\
                     Export the pool on the other system, then run 'zpool import'.\n"
                ),
                1,
            );
        }
    }
    let clean = pool.exported || pool.last_host == ctx.host;
    if !clean && !force {
        return Output::fail(
            format!(
                "cannot import '{name}': pool was previously in use from another system.\n\
                 Last accessed by {} (hostid={}) at {}\n\
                 The pool can be imported, use 'zpool import -f' to import the pool.\n",
                pool.last_host,
                hostid(&pool.last_host),
                chrono::Utc::now().format("%a %b %e %H:%M:%S %Y")
            ),
            1,
        );
    }
    let _ = props;
    let host = ctx.host.clone();
    let pool = &mut ctx.state.zpools[index];
    pool.imported_on = Some(host.clone());
    pool.last_host = host;
    pool.exported = false;
    Output::ok("")
}

/// The mount point of a Lustre target of `pool` mounted on this host.
fn busy(ctx: &Context<'_>, pool: &Zpool) -> bool {
    pool.vdevs
        .first()
        .and_then(|v| ctx.state.mount_of(v))
        .is_some_and(|m| m.host == ctx.host)
}

/// The pool `export` or `destroy` (`verb`) acts on: imported here, its
/// Lustre target not mounted.
fn idle_pool(args: &[String], ctx: &Context<'_>, verb: &str) -> Result<Zpool, Output> {
    let (_, _, words) = split(args);
    let Some(name) = words.first() else {
        return Err(Output::fail("missing pool argument\n", 2));
    };
    let Some(pool) = ctx.state.imported_pool(&ctx.host, name).cloned() else {
        return Err(no_such_pool(name));
    };
    if busy(ctx, &pool) {
        return Err(Output::fail(format!("cannot {verb} '{name}': pool is busy\n"), 1));
    }
    Ok(pool)
}

fn export(args: &[String], ctx: &mut Context<'_>) -> Output {
    let pool = match idle_pool(args, ctx, "export") {
        Ok(pool) => pool,
        Err(out) => return out,
    };
    if let Some(p) = ctx.state.zpools.iter_mut().find(|p| p.guid == pool.guid) {
        p.imported_on = None;
        p.exported = true;
    }
    Output::ok("")
}

fn destroy(args: &[String], ctx: &mut Context<'_>) -> Output {
    let pool = match idle_pool(args, ctx, "destroy") {
        Ok(pool) => pool,
        Err(out) => return out,
    };
    if let Some(p) = ctx.state.zpools.iter_mut().find(|p| p.guid == pool.guid) {
        p.imported_on = None;
        p.destroyed = true;
        p.datasets.clear();
    }
    for v in &pool.vdevs {
        if let Some(dev) = ctx.state.devices.get_mut(v) {
            dev.target = None;
        }
    }
    Output::ok("")
}

/// `zpool set PROPERTY=VALUE POOL` (only `multihost` changes anything).
fn set(args: &[String], ctx: &mut Context<'_>) -> Output {
    let [assignment, name] = args else {
        return Output::fail("missing property=value argument\n", 2);
    };
    let Some((property, value)) = assignment.split_once('=') else {
        return Output::fail("missing '=' for property=value argument\n", 2);
    };
    let Some(guid) = ctx.state.imported_pool(&ctx.host, name).map(|p| p.guid) else {
        return no_such_pool(name);
    };
    if property == "multihost" {
        if let Some(p) = ctx.state.zpools.iter_mut().find(|p| p.guid == guid) {
            p.multihost = value == "on";
        }
    }
    Output::ok("")
}

/// `zpool get [-H] [-o value] PROPERTY POOL`: `multihost` and `guid`
/// (scripted value form only).
fn get(args: &[String], ctx: &mut Context<'_>) -> Output {
    let (_, _, words) = split(args);
    let [property, name] = words.as_slice() else {
        return Output::fail("missing property or pool argument\n", 2);
    };
    let Some(pool) = ctx.state.imported_pool(&ctx.host, name) else {
        return no_such_pool(name);
    };
    let value = match property.as_str() {
        "multihost" => if pool.multihost { "on" } else { "off" }.to_string(),
        "guid" => pool.guid.to_string(),
        "health" => "ONLINE".to_string(),
        _ => "-".to_string(),
    };
    Output::ok(format!("{value}\n"))
}

/// `zpool list [-H] [-o PROPS] [POOL…]`: the pools imported here.
fn list(args: &[String], ctx: &mut Context<'_>) -> Output {
    let (flags, props, words) = split(args);
    let scripted = flags.contains(&'H');
    let columns: Vec<String> = props
        .first()
        .map(|p| p.split(',').map(str::to_string).collect())
        .unwrap_or_else(|| ["name", "size", "alloc", "free", "health"].map(str::to_string).to_vec());
    let mut pools: Vec<&Zpool> = Vec::new();
    for name in &words {
        match ctx.state.imported_pool(&ctx.host, name) {
            Some(p) => pools.push(p),
            None => return no_such_pool(name),
        }
    }
    if words.is_empty() {
        pools = ctx
            .state
            .zpools
            .iter()
            .filter(|p| !p.destroyed && p.imported_on.as_deref() == Some(&ctx.host))
            .collect();
    }
    let size = |p: &Zpool| -> u64 {
        p.vdevs
            .iter()
            .filter_map(|v| ctx.state.devices.get(v))
            .map(|d| d.size)
            .sum()
    };
    let mut out = String::new();
    if !scripted {
        let header: Vec<String> = columns.iter().map(|c| c.to_uppercase()).collect();
        out.push_str(&header.join("  "));
        out.push('\n');
    }
    for p in pools {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match c.as_str() {
                "name" => p.name.clone(),
                "size" => size(p).to_string(),
                "alloc" => "0".to_string(),
                "free" => size(p).to_string(),
                "health" => "ONLINE".to_string(),
                "guid" => p.guid.to_string(),
                "multihost" => if p.multihost { "on" } else { "off" }.to_string(),
                _ => "-".to_string(),
            })
            .collect();
        out.push_str(&cells.join(if scripted { "\t" } else { "  " }));
        out.push('\n');
    }
    if out.is_empty() && words.is_empty() {
        return Output::ok("no pools available\n");
    }
    Output::ok(out)
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run, run_with};
    use crate::faults::{FaultCommand, Faults};

    #[test]
    fn a_pool_moves_between_hosts_only_when_exported_or_its_host_is_dead() {
        let mut state = cluster();
        assert_eq!(
            run(&mut state, "oss1", "zpool create -f -O canmount=off tank /dev/sdb").code,
            0
        );
        assert_eq!(run(&mut state, "oss1", "zpool set multihost=on tank").code, 0);
        let listed = run(&mut state, "oss1", "zpool list -H -o name,health");
        assert_eq!(listed.stdout, "tank\tONLINE\n");
        let gone = run(&mut state, "oss2", "zpool list -H -o name tank");
        assert_eq!(
            (gone.code, gone.stderr.as_str()),
            (1, "cannot open 'tank': no such pool\n")
        );
        let refused = run(&mut state, "oss2", "zpool import -f tank");
        assert_eq!(refused.code, 1);
        assert!(refused
            .stderr
            .starts_with("cannot import 'tank': pool is imported on host 'oss1' (hostid="));
        // oss1 dies: the activity check sees no writes, a forced import works.
        let mut faults = Faults::default();
        faults.apply("oss1", FaultCommand::Down);
        let unforced = run_with(&mut state, "oss2", "zpool import tank", &faults);
        assert!(unforced
            .stderr
            .starts_with("cannot import 'tank': pool was previously in use from another system.\n"));
        assert_eq!(run_with(&mut state, "oss2", "zpool import -f tank", &faults).code, 0);
        assert_eq!(run(&mut state, "oss2", "zpool export tank").code, 0);
        // Exported cleanly: the other host imports it without -f.
        assert_eq!(run(&mut state, "oss1", "zpool import tank").code, 0);
        let missing = run(&mut state, "oss1", "zpool import nosuch");
        assert_eq!(missing.stderr, "cannot import 'nosuch': no such pool available\n");
    }

    #[test]
    fn a_vdev_of_another_pool_needs_force_and_an_active_one_is_refused() {
        let mut state = cluster();
        assert_eq!(run(&mut state, "oss1", "zpool create old /dev/sdb").code, 0);
        let active = run(&mut state, "oss1", "zpool create -f new /dev/sdb");
        assert!(
            active.stderr.contains("/dev/sdb is part of active pool 'old'"),
            "{active:?}"
        );
        let other = run(&mut state, "oss2", "zpool create new /dev/sdb");
        assert!(other.stderr.contains("use '-f' to override"), "{other:?}");
        assert!(other
            .stderr
            .contains("/dev/sdb is part of potentially active pool 'old'"));
        assert_eq!(run(&mut state, "oss2", "zpool create -f new /dev/sdb").code, 0);
        assert_eq!(state.zpools.len(), 1, "the old pool's labels were overwritten");
    }
}
