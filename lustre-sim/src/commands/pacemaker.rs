//! A tiny Pacemaker: every registered target (mounted at least once) is a
//! resource named after it (`fs1-OST0000`, `MGS`) with agent
//! `ocf::lustre:Lustre`, started on the host where it is mounted.
//! `crm_mon -1 --as-xml` / `--output-as=xml`, `crm_resource --locate` and
//! `crm_resource --move` act on it; `lustre-sim fault HOST failover TARGET`
//! uses [`move_target`].

use super::{console, Context, Output};
use crate::faults::Faults;
use crate::state::{now_micros, ClusterState, Mount};

const PACEMAKER_VERSION: &str = "2.1.5";

/// A resource: its id, device serial and where it runs.
struct Resource {
    id: String,
    serial: String,
    running_on: Option<String>,
}

fn resources(state: &ClusterState) -> Vec<Resource> {
    // Where each device is mounted, looked up once (clusters have
    // thousands of targets).
    let mounted: std::collections::HashMap<&str, &str> = state
        .mounts
        .iter()
        .map(|m| (m.serial.as_str(), m.host.as_str()))
        .collect();
    state
        .devices
        .values()
        .filter_map(|d| {
            let running_on = mounted.get(d.serial.as_str()).map(|h| h.to_string());
            let t = d.target.as_ref().filter(|t| !t.first_time || running_on.is_some())?;
            Some(Resource {
                id: t.svname(),
                serial: d.serial.clone(),
                running_on,
            })
        })
        .collect()
}

/// Moves resource `id` to `to` (or, with `None`, to any other host that
/// sees its device): unmount where it runs, mount on the new host.
pub fn move_target(state: &mut ClusterState, id: &str, to: Option<&str>) -> Result<String, String> {
    let resource = resources(state)
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| format!("Resource '{id}' not found"))?;
    let paths = state
        .devices
        .get(&resource.serial)
        .map(|d| d.paths.clone())
        .unwrap_or_default();
    let target_host = match to {
        Some(host) => host.to_string(),
        None => paths
            .keys()
            .find(|h| Some(h.as_str()) != resource.running_on.as_deref())
            .cloned()
            .ok_or_else(|| format!("Resource '{id}' has no other node to move to"))?,
    };
    if !paths.contains_key(&target_host) {
        return Err(format!("Resource '{id}' cannot run on node '{target_host}'"));
    }
    let mountpoint = state
        .mount_of(&resource.serial)
        .map_or_else(|| format!("/mnt/{id}"), |m| m.mountpoint.clone());
    let now_us = now_micros();
    let stopped = state.remove_mount(&resource.serial, now_us / 1_000_000);
    state.set_lnet(&target_host, true, now_us);
    state.mounts.push(Mount {
        host: target_host.clone(),
        serial: resource.serial.clone(),
        mountpoint,
        since: now_us / 1_000_000,
        tunables: Default::default(),
    });
    let target = state.devices.get(&resource.serial).and_then(|d| d.target.clone());
    if let Some(target) = target {
        let from = stopped.as_ref().map(|m| (m.host.as_str(), &target));
        console::moved(state, id, from, &target_host, &resource.serial, now_us);
    }
    Ok(target_host)
}

