//! Names to objects: wherever an id is accepted, a name is too (a host's
//! node name or address, a volume's serial or `HOST:PATH`, a file system's
//! or target's name). Names are looked up in the list endpoints; a name
//! that also matches removed objects picks the live one.

use api_types::filesystems::FilesystemView;
use api_types::hosts::HostView;
use api_types::pages::Page;
use api_types::targets::TargetView;
use api_types::volumes::{NodeView, VolumeView};
use uuid::Uuid;

use crate::client::{parse, Client};
use crate::error::{CliError, Result};

/// Whether `key` is an object id (a UUID) rather than a name.
pub fn is_id(key: &str) -> bool {
    uuid::Uuid::parse_str(key).is_ok()
}

/// `key`, if it is an id; objects with no name (commands, jobs, tokens)
/// are given by id only.
pub fn require_id<'a>(key: &'a str, noun: &str) -> Result<&'a str> {
    if is_id(key) {
        Ok(key)
    } else {
        Err(CliError::Usage(format!("{key:?} is not a {noun} id (a UUID)")))
    }
}

/// How to match one kind of object.
struct Kind<T> {
    /// `host`, `volume`, … for messages.
    noun: &'static str,
    id: fn(&T) -> Uuid,
    /// The names it answers to; the first is shown in messages.
    names: fn(&T) -> Vec<String>,
    live: fn(&T) -> bool,
}

/// The one object among `objects` that `key` names.
fn pick<'a, T>(kind: &Kind<T>, key: &str, objects: &'a [T]) -> Result<&'a T> {
    if let Some(found) = objects.iter().find(|o| (kind.id)(o).to_string() == key) {
        return Ok(found);
    }
    let mut matches: Vec<&T> = objects
        .iter()
        .filter(|o| (kind.names)(o).iter().any(|n| n == key))
        .collect();
    if matches.len() > 1 {
        matches.retain(|o| (kind.live)(o));
    }
    match matches.as_slice() {
        [one] => Ok(one),
        [] => {
            let mut known: Vec<String> = objects
                .iter()
                .filter(|o| (kind.live)(o))
                .filter_map(|o| (kind.names)(o).into_iter().next())
                .collect();
            known.sort();
            known.dedup();
            let hint = if known.is_empty() {
                format!("there are no {}s", kind.noun)
            } else if known.len() > 12 {
                format!("{} {}s, e.g. {}", known.len(), kind.noun, known[..12].join(", "))
            } else {
                format!("{}s: {}", kind.noun, known.join(", "))
            };
            Err(CliError::NotFound(format!("no {} {key:?} ({hint})", kind.noun)))
        }
        many => {
            let ids: Vec<String> = many.iter().map(|o| (kind.id)(o).to_string()).collect();
            Err(CliError::NotFound(format!(
                "{key:?} names {} {}s ({}); give the id",
                many.len(),
                kind.noun,
                ids.join(", ")
            )))
        }
    }
}

const HOST: Kind<HostView> = Kind {
    noun: "host",
    id: |h| h.id,
    names: |h| {
        let mut names: Vec<String> = h.nodename.iter().cloned().collect();
        names.push(h.address.clone());
        names.push(format!("{}:{}", h.address, h.port));
        names
    },
    live: |h| h.state != "removed",
};

const VOLUME: Kind<VolumeView> = Kind {
    noun: "volume",
    id: |v| v.id,
    names: |v| {
        let mut names = vec![v.serial.clone()];
        for node in &v.nodes {
            names.push(format!("{}:{}", node_host(node), node.path));
        }
        names
    },
    live: |_| true,
};

const FILESYSTEM: Kind<FilesystemView> = Kind {
    noun: "file system",
    id: |f| f.id,
    names: |f| vec![f.name.clone()],
    live: |f| f.state != "removed",
};

const TARGET: Kind<TargetView> = Kind {
    noun: "target",
    id: |t| t.id,
    names: |t| vec![t.name.clone()],
    live: |t| t.state != "removed",
};

/// The host `key` (id, node name, address or `ADDRESS:PORT`) names.
pub fn host<'a>(hosts: &'a [HostView], key: &str) -> Result<&'a HostView> {
    pick(&HOST, key, hosts)
}

/// The volume `key` (id, serial or `HOST:PATH`) names.
pub fn volume<'a>(volumes: &'a [VolumeView], key: &str) -> Result<&'a VolumeView> {
    pick(&VOLUME, key, volumes)
}

/// The file system `key` (id or name) names.
pub fn filesystem<'a>(filesystems: &'a [FilesystemView], key: &str) -> Result<&'a FilesystemView> {
    pick(&FILESYSTEM, key, filesystems)
}

/// The target `key` (id or name such as `fs1-OST0000`) names.
pub fn target<'a>(targets: &'a [TargetView], key: &str) -> Result<&'a TargetView> {
    pick(&TARGET, key, targets)
}

/// The host a volume is seen from: its node name, else its id.
pub fn node_host(node: &NodeView) -> String {
    node.host.clone().unwrap_or_else(|| node.host_id.to_string())
}

/// Every host.
pub async fn hosts(client: &Client) -> Result<Vec<HostView>> {
    Ok(parse::<Page<HostView>>(client.get("/api/host").await?)?.objects)
}

/// Every volume.
pub async fn volumes(client: &Client) -> Result<Vec<VolumeView>> {
    Ok(parse::<Page<VolumeView>>(client.get("/api/volume").await?)?.objects)
}

/// Every file system.
pub async fn filesystems(client: &Client) -> Result<Vec<FilesystemView>> {
    Ok(parse::<Page<FilesystemView>>(client.get("/api/filesystem").await?)?.objects)
}

