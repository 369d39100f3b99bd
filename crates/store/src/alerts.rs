//! Alerts: the one place that knows their kinds, severities and rules.
//!
//! An alert is about one object (`host/ID`, `target/ID`, `job/ID`) and is
//! active until cleared; at most one alert of a kind is active per object
//! (the unique index `alert_active`), so raising an active one again
//! changes nothing and clearing one that is not active is a no-op. The
//! monitor, the scheduler, the workers and the plugin host report
//! conditions here; the bulk clears end alerts whose object is gone.

use std::borrow::Cow;
use std::fmt;

use lustre::Item;
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use serde_json::Value;
use uuid::Uuid;

use crate::sql::{execute, query};

/// How serious an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// What an alert is about: every kind Chroma raises.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AlertKind {
    /// A managed server does not answer (`host/ID`).
    HostUnreachable,
    /// A server presented another host key than the pinned one (`host/ID`).
    HostKeyChanged,
    /// A server failed a required pre-flight check (`host/ID`).
    HostPreflightFailed,
    /// Lustre's `health_check` reports the server unhealthy (`host/ID`).
    LustreUnhealthy,
    /// LNet is down where Chroma keeps it up (`host/ID`).
    LnetDown,
    /// A mounted target runs on none of its servers (`target/ID`).
    TargetOffline,
    /// A target runs on a failover server (`target/ID`).
    TargetFailedOver,
    /// A target's space is nearly used up (`target/ID`).
    SpaceHigh,
    /// A target's inodes are nearly used up (`target/ID`).
    InodesHigh,
    /// corosync or Pacemaker is not running on a member (`host/ID`).
    HaDaemonStopped,
    /// A member is not an online node of its cluster (`host/ID`).
    HaPeerMissing,
    /// The cluster has no quorum (`ha_cluster/ID`).
    HaNoQuorum,
    /// Fencing is enabled without a device: nothing starts (`ha_cluster/ID`).
    HaFencingMissing,
    /// Fencing is disabled (`ha_cluster/ID`).
    HaFencingDisabled,
    /// A target's resource failed, is blocked or has a fail-count (`target/ID`).
    HaResourceFailed,
    /// A member was fenced (`host/ID`).
    HaNodeFenced,
    /// A user, group or project uses more than its quota's soft limit, as
    /// last read (`quota/ID`); cleared when back under.
    QuotaSoftLimitExceeded,
    /// An HSM copytool Chroma keeps started is not running on its host
    /// (`copytool/ID`); the monitor submits a restart, and clears it once
    /// the copytool runs again.
    CopytoolFailed,
    /// A client mount Chroma keeps mounted is not in its host's
    /// `/proc/mounts` (`client_mount/ID`); cleared once it is again, or
    /// once Chroma no longer keeps it.
    ClientMountLost,
    /// A job failed (`job/ID`); cleared when acknowledged.
    JobFailed,
    /// A step was dead-lettered (`job/ID`); cleared when acknowledged.
    StepDeadLettered,
    /// An alert a storage plugin's class declares, stored as
    /// `storage_<name>` (`storage_resource/ID`), with the severity the
    /// plugin declared.
    Storage { name: String, severity: Severity },
}

/// The prefix of the stored kinds of storage plugins' alerts.
const STORAGE_PREFIX: &str = "storage_";

/// HA-stack kinds about a member host.
const HA_HOST: [AlertKind; 3] = [
    AlertKind::HaDaemonStopped,
    AlertKind::HaPeerMissing,
    AlertKind::HaNodeFenced,
];
/// HA-stack kinds about a cluster.
const HA_CLUSTER: [AlertKind; 3] = [
    AlertKind::HaNoQuorum,
    AlertKind::HaFencingMissing,
    AlertKind::HaFencingDisabled,
];
/// HA-stack kinds about a target Pacemaker keeps.
const HA_TARGET: [AlertKind; 1] = [AlertKind::HaResourceFailed];
/// Kinds with no condition to end: cleared when acknowledged.
const CLEARED_BY_ACKNOWLEDGEMENT: [AlertKind; 2] = [AlertKind::JobFailed, AlertKind::StepDeadLettered];