/// Runs `crm_mon -1 --as-xml` or `crm_mon -1 --output-as=xml`.
pub fn crm_mon(args: &[String], ctx: &mut Context<'_>, faults: &Faults) -> Output {
    let legacy = args.iter().any(|a| a == "--as-xml" || a == "-X");
    let xml = legacy
        || args.windows(2).any(|w| w[0] == "--output-as" && w[1] == "xml")
        || args.iter().any(|a| a == "--output-as=xml");
    if !xml {
        return Output::fail("crm_mon: lustre-sim only prints XML (--as-xml or --output-as=xml)\n", 1);
    }
    let state = &*ctx.state;
    let res = resources(state);
    let mut nodes = String::new();
    for (i, h) in state.hosts.iter().enumerate() {
        let online = !faults.host(&h.name).down;
        let running = res.iter().filter(|r| r.running_on.as_deref() == Some(&h.name)).count();
        nodes.push_str(&format!(
            "    <node name=\"{}\" id=\"{}\" online=\"{online}\" standby=\"false\" standby_onfail=\"false\" \
             maintenance=\"false\" pending=\"false\" unclean=\"false\" shutdown=\"false\" expected_up=\"true\" \
             is_dc=\"{}\" resources_running=\"{running}\" type=\"member\"/>\n",
            h.name,
            i + 1,
            i == 0
        ));
    }
    let mut resources_xml = String::new();
    for r in &res {
        let (role, active, count) = if r.running_on.is_some() {
            ("Started", true, 1)
        } else {
            ("Stopped", false, 0)
        };
        resources_xml.push_str(&format!(
            "    <resource id=\"{}\" resource_agent=\"ocf::lustre:Lustre\" role=\"{role}\" active=\"{active}\" \
             orphaned=\"false\" blocked=\"false\" maintenance=\"false\" managed=\"true\" failed=\"false\" failure_ignored=\"false\" \
             nodes_running_on=\"{count}\"",
            r.id
        ));
        match &r.running_on {
            Some(host) => {
                let id = state.hosts.iter().position(|h| &h.name == host).map_or(0, |i| i + 1);
                resources_xml.push_str(&format!(
                    ">\n      <node name=\"{host}\" id=\"{id}\" cached=\"true\"/>\n    </resource>\n"
                ));
            }
            None => resources_xml.push_str("/>\n"),
        }
    }
    let dc = state.hosts.first().map(|h| h.name.clone()).unwrap_or_default();
    // `pcmk__epoch2str`: ctime(3) without its newline.
    let now = chrono::Local::now().format("%a %b %e %H:%M:%S %Y");
    let summary = format!(
        "  <summary>\n    <stack type=\"corosync\"/>\n    <current_dc present=\"true\" version=\"{PACEMAKER_VERSION}\" \
         name=\"{dc}\" id=\"1\" with_quorum=\"true\"/>\n    <last_update time=\"{now}\"/>\n    \
         <last_change time=\"{now}\" user=\"root\" client=\"crm_resource\" origin=\"{dc}\"/>\n    \
         <nodes_configured number=\"{}\"/>\n    <resources_configured number=\"{}\" disabled=\"0\" blocked=\"0\"/>\n  \
         </summary>\n",
        state.hosts.len(),
        res.len()
    );
    let body = format!("{summary}  <nodes>\n{nodes}  </nodes>\n  <resources>\n{resources_xml}  </resources>\n");
    Output::ok(if legacy {
        format!("<?xml version=\"1.0\"?>\n<crm_mon version=\"{PACEMAKER_VERSION}\">\n{body}</crm_mon>\n")
    } else {
        format!(
            "<pacemaker-result api-version=\"2.25\" request=\"crm_mon {}\">\n{body}  <status code=\"0\" message=\"OK\"/>\n\
             </pacemaker-result>\n",
            args.join(" ")
        )
    })
}

