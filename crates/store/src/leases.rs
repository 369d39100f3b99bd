//! Sharing work between several processes of one kind (monitors, plugin
//! hosts): each running process has a heartbeat row, and each unit of work
//! a lease that one process holds until it expires. Every time is the
//! database's (`now()`), never a process's clock.
//!
//! [`Share`] is one process's side: it heartbeats, renews what it holds,
//! claims free or expired units up to its fair share (the units divided by
//! the live processes, rounded up) and lets go of units over that share
//! when another process joins. A process that dies stops renewing, so its
//! leases expire after one time-to-live and the others claim them.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::sql::{execute, query};

/// What kind of process shares the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Monitor,
    PluginHost,
}

impl Kind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Monitor => "monitor",
            Kind::PluginHost => "plugin_host",
        }
    }
}

/// How long rows of processes and leases that stopped are kept.
const FORGET_AFTER: &str = "1 hour";

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Marks `instance` alive now, and forgets processes and leases that
/// stopped long ago.
pub async fn heartbeat(db: &impl ConnectionTrait, kind: Kind, instance: Uuid) -> Result<(), DbErr> {
    execute(
        db,
        "INSERT INTO process_instance (id, kind) VALUES ($1, $2)
         ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()",
        [instance.into(), kind.as_str().into()],
    )
    .await?;
    execute(
        db,
        &format!("DELETE FROM process_instance WHERE kind = $1 AND heartbeat_at < now() - interval '{FORGET_AFTER}'"),
        [kind.as_str().into()],
    )
    .await?;
    execute(
        db,
        &format!("DELETE FROM work_lease WHERE kind = $1 AND expires_at < now() - interval '{FORGET_AFTER}'"),
        [kind.as_str().into()],
    )
    .await?;
    Ok(())
}

/// How many processes of `kind` heartbeat within `ttl` (at least one: the
/// caller).
pub async fn live(db: &impl ConnectionTrait, kind: Kind, ttl: Duration) -> Result<usize, DbErr> {
    let rows = query(
        db,
        "SELECT count(*) AS n FROM process_instance
         WHERE kind = $1 AND heartbeat_at > now() - $2 * interval '1 millisecond'",
        [kind.as_str().into(), millis(ttl).into()],
    )
    .await?;
    let n: i64 = match rows.first() {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(usize::try_from(n).unwrap_or(0).max(1))
}

/// Extends every lease `instance` still holds by `ttl`; returns those units.
pub async fn renew(db: &impl ConnectionTrait, kind: Kind, instance: Uuid, ttl: Duration) -> Result<Vec<String>, DbErr> {
    let rows = query(
        db,
        "UPDATE work_lease SET expires_at = now() + $3 * interval '1 millisecond'
         WHERE kind = $1 AND holder = $2 AND expires_at > now() RETURNING unit",
        [kind.as_str().into(), instance.into(), millis(ttl).into()],
    )
    .await?;
    rows.iter().map(|r| r.try_get("", "unit")).collect()
}

/// Takes at most `want` of `candidates` that nobody holds (or whose lease
/// expired) for `ttl`; returns the units taken. Two processes claiming the
/// same unit at once: one gets it.
pub async fn claim(
    db: &impl ConnectionTrait,
    kind: Kind,
    instance: Uuid,
    ttl: Duration,
    candidates: &[String],
    want: usize,
) -> Result<Vec<String>, DbErr> {
    if want == 0 || candidates.is_empty() {
        return Ok(Vec::new());
    }
    let rows = query(
        db,
        "WITH free AS (
             SELECT c.unit FROM unnest($4::text[]) AS c (unit)
             LEFT JOIN work_lease l ON l.kind = $1 AND l.unit = c.unit
             WHERE l.unit IS NULL OR l.expires_at <= now()
             ORDER BY random() LIMIT $5
         )
         INSERT INTO work_lease (kind, unit, holder, expires_at)
         SELECT $1, unit, $2, now() + $3 * interval '1 millisecond' FROM free
         ON CONFLICT (kind, unit) DO UPDATE
             SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at, acquired_at = now()
             WHERE work_lease.expires_at <= now()
         RETURNING unit",
        [
            kind.as_str().into(),
            instance.into(),
            millis(ttl).into(),
            candidates.to_vec().into(),
            i64::try_from(want).unwrap_or(i64::MAX).into(),
        ],
    )
    .await?;
    rows.iter().map(|r| r.try_get("", "unit")).collect()
}

/// Lets go of `units` held by `instance` (another process may take them at once).
pub async fn release(db: &impl ConnectionTrait, kind: Kind, instance: Uuid, units: &[String]) -> Result<u64, DbErr> {
    if units.is_empty() {
        return Ok(0);
    }
    execute(
        db,
        "DELETE FROM work_lease WHERE kind = $1 AND holder = $2 AND unit = ANY($3)",
        [kind.as_str().into(), instance.into(), units.to_vec().into()],
    )
    .await
}

/// `instance` stops: its leases and its heartbeat row go.
pub async fn leave(db: &impl ConnectionTrait, kind: Kind, instance: Uuid) -> Result<(), DbErr> {
    execute(
        db,
        "DELETE FROM work_lease WHERE kind = $1 AND holder = $2",
        [kind.as_str().into(), instance.into()],
    )
    .await?;
    execute(db, "DELETE FROM process_instance WHERE id = $1", [instance.into()]).await?;
    Ok(())
}

/// The unexpired leases of `kind`: unit → holder.
pub async fn holders(db: &impl ConnectionTrait, kind: Kind) -> Result<HashMap<String, Uuid>, DbErr> {
    let rows = query(
        db,
        "SELECT unit, holder FROM work_lease WHERE kind = $1 AND expires_at > now()",
        [kind.as_str().into()],
    )
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "unit")?, r.try_get("", "holder")?)))
        .collect()
}