impl AlertKind {
    /// The stored kind (identical to what rows, the API and tests show).
    pub fn text(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            AlertKind::HostUnreachable => "host_unreachable",
            AlertKind::HostKeyChanged => "host_key_changed",
            AlertKind::HostPreflightFailed => "host_preflight_failed",
            AlertKind::LustreUnhealthy => "lustre_unhealthy",
            AlertKind::LnetDown => "lnet_down",
            AlertKind::TargetOffline => "target_offline",
            AlertKind::TargetFailedOver => "target_failed_over",
            AlertKind::SpaceHigh => "space_high",
            AlertKind::InodesHigh => "inodes_high",
            AlertKind::HaDaemonStopped => "ha_daemon_stopped",
            AlertKind::HaPeerMissing => "ha_peer_missing",
            AlertKind::HaNoQuorum => "ha_no_quorum",
            AlertKind::HaFencingMissing => "ha_fencing_missing",
            AlertKind::HaFencingDisabled => "ha_fencing_disabled",
            AlertKind::HaResourceFailed => "ha_resource_failed",
            AlertKind::HaNodeFenced => "ha_node_fenced",
            AlertKind::QuotaSoftLimitExceeded => "quota_soft_limit_exceeded",
            AlertKind::CopytoolFailed => "copytool_failed",
            AlertKind::ClientMountLost => "client_mount_lost",
            AlertKind::JobFailed => "job_failed",
            AlertKind::StepDeadLettered => "step_dead_lettered",
            AlertKind::Storage { name, .. } => return Cow::Owned(format!("{STORAGE_PREFIX}{name}")),
        })
    }

    /// How serious an alert of this kind is.
    pub fn severity(&self) -> Severity {
        match self {
            AlertKind::TargetFailedOver
            | AlertKind::SpaceHigh
            | AlertKind::InodesHigh
            | AlertKind::QuotaSoftLimitExceeded
            | AlertKind::HaFencingDisabled
            | AlertKind::HaNodeFenced => Severity::Warning,
            AlertKind::Storage { severity, .. } => *severity,
            _ => Severity::Error,
        }
    }

    /// Whether acknowledging an alert of this kind also clears it (it has
    /// no condition that could end).
    pub fn cleared_by_acknowledgement(&self) -> bool {
        CLEARED_BY_ACKNOWLEDGEMENT.contains(self)
    }
}

impl fmt::Display for AlertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// The stored texts of `kinds`, as one SQL array parameter.
fn texts(kinds: &[AlertKind]) -> sea_orm::Value {
    kinds
        .iter()
        .map(|k| k.text().into_owned())
        .collect::<Vec<String>>()
        .into()
}

/// One alert to raise; its severity is its kind's.
#[derive(Debug, Clone)]
pub struct Raise {
    pub kind: AlertKind,
    pub item: Item,
    pub message: String,
    pub details: Value,
}

/// Raises the alert unless the same kind is already active on the object;
/// returns whether a new alert was raised.
pub async fn raise(db: &impl ConnectionTrait, alert: Raise) -> Result<bool, DbErr> {
    let rows = execute(
        db,
        "INSERT INTO alert (id, kind, severity, item, message, details)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (kind, item) WHERE cleared_at IS NULL DO NOTHING",
        [
            Uuid::now_v7().into(),
            alert.kind.text().into_owned().into(),
            alert.kind.severity().as_str().into(),
            alert.item.to_string().into(),
            alert.message.into(),
            alert.details.into(),
        ],
    )
    .await?;
    Ok(rows > 0)
}

