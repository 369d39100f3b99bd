//! Servers: adding, probing, their state, LNet and pre-flight results, and removal.

/// Which hosts [`views`] reads.
#[derive(Debug, Clone)]
pub enum HostSelection {
    /// The host with this id.
    Id(uuid::Uuid),
    /// Hosts in this state and LNet state, where given (none: all hosts).
    Matching {
        state: Option<String>,
        lnet_state: Option<String>,
    },
}

/// The selected hosts as the API shows them, with the locks running jobs
/// hold on them or their LNet, by address and port.
pub async fn views(
    db: &impl sea_orm::ConnectionTrait,
    selection: HostSelection,
) -> Result<Vec<api_types::hosts::HostView>, sea_orm::DbErr> {
    use lustre::domain::{HostState, LnetState};
    use lustre::preflight::Preflight;
    let (filter, values): (&str, Vec<sea_orm::Value>) = match selection {
        HostSelection::Id(id) => ("id = $1", vec![id.into()]),
        HostSelection::Matching { state, lnet_state } => (
            "($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR lnet_state = $2)",
            vec![state.into(), lnet_state.into()],
        ),
    };
    let rows = crate::sql::query(
        db,
        &format!(
            "SELECT id, address, port, fingerprint, state, nodename, kernel, lustre_version, lnet_state, nids, pacemaker_version,
     corosync_version, ha_node, ha_cluster_id, preflight, preflight_at, lnet_networks, created_at FROM host WHERE {filter} ORDER BY address, port"
        ),
        values,
    )
    .await?;
    let mut items = Vec::new();
    for r in &rows {
        let id: uuid::Uuid = r.try_get("", "id")?;
        items.push(lustre::Item::Host(id).to_string());
        items.push(lustre::Item::Lnet(id).to_string());
    }
    let mut held = crate::domain::held_locks(db, items).await?;
    rows.iter()
        .map(|r| {
            let id: uuid::Uuid = r.try_get("", "id")?;
            let state: String = r.try_get("", "state")?;
            let lnet_state: String = r.try_get("", "lnet_state")?;
            let host: HostState = state.parse().map_err(sea_orm::DbErr::Custom)?;
            let lnet: LnetState = lnet_state.parse().map_err(sea_orm::DbErr::Custom)?;
            let preflight: Option<serde_json::Value> = r.try_get("", "preflight")?;
            let preflight = preflight
                .map(serde_json::from_value::<Preflight>)
                .transpose()
                .map_err(|e| sea_orm::DbErr::Custom(format!("bad pre-flight results of host {id}: {e}")))?;
            let networks: Option<serde_json::Value> = r.try_get("", "lnet_networks")?;
            let lnet_networks = networks
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| sea_orm::DbErr::Custom(format!("bad LNet networks of host {id}: {e}")))?;
            // A host probed before pre-flight checks existed is not known to fail.
            let serves_lustre = host == HostState::Managed && preflight.as_ref().is_none_or(Preflight::serves_lustre);
            let mut locks = held.remove(&lustre::Item::Host(id).to_string()).unwrap_or_default();
            locks.extend(held.remove(&lustre::Item::Lnet(id).to_string()).unwrap_or_default());
            Ok(api_types::hosts::HostView {
                id,
                address: r.try_get("", "address")?,
                port: r.try_get("", "port")?,
                fingerprint: r.try_get("", "fingerprint")?,
                state,
                nodename: r.try_get("", "nodename")?,
                kernel: r.try_get("", "kernel")?,
                lustre_version: r.try_get("", "lustre_version")?,
                lnet_state,
                nids: r.try_get("", "nids")?,
                lnet_networks,
                pacemaker_version: r.try_get("", "pacemaker_version")?,
                corosync_version: r.try_get("", "corosync_version")?,
                ha_node: r.try_get("", "ha_node")?,
                ha_cluster_id: r.try_get("", "ha_cluster_id")?,
                preflight,
                preflight_at: r.try_get("", "preflight_at")?,
                serves_lustre,
                available_transitions: lustre::plan::host_transitions(host)
                    .into_iter()
                    .map(String::from)
                    .collect(),
                lnet_transitions: lustre::plan::lnet_transitions(host, lnet, serves_lustre)
                    .into_iter()
                    .map(String::from)
                    .collect(),
                locks,
                created_at: r.try_get("", "created_at")?,
            })
        })
        .collect()
}

