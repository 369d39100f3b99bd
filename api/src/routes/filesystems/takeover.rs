//! Taking over a detected file system (`PATCH /api/filesystem/{id}
//! {"managed": true}`): Chroma starts changing what it had only watched,
//! once it checked that it can do so the way it does for its own: every
//! target on a managed server, an index for every MDT and OST, and a
//! Pacemaker resource for every target whose servers run Pacemaker (else
//! Chroma would mount it behind Pacemaker's back). An MGS that also serves
//! file systems Chroma only watches stays watched. Nothing runs on the
//! servers; the file system and its targets are marked managed in one
//! transaction, or nothing changes and the answer says why.

use actix_web::HttpResponse;
use sea_orm::{DatabaseTransaction, TransactionTrait};
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;
use store::sql::{execute, query};

/// Why target `name` cannot be managed as recorded, if it cannot.
fn refusal(row: &sea_orm::QueryResult) -> Result<Option<String>, sea_orm::DbErr> {
    let name: String = row.try_get("", "name")?;
    let kind: String = row.try_get("", "kind")?;
    let index: Option<i32> = row.try_get("", "target_index")?;
    let unmanaged: Vec<String> = row.try_get("", "unmanaged_hosts")?;
    let ha_stack: bool = row.try_get("", "ha_stack")?;
    let failovers: i32 = row.try_get("", "failovers")?;
    let ha_resource: Option<String> = row.try_get("", "ha_resource")?;
    Ok(if !unmanaged.is_empty() {
        Some(format!("{name}: its server {} is not managed", unmanaged.join(", ")))
    } else if kind != "mgt" && index.is_none() {
        Some(format!("{name}: its index is unknown"))
    } else if failovers > 0 && ha_stack && ha_resource.is_none() {
        Some(format!(
            "{name}: its servers run Pacemaker but no resource of theirs runs it; Chroma would mount it behind \
             Pacemaker's back (create its ocf:lustre:Lustre resource, then detect again)"
        ))
    } else {
        None
    })
}

/// The reasons the file system's targets (its MGS included) cannot be
/// managed, and their ids.
async fn check(tx: &DatabaseTransaction, id: Uuid) -> Result<(Vec<String>, Vec<Uuid>), sea_orm::DbErr> {
    let rows = query(
        tx,
        "SELECT t.id, t.name, t.kind, t.target_index, t.ha_resource,
                cardinality(t.failover_host_ids) AS failovers,
                ARRAY(SELECT coalesce(h.nodename, h.address) FROM host h
                      WHERE (h.id = t.primary_host_id OR h.id = ANY(t.failover_host_ids)) AND h.state <> 'managed'
                      ORDER BY 1) AS unmanaged_hosts,
                coalesce((SELECT bool_and(h.pacemaker_version IS NOT NULL AND h.corosync_version IS NOT NULL)
                          FROM host h WHERE h.id = t.primary_host_id OR h.id = ANY(t.failover_host_ids)), false)
                  AS ha_stack
         FROM target t
         WHERE (t.filesystem_id = $1 OR t.id = (SELECT mgs_id FROM filesystem WHERE id = $1))
           AND t.state <> 'removed'
         ORDER BY t.name",
        [id.into()],
    )
    .await?;
    let mut reasons = Vec::new();
    let mut ids: Vec<Uuid> = Vec::new();
    for row in &rows {
        reasons.extend(refusal(row)?);
        ids.push(row.try_get("", "id")?);
    }
    if !rows
        .iter()
        .any(|r| r.try_get::<String>("", "kind").is_ok_and(|k| k == "mdt"))
    {
        reasons.push("no MDT of it is recorded".to_owned());
    }
    let (shared_reason, mgs_kept) = shared_mgs(tx, id).await?;
    reasons.extend(shared_reason);
    if let Some(mgs) = mgs_kept {
        ids.retain(|t| *t != mgs);
    }
    Ok((reasons, ids))
}

/// An MGS that also serves file systems Chroma only watches: Chroma must
/// not be able to stop it under them. A lone MGT then stays watched (its
/// id is returned, to leave out); a combined MGS+MDT is this file system's
/// own MDT, so taking it over waits until those are taken over.
async fn shared_mgs(tx: &DatabaseTransaction, id: Uuid) -> Result<(Option<String>, Option<Uuid>), sea_orm::DbErr> {
    let rows = query(
        tx,
        "SELECT o.name, f.mgs_id, m.filesystem_id = f.id AS combined
         FROM filesystem f JOIN filesystem o ON o.mgs_id = f.mgs_id JOIN target m ON m.id = f.mgs_id
         WHERE f.id = $1 AND o.id <> f.id AND NOT o.removed AND NOT o.managed ORDER BY o.name",
        [id.into()],
    )
    .await?;
    let Some(first) = rows.first() else {
        return Ok((None, None));
    };
    let names = rows
        .iter()
        .map(|r| r.try_get::<String>("", "name"))
        .collect::<Result<Vec<_>, _>>()?;
    if first.try_get::<Option<bool>>("", "combined")?.unwrap_or(false) {
        let why = format!(
            "its MDT is also the MGS of {}, which Chroma only watches: take {} over first",
            names.join(", "),
            if names.len() == 1 { "it" } else { "them" }
        );
        return Ok((Some(why), None));
    }
    Ok((None, Some(first.try_get("", "mgs_id")?)))
}

/// Marks file system `id` and its targets managed, or refuses with 409.
pub async fn take_over(state: &AppState, id: Uuid) -> Result<HttpResponse, ApiError> {
    let tx = state.db.begin().await?;
    store::domain::lock_planning(&tx).await?;
    let fs = super::load_one(&tx, id).await?;
    if fs.state == "removed" {
        return Err(ApiError::Conflict(format!("file system {} is removed", fs.name)));
    }
    if !fs.managed {
        let (reasons, ids) = check(&tx, id).await?;
        if !reasons.is_empty() {
            return Err(ApiError::Conflict(format!(
                "Chroma cannot manage {} yet: {}",
                fs.name,
                reasons.join("; ")
            )));
        }
        execute(&tx, "UPDATE filesystem SET managed = true WHERE id = $1", [id.into()]).await?;
        execute(&tx, "UPDATE target SET managed = true WHERE id = ANY($1)", [ids.into()]).await?;
        tx.commit().await?;
    }
    let fs = super::load_one(&state.db, id).await?;
    Ok(crate::respond::ok(fs))
}