/// One process's share of the work of its kind.
#[derive(Debug, Clone)]
pub struct Share {
    db: DatabaseConnection,
    kind: Kind,
    /// This process.
    pub instance: Uuid,
    ttl: Duration,
    held: BTreeSet<String>,
}

/// What [`Share::balance`] changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    pub gained: Vec<String>,
    pub lost: Vec<String>,
    /// Units over the fair share still busy: still held, to be let go of
    /// at a later balance once their work has stopped.
    pub surplus: Vec<String>,
}

impl Share {
    /// A new process of `kind` whose leases last `ttl`; it holds nothing yet.
    pub fn new(db: DatabaseConnection, kind: Kind, ttl: Duration) -> Share {
        Share {
            db,
            kind,
            instance: Uuid::now_v7(),
            ttl,
            held: BTreeSet::new(),
        }
    }

    /// Whether this process holds `unit` (as of the last balance).
    pub fn holds(&self, unit: &str) -> bool {
        self.held.contains(unit)
    }

    /// The units held (as of the last balance).
    pub fn held(&self) -> &BTreeSet<String> {
        &self.held
    }

    /// Heartbeats and renews, then takes or lets go of units so that this
    /// process holds its fair share of `units`; units no longer in `units`
    /// are let go. A unit let go of may be taken by another process at
    /// once, so units over the share that are in `busy` (being worked on)
    /// are kept and named in [`Changes::surplus`] instead: stop their work,
    /// and a later balance lets them go.
    pub async fn balance(&mut self, units: &[String], busy: &HashSet<String>) -> Result<Changes, DbErr> {
        heartbeat(&self.db, self.kind, self.instance).await?;
        let renewed: BTreeSet<String> = renew(&self.db, self.kind, self.instance, self.ttl)
            .await?
            .into_iter()
            .collect();
        let mut changes = Changes {
            lost: self.held.difference(&renewed).cloned().collect(),
            ..Changes::default()
        };
        let wanted: HashSet<&String> = units.iter().collect();
        let gone: Vec<String> = renewed.iter().filter(|u| !wanted.contains(u)).cloned().collect();
        let mut held: BTreeSet<String> = renewed.into_iter().filter(|u| wanted.contains(u)).collect();
        let live = live(&self.db, self.kind, self.ttl).await?;
        let share = units.len().div_ceil(live);
        let (surplus, extra): (Vec<String>, Vec<String>) =
            held.iter().skip(share).cloned().partition(|u| busy.contains(u));
        let gone: Vec<String> = gone.into_iter().filter(|u| !busy.contains(u)).collect();
        release(&self.db, self.kind, self.instance, &gone).await?;
        release(&self.db, self.kind, self.instance, &extra).await?;
        for unit in &extra {
            held.remove(unit);
        }
        changes.lost.extend(gone);
        changes.lost.extend(extra);
        changes.surplus = surplus;
        if held.len() < share {
            let candidates: Vec<String> = units.iter().filter(|u| !held.contains(*u)).cloned().collect();
            let got = claim(
                &self.db,
                self.kind,
                self.instance,
                self.ttl,
                &candidates,
                share - held.len(),
            )
            .await?;
            held.extend(got.iter().cloned());
            changes.gained = got;
        }
        self.held = held;
        Ok(changes)
    }

    /// Heartbeats and renews every `ttl / 4` until `stop`, so long work
    /// does not let the leases lapse; then lets everything go.
    pub async fn renew_until_stopped(
        db: DatabaseConnection,
        kind: Kind,
        instance: Uuid,
        ttl: Duration,
        stop: CancellationToken,
    ) {
        let mut tick = tokio::time::interval((ttl / 4).max(Duration::from_millis(50)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tick.tick() => {}
            }
            if let Err(e) = heartbeat(&db, kind, instance).await {
                tracing::warn!("cannot heartbeat: {e}");
                continue;
            }
            if let Err(e) = renew(&db, kind, instance, ttl).await {
                tracing::warn!("cannot renew leases: {e}");
            }
        }
        if let Err(e) = leave(&db, kind, instance).await {
            tracing::warn!("cannot let go of leases: {e}");
        }
    }

    /// Starts [`Share::renew_until_stopped`] for this process.
    pub fn spawn_renewal(&self, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
        tokio::spawn(Share::renew_until_stopped(
            self.db.clone(),
            self.kind,
            self.instance,
            self.ttl,
            stop,
        ))
    }
}

/// What ties managed servers to file systems, for monitors to keep the
/// servers of one file system together (their targets may move between
/// them, its totals sum over all of them, its parameters are read from
/// its MGS, its quotas and copytools from its clients): (host, file
/// system) for every host a live target of it may run on, every host of
/// its MGS, and every host with a client mount of it.
pub async fn server_ties(db: &impl ConnectionTrait) -> Result<Vec<(Uuid, Uuid)>, DbErr> {
    let rows = query(
        db,
        "SELECT DISTINCT h AS host_id, t.filesystem_id
           FROM target t, unnest(t.primary_host_id || t.failover_host_ids) AS h
          WHERE t.state <> 'removed' AND t.filesystem_id IS NOT NULL
         UNION
         SELECT h, f.id
           FROM filesystem f JOIN target t ON t.id = f.mgs_id,
                unnest(t.primary_host_id || t.failover_host_ids) AS h
          WHERE NOT f.removed AND t.state <> 'removed'
         UNION
         SELECT host_id, filesystem_id FROM client_mount WHERE state <> 'removed'",
        [],
    )
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "host_id")?, r.try_get("", "filesystem_id")?)))
        .collect()
}