/// The ids of the managed hosts, oldest first.
pub async fn managed_ids(db: &impl sea_orm::ConnectionTrait) -> Result<Vec<uuid::Uuid>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT id FROM host WHERE state = 'managed' ORDER BY created_at, id",
        [],
    )
    .await?;
    Ok(rows.iter().filter_map(|r| r.try_get("", "id").ok()).collect())
}

/// How to reach a host and how it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub address: String,
    pub port: i32,
    /// The pinned host key, once probed.
    pub fingerprint: Option<String>,
    pub nodename: Option<String>,
    pub nids: Vec<String>,
    /// Its Pacemaker node name, once its cluster runs.
    pub ha_node: Option<String>,
}

/// How to reach host `id`; `None` when it does not exist.
pub async fn connection(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
) -> Result<Option<Connection>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT address, port, fingerprint, nodename, nids, ha_node FROM host WHERE id = $1",
        [id.into()],
    )
    .await?;
    rows.first()
        .map(|row| {
            Ok(Connection {
                address: row.try_get("", "address")?,
                port: row.try_get("", "port")?,
                fingerprint: row.try_get("", "fingerprint")?,
                nodename: row.try_get("", "nodename")?,
                nids: row.try_get("", "nids")?,
                ha_node: row.try_get("", "ha_node")?,
            })
        })
        .transpose()
}

/// Records LNet up on host `id` with `nids`; fenced by `fence` (see
/// [`crate::steps::Fence`]). Returns the rows changed.
pub async fn record_lnet_up(
    db: &impl sea_orm::ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    id: uuid::Uuid,
    nids: &[String],
) -> Result<u64, sea_orm::DbErr> {
    crate::steps::fenced_execute(
        db,
        "UPDATE host SET lnet_state = 'lnet_up', nids = $2 WHERE id = $1",
        vec![id.into(), nids.to_vec().into()],
        fence,
    )
    .await
}

/// Records LNet down on host `id`, keeping its last NIDs; fenced by
/// `fence`. Returns the rows changed.
pub async fn record_lnet_down(
    db: &impl sea_orm::ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    id: uuid::Uuid,
) -> Result<u64, sea_orm::DbErr> {
    crate::steps::fenced_execute(
        db,
        "UPDATE host SET lnet_state = 'lnet_down' WHERE id = $1",
        vec![id.into()],
        fence,
    )
    .await
}

/// Whether Chroma chose host `id`'s LNet networks (`false` for an unknown
/// host).
pub async fn has_lnet_networks(db: &impl sea_orm::ConnectionTrait, id: uuid::Uuid) -> Result<bool, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT lnet_networks IS NOT NULL AS chosen FROM host WHERE id = $1",
        [id.into()],
    )
    .await?;
    rows.first()
        .map(|r| r.try_get::<bool>("", "chosen"))
        .transpose()
        .map(|chosen| chosen.unwrap_or(false))
}

/// Records host `id`'s chosen LNet `networks` (JSON) with the `nids` they
/// gave, LNet up; fenced by `fence`. Returns the rows changed.
pub async fn record_lnet_networks(
    db: &impl sea_orm::ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    id: uuid::Uuid,
    networks: serde_json::Value,
    nids: &[String],
) -> Result<u64, sea_orm::DbErr> {
    crate::steps::fenced_execute(
        db,
        "UPDATE host SET lnet_networks = $2, nids = $3, lnet_state = 'lnet_up' WHERE id = $1",
        vec![id.into(), networks.into(), nids.to_vec().into()],
        fence,
    )
    .await
}