/// Runs `crm_resource --locate|--move|--clear --resource R [--node N]`.
pub fn crm_resource(args: &[String], ctx: &mut Context<'_>) -> Output {
    let value = |long: &str, short: &str| {
        args.iter().enumerate().find_map(|(i, a)| {
            if a == long || a == short {
                args.get(i + 1).cloned()
            } else {
                a.strip_prefix(&format!("{long}=")).map(str::to_string)
            }
        })
    };
    let has = |long: &str, short: &str| args.iter().any(|a| a == long || a == short);
    let Some(id) = value("--resource", "-r") else {
        return Output::fail("crm_resource: Must supply a resource id with -r\n", 64);
    };
    if has("--locate", "-W") {
        let r = resources(ctx.state).into_iter().find(|r| r.id == id);
        return match r {
            Some(Resource {
                running_on: Some(host), ..
            }) => Output::ok(format!("resource {id} is running on: {host}\n")),
            Some(_) => Output {
                stdout: String::new(),
                stderr: format!("resource {id} is NOT running\n"),
                code: 0,
            },
            None => Output::fail(
                format!("crm_resource: Resource '{id}' not found\nError performing operation: No such object\n"),
                105,
            ),
        };
    }
    if has("--move", "-M") || has("--ban", "-B") {
        let node = value("--node", "-N");
        return match move_target(ctx.state, &id, node.as_deref()) {
            Ok(_) => Output::ok(""),
            Err(e) => Output::fail(
                format!("crm_resource: {e}\nError performing operation: No such object\n"),
                105,
            ),
        };
    }
    if has("--clear", "-U") || has("--un-move", "-U") {
        return Output::ok("");
    }
    Output::fail("crm_resource: lustre-sim supports --locate, --move and --clear\n", 64)
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    fn started(state: &mut crate::state::ClusterState) {
        for (host, line) in [
            ("mds1", "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/sdb"),
            ("mds1", "mount -t lustre /dev/sdb /mnt/mdt0"),
            (
                "oss1",
                "mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdb",
            ),
            ("oss1", "mount -t lustre /dev/sdb /mnt/ost0"),
        ] {
            assert_eq!(run(state, host, line).code, 0, "{line}");
        }
    }

    #[test]
    fn crm_mon_lists_started_targets() {
        let mut state = cluster();
        started(&mut state);
        let out = run(&mut state, "oss2", "crm_mon -1 --as-xml");
        assert!(
            out.stdout
                .starts_with("<?xml version=\"1.0\"?>\n<crm_mon version=\"2.1.5\">\n"),
            "{}",
            out.stdout
        );
        assert!(out
            .stdout
            .contains("<resource id=\"fs1-OST0000\" resource_agent=\"ocf::lustre:Lustre\" role=\"Started\""));
        assert!(out.stdout.contains("<node name=\"oss1\" id=\"2\" cached=\"true\"/>"));
        assert!(out
            .stdout
            .contains(" blocked=\"false\" maintenance=\"false\" managed=\"true\""));
        // ctime(3), as `pcmk__epoch2str` prints it, not seconds.
        let update = out.stdout.split("<last_update time=\"").nth(1).unwrap_or_default();
        assert!(
            update
                .split('"')
                .next()
                .is_some_and(|t| t.contains(':') && t.len() >= 24),
            "{update}"
        );
        let new = run(&mut state, "oss2", "crm_mon -1 --output-as=xml");
        assert!(new.stdout.contains("<status code=\"0\" message=\"OK\"/>"));
    }

    #[test]
    fn crm_resource_moves_and_locates() {
        let mut state = cluster();
        started(&mut state);
        let here = run(&mut state, "mds1", "crm_resource --locate --resource fs1-OST0000");
        assert_eq!(here.stdout, "resource fs1-OST0000 is running on: oss1\n");
        assert_eq!(
            run(&mut state, "mds1", "crm_resource --move -r fs1-OST0000 --node oss2").code,
            0
        );
        assert_eq!(
            run(&mut state, "mds1", "crm_resource -W -r fs1-OST0000").stdout,
            "resource fs1-OST0000 is running on: oss2\n"
        );
        assert!(run(&mut state, "oss2", "lctl dl")
            .stdout
            .contains("obdfilter fs1-OST0000"));
        assert_eq!(run(&mut state, "oss1", "lctl dl").stdout, "");
        assert_eq!(
            run(&mut state, "mds1", "crm_resource --move -r fs1-MDT0000 --node oss1").code,
            105
        );
        assert_eq!(run(&mut state, "mds1", "crm_resource --locate -r nothing").code, 105);
    }
}