/// Raises the alert, or, when it is already active, replaces the active
/// one's message and details with the new ones (the same condition seen
/// again, such as a node fenced anew); returns whether a new one was raised.
pub async fn raise_or_update(db: &impl ConnectionTrait, alert: Raise) -> Result<bool, DbErr> {
    if raise(db, alert.clone()).await? {
        return Ok(true);
    }
    execute(
        db,
        "UPDATE alert SET message = $3, details = $4
         WHERE kind = $1 AND item = $2 AND cleared_at IS NULL",
        [
            alert.kind.text().into_owned().into(),
            alert.item.to_string().into(),
            alert.message.into(),
            alert.details.into(),
        ],
    )
    .await?;
    Ok(false)
}

/// Clears the active alert of `kind` on `item`; returns whether one was.
pub async fn clear(db: &impl ConnectionTrait, kind: &AlertKind, item: &Item) -> Result<bool, DbErr> {
    let rows = execute(
        db,
        "UPDATE alert SET cleared_at = now() WHERE kind = $1 AND item = $2 AND cleared_at IS NULL",
        [kind.text().into_owned().into(), item.to_string().into()],
    )
    .await?;
    Ok(rows > 0)
}

/// Raises the alert when `active`, clears it otherwise.
pub async fn set(db: &impl ConnectionTrait, active: bool, alert: Raise) -> Result<(), DbErr> {
    if active {
        raise(db, alert).await?;
    } else {
        clear(db, &alert.kind, &alert.item).await?;
    }
    Ok(())
}

/// The detail `field` (as text) of the newest alert of `kind` on `item`,
/// active or not: `None` if there is no such alert, `Some(None)` if it has
/// no such detail.
pub async fn latest_detail(
    db: &impl ConnectionTrait,
    kind: &AlertKind,
    item: &Item,
    field: &str,
) -> Result<Option<Option<String>>, DbErr> {
    let rows = query(
        db,
        "SELECT details->>$3 AS value FROM alert WHERE kind = $1 AND item = $2
         ORDER BY raised_at DESC LIMIT 1",
        [kind.text().into_owned().into(), item.to_string().into(), field.into()],
    )
    .await?;
    rows.first().map(|r| r.try_get("", "value")).transpose()
}

/// Clears every active alert about a removed server, target or HA
/// cluster: such an object has no condition left to end.
pub async fn clear_removed_objects(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    execute(
        db,
        "UPDATE alert SET cleared_at = now()
         WHERE cleared_at IS NULL AND item IN (
             SELECT 'host/' || id FROM host WHERE state = 'removed'
             UNION ALL SELECT 'target/' || id FROM target WHERE state = 'removed'
             UNION ALL SELECT 'ha_cluster/' || id FROM ha_cluster WHERE state = 'removed'
             UNION ALL SELECT 'quota/' || id FROM quota WHERE state = 'removed'
             UNION ALL SELECT 'client_mount/' || id FROM client_mount WHERE state = 'removed')",
        [],
    )
    .await
}

/// Clears the HA-stack alerts of hosts no longer managed members of a
/// configured cluster, of clusters no longer configured, and of targets
/// Pacemaker no longer keeps.
pub async fn clear_ha_outsiders(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    execute(
        db,
        "UPDATE alert SET cleared_at = now()
         WHERE cleared_at IS NULL AND (
             (kind = ANY($1) AND item NOT IN (
                 SELECT 'host/' || h.id FROM host h JOIN ha_cluster c ON c.id = h.ha_cluster_id
                 WHERE c.state = 'configured' AND h.state = 'managed'))
             OR (kind = ANY($2) AND item NOT IN (SELECT 'ha_cluster/' || id FROM ha_cluster WHERE state = 'configured'))
             OR (kind = ANY($3) AND item NOT IN (
                 SELECT 'target/' || id FROM target WHERE ha_resource IS NOT NULL AND state <> 'removed')))",
        [texts(&HA_HOST), texts(&HA_CLUSTER), texts(&HA_TARGET)],
    )
    .await
}