/// Records host `id`'s pre-flight results (JSON) as of now; fenced by
/// `fence`. Returns the rows changed.
pub async fn record_preflight(
    db: &impl sea_orm::ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    id: uuid::Uuid,
    results: serde_json::Value,
) -> Result<u64, sea_orm::DbErr> {
    crate::steps::fenced_execute(
        db,
        "UPDATE host SET preflight = $2, preflight_at = now() WHERE id = $1",
        vec![id.into(), results.into()],
        fence,
    )
    .await
}

/// A host's HA stack as recorded, with its cluster and failover partners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HaContext {
    /// Its node name, else its address.
    pub label: String,
    pub pacemaker_version: Option<String>,
    pub corosync_version: Option<String>,
    /// The name of the HA cluster it is a member of.
    pub cluster: Option<String>,
    /// The labels of other hosts (not removed) that see one of its volumes.
    pub sharing: Vec<String>,
}

/// Host `id`'s HA context; `None` when it does not exist.
pub async fn ha_context(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
) -> Result<Option<HaContext>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT COALESCE(h.nodename, h.address) AS label, h.pacemaker_version, h.corosync_version,
                c.name AS cluster,
                ARRAY(SELECT DISTINCT COALESCE(o.nodename, o.address)
                      FROM volume_node mine
                      JOIN volume_node other ON other.volume_id = mine.volume_id AND other.host_id <> mine.host_id
                      JOIN host o ON o.id = other.host_id AND o.state <> 'removed'
                      WHERE mine.host_id = h.id) AS sharing
         FROM host h LEFT JOIN ha_cluster c ON c.id = h.ha_cluster_id WHERE h.id = $1",
        [id.into()],
    )
    .await?;
    rows.first()
        .map(|row| {
            Ok(HaContext {
                label: row.try_get("", "label")?,
                pacemaker_version: row.try_get("", "pacemaker_version")?,
                corosync_version: row.try_get("", "corosync_version")?,
                cluster: row.try_get("", "cluster")?,
                sharing: row.try_get("", "sharing")?,
            })
        })
        .transpose()
}

/// What a probe saw of a host's HA stack.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HaStackSeen {
    /// `None`: not installed, unless `pacemaker_unknown`.
    pub pacemaker_version: Option<String>,
    /// The command gave no clear answer: keep the recorded version.
    pub pacemaker_unknown: bool,
    pub corosync_version: Option<String>,
    pub corosync_unknown: bool,
    /// Its Pacemaker node name; `None` keeps the recorded one.
    pub ha_node: Option<String>,
}

/// Records host `id`'s HA stack as seen; fenced by `fence`. Returns the
/// rows changed.
pub async fn record_ha_stack(
    db: &impl sea_orm::ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    id: uuid::Uuid,
    seen: &HaStackSeen,
) -> Result<u64, sea_orm::DbErr> {
    crate::steps::fenced_execute(
        db,
        "UPDATE host SET pacemaker_version = CASE WHEN $5 THEN pacemaker_version ELSE $2 END,
                         corosync_version = CASE WHEN $6 THEN corosync_version ELSE $3 END,
                         ha_node = COALESCE($4, ha_node)
         WHERE id = $1",
        vec![
            id.into(),
            seen.pacemaker_version.clone().into(),
            seen.corosync_version.clone().into(),
            seen.ha_node.clone().into(),
            seen.pacemaker_unknown.into(),
            seen.corosync_unknown.into(),
        ],
        fence,
    )
    .await
}

/// Pins `seen` as host `id`'s host key unless one is pinned already;
/// returns the pinned key (`None` when the host does not exist).
pub async fn pin_fingerprint(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
    seen: &str,
) -> Result<Option<String>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "UPDATE host SET fingerprint = COALESCE(fingerprint, $2) WHERE id = $1 RETURNING fingerprint",
        [id.into(), seen.to_owned().into()],
    )
    .await?;
    Ok(rows.first().and_then(|r| r.try_get("", "fingerprint").ok()))
}