/// Every target.
pub async fn targets(client: &Client) -> Result<Vec<TargetView>> {
    Ok(parse::<Page<TargetView>>(client.get("/api/target").await?)?.objects)
}

/// The id of the host `key` names.
pub async fn host_id(client: &Client, key: &str) -> Result<String> {
    if is_id(key) {
        return Ok(key.to_owned());
    }
    Ok(host(&hosts(client).await?, key)?.id.to_string())
}

/// The id of the file system `key` names.
pub async fn filesystem_id(client: &Client, key: &str) -> Result<String> {
    if is_id(key) {
        return Ok(key.to_owned());
    }
    Ok(filesystem(&filesystems(client).await?, key)?.id.to_string())
}

/// The id of the target `key` names.
pub async fn target_id(client: &Client, key: &str) -> Result<String> {
    if is_id(key) {
        return Ok(key.to_owned());
    }
    Ok(target(&targets(client).await?, key)?.id.to_string())
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;
    use crate::fixtures::{self, id, page};
    use serde_json::json;

    fn hosts() -> Vec<HostView> {
        let page: Page<HostView> = parse(page(vec![
            fixtures::host(
                json!({"id": id(1), "address": "10.0.0.1", "port": 22, "nodename": "mds1", "state": "managed"}),
            ),
            fixtures::host(
                json!({"id": id(2), "address": "10.0.0.2", "port": 22, "nodename": "oss1", "state": "removed"}),
            ),
            fixtures::host(
                json!({"id": id(3), "address": "10.0.0.3", "port": 22, "nodename": "oss1", "state": "managed"}),
            ),
            fixtures::host(
                json!({"id": id(4), "address": "10.0.0.4", "port": 22, "nodename": null, "state": "unconfigured"}),
            ),
            fixtures::host(
                json!({"id": id(5), "address": "10.0.0.4", "port": 2222, "nodename": null, "state": "unconfigured"}),
            ),
        ]))
        .unwrap();
        page.objects
    }

    #[test]
    fn hosts_answer_to_id_node_name_and_address() {
        let hosts = hosts();
        assert_eq!(host(&hosts, &id(1)).unwrap().id.to_string(), id(1));
        assert_eq!(host(&hosts, "mds1").unwrap().id.to_string(), id(1));
        assert_eq!(host(&hosts, "10.0.0.1").unwrap().id.to_string(), id(1));
        assert_eq!(host(&hosts, "10.0.0.4:2222").unwrap().id.to_string(), id(5));
    }

    #[test]
    fn a_name_shared_with_a_removed_host_picks_the_live_one() {
        assert_eq!(host(&hosts(), "oss1").unwrap().id.to_string(), id(3));
    }

    #[test]
    fn an_ambiguous_name_asks_for_the_id() {
        let err = host(&hosts(), "10.0.0.4").unwrap_err().to_string();
        assert!(
            err.contains("names 2 hosts") && err.contains(&id(4)) && err.contains(&id(5)),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let err = host(&hosts(), "oss9").unwrap_err();
        assert_eq!(err.exit_code(), 1);
        let text = err.to_string();
        assert!(
            text.contains("no host \"oss9\"") && text.contains("mds1, oss1"),
            "{text}"
        );
    }

    #[test]
    fn volumes_answer_to_serial_and_host_path() {
        let page: Page<VolumeView> = parse(page(vec![
            fixtures::volume(json!({"id": id(1), "serial": "SER-A", "size_bytes": 10, "nodes": [
                {"host_id": id(3), "host": "oss1", "path": "/dev/sdb"},
                {"host_id": id(6), "host": "oss2", "path": "/dev/sdc"}]})),
            fixtures::volume(json!({"id": id(2), "serial": "SER-B", "size_bytes": 10, "nodes": [
                {"host_id": id(3), "host": "oss1", "path": "/dev/sdd"}]})),
        ]))
        .unwrap();
        assert_eq!(volume(&page.objects, "SER-B").unwrap().id.to_string(), id(2));
        assert_eq!(volume(&page.objects, "oss2:/dev/sdc").unwrap().id.to_string(), id(1));
        assert_eq!(volume(&page.objects, &id(1)).unwrap().serial, "SER-A");
        assert!(volume(&page.objects, "oss2:/dev/sdd").is_err());
    }

    #[test]
    fn targets_and_file_systems_answer_to_their_names() {
        let targets: Page<TargetView> = parse(page(vec![
            fixtures::target(json!({"id": id(1), "name": "MGS", "kind": "mgt", "state": "mounted"})),
            fixtures::target(json!({"id": id(2), "name": "fs1-OST0000", "kind": "ost", "state": "removed"})),
            fixtures::target(json!({"id": id(3), "name": "fs1-OST0000", "kind": "ost", "state": "mounted"})),
        ]))
        .unwrap();
        assert_eq!(target(&targets.objects, "fs1-OST0000").unwrap().id.to_string(), id(3));
        assert_eq!(target(&targets.objects, "MGS").unwrap().id.to_string(), id(1));
        let filesystems: Page<FilesystemView> = parse(page(vec![fixtures::filesystem(
            json!({"id": id(11), "name": "fs1", "state": "available"}),
        )]))
        .unwrap();
        assert_eq!(filesystem(&filesystems.objects, "fs1").unwrap().id.to_string(), id(11));
        let err = filesystem(&filesystems.objects, "fs2").unwrap_err().to_string();
        assert!(err.contains("file systems: fs1"), "{err}");
    }

    #[test]
    fn ids_are_uuids() {
        assert!(is_id("0191d5c2-7a3e-7c3b-9f6e-1c2d3e4f5a6b"));
        assert!(!is_id("fs1"));
    }
}