/// Clears the active storage-plugin alerts on `item` except those of
/// `holding` (the kinds whose condition still holds, or that its class
/// still declares).
pub async fn clear_storage_except(db: &impl ConnectionTrait, item: &Item, holding: &[AlertKind]) -> Result<u64, DbErr> {
    execute(
        db,
        "UPDATE alert SET cleared_at = now()
          WHERE item = $1 AND cleared_at IS NULL AND kind LIKE 'storage\\_%' AND NOT (kind = ANY($2))",
        [item.to_string().into(), texts(holding)],
    )
    .await
}

/// Clears the alerts of `plugin`'s storage resources gone from its
/// detection.
pub async fn clear_removed_storage(db: &impl ConnectionTrait, plugin: &str) -> Result<u64, DbErr> {
    execute(
        db,
        "UPDATE alert SET cleared_at = now()
          WHERE cleared_at IS NULL AND item IN (
              SELECT 'storage_resource/' || id FROM storage_resource
               WHERE plugin = $1 AND removed_at IS NOT NULL)",
        [plugin.into()],
    )
    .await
}

/// One stored alert.
#[derive(Debug, Clone)]
pub struct Alert {
    pub id: Uuid,
    pub kind: String,
    pub severity: String,
    pub item: String,
    pub message: String,
    pub details: Value,
    pub raised_at: chrono::DateTime<chrono::Utc>,
    pub cleared_at: Option<chrono::DateTime<chrono::Utc>>,
    pub acknowledged_at: Option<chrono::DateTime<chrono::Utc>>,
    pub acknowledged_by: Option<String>,
}

/// The columns an [`Alert`] is read from.
const COLUMNS: &str =
    "id, kind, severity, item, message, details, raised_at, cleared_at, acknowledged_at, acknowledged_by";

impl Alert {
    pub(crate) fn from_row(r: &QueryResult) -> Result<Self, DbErr> {
        Ok(Self {
            id: r.try_get("", "id")?,
            kind: r.try_get("", "kind")?,
            severity: r.try_get("", "severity")?,
            item: r.try_get("", "item")?,
            message: r.try_get("", "message")?,
            details: r.try_get("", "details")?,
            raised_at: r.try_get("", "raised_at")?,
            cleared_at: r.try_get("", "cleared_at")?,
            acknowledged_at: r.try_get("", "acknowledged_at")?,
            acknowledged_by: r.try_get("", "acknowledged_by")?,
        })
    }
}

/// The alert `id`, if it exists.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Alert>, DbErr> {
    let rows = query(db, &format!("SELECT {COLUMNS} FROM alert WHERE id = $1"), [id.into()]).await?;
    rows.first().map(Alert::from_row).transpose()
}