/// Records host `id` as managed with what the probe read; fenced by
/// `fence`. Returns the rows changed.
pub async fn record_managed(
    db: &impl sea_orm::ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    id: uuid::Uuid,
    nodename: &str,
    kernel: &str,
    lustre_version: Option<&str>,
) -> Result<u64, sea_orm::DbErr> {
    crate::steps::fenced_execute(
        db,
        "UPDATE host SET state = 'managed', nodename = $2, kernel = $3, lustre_version = $4 WHERE id = $1",
        vec![
            id.into(),
            nodename.to_owned().into(),
            kernel.to_owned().into(),
            lustre_version.map(str::to_owned).into(),
        ],
        fence,
    )
    .await
}

/// Records host `id`'s Pacemaker node name; fenced by `fence`. Returns
/// the rows changed.
pub async fn record_ha_node(
    db: &impl sea_orm::ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    id: uuid::Uuid,
    ha_node: &str,
) -> Result<u64, sea_orm::DbErr> {
    crate::steps::fenced_execute(
        db,
        "UPDATE host SET ha_node = $2 WHERE id = $1",
        vec![id.into(), ha_node.to_owned().into()],
        fence,
    )
    .await
}

/// Records host `id` as removed; fenced by `fence`. Returns the rows
/// changed.
pub async fn record_removed(
    db: &impl sea_orm::ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    id: uuid::Uuid,
) -> Result<u64, sea_orm::DbErr> {
    crate::steps::fenced_execute(
        db,
        "UPDATE host SET state = 'removed' WHERE id = $1",
        vec![id.into()],
        fence,
    )
    .await
}

/// A server that is not removed, as the monitor polls it.
#[derive(Debug, Clone)]
pub struct Monitored {
    pub id: uuid::Uuid,
    pub address: String,
    pub port: i32,
    pub fingerprint: Option<String>,
    pub nodename: Option<String>,
    pub ha_node: Option<String>,
    pub state: String,
    pub lnet_state: String,
    pub journal_cursor: Option<String>,
    /// Its HA cluster, if that is configured.
    pub ha_cluster_id: Option<uuid::Uuid>,
}

/// Every server not removed, with the configured HA cluster it belongs to.
pub async fn monitored(db: &impl sea_orm::ConnectionTrait) -> Result<Vec<Monitored>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT h.id, h.address, h.port, h.fingerprint, h.nodename, h.ha_node, h.state, h.lnet_state,
                h.journal_cursor, c.id AS ha_cluster_id
         FROM host h LEFT JOIN ha_cluster c ON c.id = h.ha_cluster_id AND c.state = 'configured'
         WHERE h.state <> 'removed'",
        [],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Monitored {
                id: r.try_get("", "id")?,
                address: r.try_get("", "address")?,
                port: r.try_get("", "port")?,
                fingerprint: r.try_get("", "fingerprint")?,
                nodename: r.try_get("", "nodename")?,
                ha_node: r.try_get("", "ha_node")?,
                state: r.try_get("", "state")?,
                lnet_state: r.try_get("", "lnet_state")?,
                journal_cursor: r.try_get("", "journal_cursor")?,
                ha_cluster_id: r.try_get("", "ha_cluster_id")?,
            })
        })
        .collect()
}

/// Records that host `id` answered at `at`.
pub async fn record_contact(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<u64, sea_orm::DbErr> {
    crate::sql::execute(
        db,
        "UPDATE host SET last_contact_at = $2 WHERE id = $1",
        [id.into(), at.into()],
    )
    .await
}

/// A managed server with a pinned host key, as plugins are told of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyed {
    pub id: uuid::Uuid,
    /// Its node name, else its address.
    pub name: String,
    pub address: String,
    pub port: i32,
    pub fingerprint: String,
}

/// Every managed server Chroma holds a host key for, by name then id.
pub async fn managed_with_keys(db: &impl sea_orm::ConnectionTrait) -> Result<Vec<Keyed>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT id, COALESCE(nodename, address) AS name, address, port, fingerprint FROM host
          WHERE state = 'managed' AND fingerprint IS NOT NULL ORDER BY name, id",
        [],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Keyed {
                id: r.try_get("", "id")?,
                name: r.try_get("", "name")?,
                address: r.try_get("", "address")?,
                port: r.try_get("", "port")?,
                fingerprint: r.try_get("", "fingerprint")?,
            })
        })
        .collect()
}

