//! `PUT /api/filesystem/{id}/quota/grace[?dry_run=true] {"kind": "user",
//! "block_secs": 604800, "inode_secs": 86400}`: one quota type's grace
//! times, set with `lfs setquota -t` on a mounted client mount.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use api_types::planning::Planned;
use api_types::quotas::QuotaGrace;
use lustre::plan::{Goal, QuotaGraceFacts};
use lustre::quota::MAX_GRACE_SECS;
use lustre::submission::FieldError;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{change, DryRun};
use crate::routes::query::id;
use crate::state::AppState;

/// The request's checks, each naming its field; the seconds to set.
fn check(request: &QuotaGrace) -> Result<(Option<u64>, Option<u64>), Vec<FieldError>> {
    let mut errors = Vec::new();
    if lustre::quota::kind_flag(&request.kind).is_none() {
        errors.push(FieldError {
            field: "kind".into(),
            message: format!("{:?} is not a quota kind: user, group or project", request.kind),
        });
    }
    let mut secs = |name: &str, value: Option<i64>| match value.map(u64::try_from) {
        Some(Ok(s)) if s <= MAX_GRACE_SECS => Some(s),
        Some(_) => {
            errors.push(FieldError {
                field: name.into(),
                message: format!(
                    "{} is not a grace time Lustre takes: 0 to {MAX_GRACE_SECS} seconds",
                    value.unwrap_or_default()
                ),
            });
            None
        }
        None => None,
    };
    let block = secs("block_secs", request.block_secs);
    let inode = secs("inode_secs", request.inode_secs);
    if errors.is_empty() && block.is_none() && inode.is_none() {
        errors.push(FieldError {
            field: "block_secs".into(),
            message: "give block_secs, inode_secs or both".into(),
        });
    }
    if errors.is_empty() {
        Ok((block, inode))
    } else {
        Err(errors)
    }
}

/// Plans setting the grace times from a mounted client mount.
#[utoipa::path(
    put,
    path = "/api/filesystem/{id}/quota/grace",
    tag = "quota",
    params(("id" = Uuid, Path, description = "The file system's id"), DryRun),
    request_body = QuotaGrace,
    responses(
        (status = 200, description = "A dry run: the job it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored", body = Envelope<Planned>),
        (status = 400, description = "The kind or a time is refused", body = ErrorEnvelope),
        (status = 404, description = "No such file system", body = ErrorEnvelope),
        (status = 409, description = "No mounted client mount, the file system is not running, or work is unfinished", body = ErrorEnvelope),
    ),
)]
pub async fn handle(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<QuotaGrace>,
) -> Result<HttpResponse, ApiError> {
    let fs_id = id(&path, "file system")?;
    let request = body.into_inner();
    let (block_secs, inode_secs) = check(&request).map_err(ApiError::Validation)?;
    let fs = store::filesystems::views(&state.db, store::filesystems::FilesystemSelection::Id(fs_id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::NotFound(format!("file system {fs_id} does not exist")))?;
    let (client_mount_id, host_id) = super::client_of(&state.db, fs.id, &fs.name).await?;
    let shown = |s: Option<u64>| s.map_or_else(|| "kept".to_string(), lustre::quota::format_grace);
    let message = format!(
        "Set the {} quota grace times on {}: block {}, inode {}",
        request.kind,
        fs.name,
        shown(block_secs),
        shown(inode_secs)
    );
    let goal = Goal::QuotaGrace(QuotaGraceFacts {
        filesystem_id: fs.id,
        kind: request.kind,
        block_secs,
        inode_secs,
        client_mount_id,
        host_id,
    });
    change(&state, goal, message, query.dry_run, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(kind: &str, block: Option<i64>, inode: Option<i64>) -> Vec<String> {
        let request = QuotaGrace {
            kind: kind.into(),
            block_secs: block,
            inode_secs: inode,
        };
        check(&request)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn requests_name_the_field_at_fault() {
        assert!(fields("user", Some(604_800), Some(0)).is_empty());
        assert!(fields("project", None, Some(60)).is_empty());
        assert_eq!(fields("owner", Some(60), None), ["kind"]);
        assert_eq!(fields("user", Some(-1), None), ["block_secs"]);
        assert_eq!(fields("group", Some(1), Some(1 << 48)), ["inode_secs"]);
        assert_eq!(fields("group", None, None), ["block_secs"]);
    }
}
