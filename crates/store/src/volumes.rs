//! Volumes and the paths each server sees them by.

/// Every volume seen by a host that is not removed, as the API shows it:
/// with the hosts that see it (by node name) and the live target on it,
/// by serial.
pub async fn views(db: &impl sea_orm::ConnectionTrait) -> Result<Vec<api_types::volumes::VolumeView>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT v.id, v.serial, v.size_bytes, n.host_id, h.nodename, n.path, t.id AS target_id, t.name AS target
         FROM volume v JOIN volume_node n ON n.volume_id = v.id JOIN host h ON h.id = n.host_id
         LEFT JOIN target t ON t.volume_id = v.id AND t.state <> 'removed'
         WHERE h.state <> 'removed'
         ORDER BY v.serial, h.nodename",
        [],
    )
    .await?;
    let mut volumes: std::collections::BTreeMap<String, api_types::volumes::VolumeView> =
        std::collections::BTreeMap::new();
    for r in &rows {
        let serial: String = r.try_get("", "serial")?;
        let node = api_types::volumes::NodeView {
            host_id: r.try_get("", "host_id")?,
            host: r.try_get("", "nodename")?,
            path: r.try_get("", "path")?,
        };
        match volumes.get_mut(&serial) {
            Some(volume) => volume.nodes.push(node),
            None => {
                let volume = api_types::volumes::VolumeView {
                    id: r.try_get("", "id")?,
                    serial: serial.clone(),
                    size_bytes: r.try_get("", "size_bytes")?,
                    target_id: r.try_get("", "target_id")?,
                    target: r.try_get("", "target")?,
                    nodes: vec![node],
                };
                volumes.insert(serial, volume);
            }
        }
    }
    Ok(volumes.into_values().collect())
}

/// One host's path to a volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeNode {
    pub volume_id: uuid::Uuid,
    pub host_id: uuid::Uuid,
    pub path: String,
}

/// Every recorded volume path on a host that is not removed, hosts oldest
/// first.
pub async fn nodes_on_live_hosts(db: &impl sea_orm::ConnectionTrait) -> Result<Vec<VolumeNode>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT vn.volume_id, vn.host_id, vn.path FROM volume_node vn JOIN host h ON h.id = vn.host_id
         WHERE h.state <> 'removed' ORDER BY h.created_at, h.id",
        [],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(VolumeNode {
                volume_id: r.try_get("", "volume_id")?,
                host_id: r.try_get("", "host_id")?,
                path: r.try_get("", "path")?,
            })
        })
        .collect()
}

/// The recorded paths of host `host_id`'s volumes.
pub async fn paths_on_host(
    db: &impl sea_orm::ConnectionTrait,
    host_id: uuid::Uuid,
) -> Result<Vec<String>, sea_orm::DbErr> {
    let rows = crate::sql::query(db, "SELECT path FROM volume_node WHERE host_id = $1", [host_id.into()]).await?;
    rows.iter().map(|r| r.try_get("", "path")).collect()
}

/// The hosts (not removed) recorded with a path to volume `volume_id`.
pub async fn viewer_host_ids(
    db: &impl sea_orm::ConnectionTrait,
    volume_id: uuid::Uuid,
) -> Result<Vec<uuid::Uuid>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT vn.host_id FROM volume_node vn JOIN host h ON h.id = vn.host_id
         WHERE vn.volume_id = $1 AND h.state <> 'removed'",
        [volume_id.into()],
    )
    .await?;
    rows.iter().map(|r| r.try_get("", "host_id")).collect()
}

/// Records `path` as volume `volume_id`'s path on host `host_id` when it
/// changed; returns the rows changed.
pub async fn refresh_path(
    db: &impl sea_orm::ConnectionTrait,
    volume_id: uuid::Uuid,
    host_id: uuid::Uuid,
    path: &str,
) -> Result<u64, sea_orm::DbErr> {
    crate::sql::execute(
        db,
        "UPDATE volume_node SET path = $3 WHERE volume_id = $1 AND host_id = $2 AND path <> $3",
        [volume_id.into(), host_id.into(), path.to_owned().into()],
    )
    .await
}

/// A volume as a probe saw it on a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenVolume {
    pub serial: String,
    pub size_bytes: i64,
    /// Its device node on the host.
    pub path: String,
}

/// Makes `seen` (one entry per serial) host `host_id`'s volumes: inserts
/// new volumes (updating the size of known ones) and replaces the host's
/// paths. Run it in the transaction that records the probe.
pub async fn replace_on_host(
    db: &impl sea_orm::ConnectionTrait,
    host_id: uuid::Uuid,
    seen: &[SeenVolume],
) -> Result<(), sea_orm::DbErr> {
    let paths: Vec<String> = seen.iter().map(|d| d.path.clone()).collect();
    let serials: Vec<String> = seen.iter().map(|d| d.serial.clone()).collect();
    let sizes: Vec<i64> = seen.iter().map(|d| d.size_bytes).collect();
    let ids: Vec<uuid::Uuid> = seen.iter().map(|_| uuid::Uuid::now_v7()).collect();
    crate::sql::execute(
        db,
        "INSERT INTO volume (id, serial, size_bytes)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[])
         ON CONFLICT (serial) DO UPDATE SET size_bytes = EXCLUDED.size_bytes",
        [ids.into(), serials.clone().into(), sizes.into()],
    )
    .await?;
    crate::sql::execute(db, "DELETE FROM volume_node WHERE host_id = $1", [host_id.into()]).await?;
    crate::sql::execute(
        db,
        "INSERT INTO volume_node (volume_id, host_id, path)
         SELECT v.id, $1, u.path FROM unnest($2::text[], $3::text[]) AS u(serial, path)
         JOIN volume v ON v.serial = u.serial
         ON CONFLICT (volume_id, host_id) DO UPDATE SET path = EXCLUDED.path",
        [host_id.into(), serials.into(), paths.into()],
    )
    .await?;
    Ok(())
}

/// Inserts one volume with serial `serial` and size `size_bytes`
/// (benchmark and test fixtures; hosts' reports insert the real ones).
pub async fn insert_one(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
    serial: &str,
    size_bytes: i64,
) -> Result<(), sea_orm::DbErr> {
    crate::sql::execute(
        db,
        "INSERT INTO volume (id, serial, size_bytes) VALUES ($1, $2, $3)",
        [id.into(), serial.to_owned().into(), size_bytes.into()],
    )
    .await?;
    Ok(())
}

/// A host that sees a volume, and the host's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seer {
    pub host_id: uuid::Uuid,
    pub state: String,
}

/// The hosts (of any state) that see volume `volume_id`, by node name
/// (else address) and port.
pub async fn seen_by(db: &impl sea_orm::ConnectionTrait, volume_id: uuid::Uuid) -> Result<Vec<Seer>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT n.host_id, h.state FROM volume_node n JOIN host h ON h.id = n.host_id
         WHERE n.volume_id = $1 ORDER BY COALESCE(h.nodename, h.address), h.port",
        [volume_id.into()],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Seer {
                host_id: r.try_get("", "host_id")?,
                state: r.try_get("", "state")?,
            })
        })
        .collect()
}