/// Of `ids`, those that name no alert, in the order given.
pub async fn missing(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Uuid>, DbErr> {
    query(
        db,
        "SELECT w.id FROM unnest($1::uuid[]) AS w(id) WHERE NOT EXISTS (SELECT 1 FROM alert a WHERE a.id = w.id)",
        [ids.to_vec().into()],
    )
    .await?
    .iter()
    .map(|r| r.try_get::<Uuid>("", "id"))
    .collect()
}

/// Which alerts an acknowledgement is about.
#[derive(Debug, Clone)]
pub enum Acknowledge {
    One(Uuid),
    Many(Vec<Uuid>),
    /// Every alert not cleared yet.
    AllActive,
}

/// Records that `username` acknowledged the alerts `which` selects that
/// were not acknowledged yet (an alert keeps its first acknowledgement),
/// clearing those whose kind is cleared by acknowledgement; returns the
/// alerts changed.
pub async fn acknowledge(db: &impl ConnectionTrait, username: &str, which: Acknowledge) -> Result<Vec<Alert>, DbErr> {
    let (condition, value): (&str, sea_orm::Value) = match which {
        Acknowledge::One(id) => ("id = $3", id.into()),
        Acknowledge::Many(ids) => ("id = ANY($3::uuid[])", ids.into()),
        Acknowledge::AllActive => ("cleared_at IS NULL AND $3::boolean", true.into()),
    };
    let sql = format!(
        "UPDATE alert SET acknowledged_at = now(), acknowledged_by = $1,
             cleared_at = CASE WHEN kind = ANY($2) THEN COALESCE(cleared_at, now()) ELSE cleared_at END
         WHERE acknowledged_at IS NULL AND ({condition})
         RETURNING {COLUMNS}"
    );
    query(db, &sql, [username.into(), texts(&CLEARED_BY_ACKNOWLEDGEMENT), value])
        .await?
        .iter()
        .map(Alert::from_row)
        .collect()
}

impl Raise {
    /// The `job_failed` alert of a job that just failed: about `job/ID`,
    /// active until acknowledged. Raised by the scheduler in the
    /// transaction that marks the job failed.
    pub fn job_failed(job: &crate::jobs::FailedJob) -> Raise {
        let error = job.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
        Raise {
            kind: AlertKind::JobFailed,
            item: Item::Job(job.id),
            message: format!("job failed: {}{error}", job.description),
            details: serde_json::json!({"job_id": job.id, "command_id": job.command_id}),
        }
    }
}

/// Which alerts a list shows; `None` leaves a criterion out.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only active alerts (`true`) or only cleared ones (`false`).
    pub active: Option<bool>,
    /// The stored kind.
    pub kind: Option<String>,
    /// `info`, `warning` or `error`.
    pub severity: Option<String>,
    pub item: Option<String>,
    /// Only acknowledged alerts (`true`) or only others (`false`).
    pub acknowledged: Option<bool>,
    /// An `ILIKE` pattern the message matches.
    pub message_like: Option<String>,
    /// Raised at or after.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// Raised at or before.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

/// The order of a list of alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListOrder {
    /// Newest first.
    #[default]
    Newest,
    /// Oldest first.
    Oldest,
    /// By severity name, newest first within one.
    Severity,
}

/// One page of the alerts `filter` selects, `limit` from `offset` in
/// `order`, and how many it selects in all.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &ListFilter,
    order: ListOrder,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Alert>, i64), DbErr> {
    let condition = "($1::boolean IS NULL OR (cleared_at IS NULL) = $1) AND ($2::text IS NULL OR kind = $2)
                  AND ($3::text IS NULL OR severity = $3) AND ($4::text IS NULL OR item = $4)
                  AND ($5::boolean IS NULL OR (acknowledged_at IS NOT NULL) = $5)
                  AND ($6::text IS NULL OR message ILIKE $6)
                  AND ($7::timestamptz IS NULL OR raised_at >= $7)
                  AND ($8::timestamptz IS NULL OR raised_at <= $8)";
    let order = match order {
        ListOrder::Newest => "raised_at DESC, id DESC",
        ListOrder::Oldest => "raised_at, id",
        ListOrder::Severity => "severity, raised_at DESC, id DESC",
    };
    let values: Vec<sea_orm::Value> = vec![
        filter.active.into(),
        filter.kind.clone().into(),
        filter.severity.clone().into(),
        filter.item.clone().into(),
        filter.acknowledged.into(),
        filter.message_like.clone().into(),
        filter.since.into(),
        filter.until.into(),
    ];
    let counted = query(
        db,
        &format!("SELECT count(*) AS n FROM alert WHERE {condition}"),
        values.clone(),
    )
    .await?;
    let total: i64 = counted.first().map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
    let mut page_values = values;
    page_values.push(limit.into());
    page_values.push(offset.into());
    let rows = query(
        db,
        &format!("SELECT {COLUMNS} FROM alert WHERE {condition} ORDER BY {order} LIMIT $9 OFFSET $10"),
        page_values,
    )
    .await?;
    let alerts = rows.iter().map(Alert::from_row).collect::<Result<_, _>>()?;
    Ok((alerts, total))
}
