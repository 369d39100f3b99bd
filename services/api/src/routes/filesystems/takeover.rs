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
use store::targets::TakeoverFacts;

/// Why target `t` cannot be managed as recorded, if it cannot.
fn refusal(t: &TakeoverFacts) -> Option<String> {
    let name = &t.name;
    if !t.unmanaged_hosts.is_empty() {
        Some(format!(
            "{name}: its server {} is not managed",
            t.unmanaged_hosts.join(", ")
        ))
    } else if t.kind != "mgt" && t.index.is_none() {
        Some(format!("{name}: its index is unknown"))
    } else if t.failovers > 0 && t.ha_stack && t.ha_resource.is_none() {
        Some(format!(
            "{name}: its servers run Pacemaker but no resource of theirs runs it; Chroma would mount it behind \
             Pacemaker's back (create its ocf:lustre:Lustre resource, then detect again)"
        ))
    } else {
        None
    }
}

/// The reasons the file system's targets (its MGS included) cannot be
/// managed, and their ids.
async fn check(tx: &DatabaseTransaction, id: Uuid) -> Result<(Vec<String>, Vec<Uuid>), sea_orm::DbErr> {
    let targets = store::targets::takeover_facts(tx, id).await?;
    let mut reasons: Vec<String> = targets.iter().filter_map(refusal).collect();
    let mut ids: Vec<Uuid> = targets.iter().map(|t| t.id).collect();
    if !targets.iter().any(|t| t.kind == "mdt") {
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
    let sharers = store::filesystems::watched_sharing_mgs(tx, id).await?;
    let Some(first) = sharers.first() else {
        return Ok((None, None));
    };
    let names: Vec<&str> = sharers.iter().map(|o| o.name.as_str()).collect();
    if first.combined.unwrap_or(false) {
        let why = format!(
            "its MDT is also the MGS of {}, which Chroma only watches: take {} over first",
            names.join(", "),
            if names.len() == 1 { "it" } else { "them" }
        );
        return Ok((Some(why), None));
    }
    Ok((None, Some(first.mgs_id)))
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
        store::filesystems::mark_managed(&tx, id).await?;
        store::targets::mark_managed(&tx, ids).await?;
        tx.commit().await?;
    }
    let fs = super::load_one(&state.db, id).await?;
    Ok(crate::respond::ok(fs))
}