/// A host as recorded at an address, whatever its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtAddress {
    pub id: uuid::Uuid,
    /// `removed` for a host removed before, which [`add`] adds again.
    pub state: String,
    /// The host key pinned when it was managed; a removed host keeps it.
    pub fingerprint: Option<String>,
}

/// The host recorded at `address:port`, removed or not.
pub async fn at_address(
    db: &impl sea_orm::ConnectionTrait,
    address: &str,
    port: u16,
) -> Result<Option<AtAddress>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT id, state, fingerprint FROM host WHERE address = $1 AND port = $2",
        [address.into(), i32::from(port).into()],
    )
    .await?;
    rows.first()
        .map(|r| {
            Ok(AtAddress {
                id: r.try_get("", "id")?,
                state: r.try_get("", "state")?,
                fingerprint: r.try_get("", "fingerprint")?,
            })
        })
        .transpose()
}

/// Adds the host at `address:port` with `fingerprint` pinned (None: pinned
/// at first contact) under `id`, or adds a removed one again, keeping its
/// id, with its state, key and LNet state reset. Returns its id, or None
/// when a host not removed is already there.
pub async fn add(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
    address: &str,
    port: u16,
    fingerprint: Option<String>,
) -> Result<Option<uuid::Uuid>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "INSERT INTO host (id, address, port, fingerprint) VALUES ($1, $2, $3, $4)
         ON CONFLICT (address, port) DO UPDATE
            SET state = 'unconfigured', fingerprint = EXCLUDED.fingerprint, lnet_state = 'lnet_unknown'
            WHERE host.state = 'removed'
         RETURNING id",
        [id.into(), address.into(), i32::from(port).into(), fingerprint.into()],
    )
    .await?;
    rows.first().map(|r| r.try_get("", "id")).transpose()
}

/// A host to insert as already managed, with LNet up.
#[derive(Debug, Clone)]
pub struct ManagedHost {
    pub id: uuid::Uuid,
    pub address: String,
    pub port: i32,
    pub fingerprint: String,
    pub nodename: String,
}

/// Inserts `host` as managed with LNet up, skipping setup (benchmark and
/// test fixtures; a real host is added unconfigured and set up by jobs).
pub async fn insert_managed(db: &impl sea_orm::ConnectionTrait, host: &ManagedHost) -> Result<(), sea_orm::DbErr> {
    crate::sql::execute(
        db,
        "INSERT INTO host (id, address, port, fingerprint, state, nodename, lnet_state)
         VALUES ($1, $2, $3, $4, 'managed', $5, 'lnet_up')",
        [
            host.id.into(),
            host.address.clone().into(),
            host.port.into(),
            host.fingerprint.clone().into(),
            host.nodename.clone().into(),
        ],
    )
    .await?;
    Ok(())
}

/// A host whose pre-flight `zfs` check did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithoutZfs {
    /// Its node name, else its address.
    pub name: String,
    /// The check's message, if it has one.
    pub message: Option<String>,
}

/// The first of `host_ids` (in their order) whose last pre-flight `zfs`
/// check did not pass; hosts without that check are not named.
pub async fn first_without_zfs(
    db: &impl sea_orm::ConnectionTrait,
    host_ids: Vec<uuid::Uuid>,
) -> Result<Option<WithoutZfs>, sea_orm::DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT COALESCE(h.nodename, h.address) AS name, c->>'message' AS message
         FROM host h CROSS JOIN LATERAL jsonb_array_elements(COALESCE(h.preflight->'checks', '[]'::jsonb)) c
         WHERE h.id = ANY($1) AND c->>'name' = 'zfs' AND c->>'status' <> 'pass'
         ORDER BY array_position($1, h.id) LIMIT 1",
        [host_ids.into()],
    )
    .await?;
    rows.first()
        .map(|r| {
            Ok(WithoutZfs {
                name: r.try_get("", "name")?,
                message: r.try_get("", "message")?,
            })
        })
        .transpose()
}
