//! `PATCH /api/client_mount/{id} {"state": "mounted"|"unmounted"}` and
//! `DELETE /api/client_mount/{id}` (unmount, drop the fstab line, forget).

use actix_web::{web, HttpResponse};
use api_types::client_mounts::ClientMountChange;
use api_types::envelope::Envelope;
use lustre::plan::{ClientMountFacts, ClientMountState, Goal};

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{change, DryRun, Planned};
use crate::routes::query::id;
use crate::state::AppState;

/// The live mount named by `path`, and how messages name it.
async fn live(state: &AppState, path: &str) -> Result<(ClientMountFacts, String), ApiError> {
    let id = id(path, "client mount")?;
    let view = super::load_one(&state.db, id).await?;
    if view.state == "removed" {
        return Err(ApiError::bad(
            "invalid_transition",
            format!("client mount {} on {} is removed", view.mountpoint, view.host_name),
            Some("id"),
        ));
    }
    let label = format!("{} on {} at {}", view.filesystem_name, view.host_name, view.mountpoint);
    Ok((super::facts(&view)?, label))
}

#[utoipa::path(
    patch,
    path = "/api/client_mount/{id}",
    tag = "client_mount",
    params(("id" = Uuid, Path, description = "The client mount's id"), DryRun),
    request_body = ClientMountChange,
    responses(
        (status = 200, description = "A dry run: the job it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored", body = Envelope<Planned>),
        (status = 400, description = "The state is not mounted or unmounted, or the mount is removed", body = ErrorEnvelope),
        (status = 404, description = "No such client mount", body = ErrorEnvelope),
        (status = 409, description = "The file system is not running, the host is not managed, or work on the mount is unfinished", body = ErrorEnvelope),
    ),
)]
pub async fn patch(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<ClientMountChange>,
) -> Result<HttpResponse, ApiError> {
    let want = match ClientMountState::parse(&body.state) {
        Some(s @ (ClientMountState::Mounted | ClientMountState::Unmounted)) => s,
        _ => {
            return Err(ApiError::bad(
                "invalid_value",
                format!(
                    "state must be mounted or unmounted (not {:?}); DELETE removes a mount",
                    body.state
                ),
                Some("state"),
            ))
        }
    };
    let (mut mount, label) = live(&state, &path).await?;
    if want == ClientMountState::Unmounted
        && mount.state == ClientMountState::Unmounted
        && store::client_mounts::wanted(&state.db, mount.id).await?
    {
        // Lost behind Chroma's back but still kept mounted (its fstab
        // line stays, its alert is active): the unmount job stops that.
        mount.state = ClientMountState::Mounted;
    }
    let message = match want {
        ClientMountState::Mounted => format!("Mount {label}"),
        _ => format!("Unmount {label}"),
    };
    change(&state, Goal::ClientMount { mount, want }, message, query.dry_run, false).await
}

#[utoipa::path(
    delete,
    path = "/api/client_mount/{id}",
    tag = "client_mount",
    params(("id" = Uuid, Path, description = "The client mount's id"), DryRun),
    responses(
        (status = 200, description = "A dry run: the job it would take", body = Envelope<Planned>),
        (status = 202, description = "The command is stored", body = Envelope<Planned>),
        (status = 400, description = "The mount is removed already", body = ErrorEnvelope),
        (status = 404, description = "No such client mount", body = ErrorEnvelope),
        (status = 409, description = "Work on the mount is unfinished", body = ErrorEnvelope),
    ),
)]
pub async fn delete(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
) -> Result<HttpResponse, ApiError> {
    let (mount, label) = live(&state, &path).await?;
    let goal = Goal::ClientMount {
        mount,
        want: ClientMountState::Removed,
    };
    change(
        &state,
        goal,
        format!("Remove the client mount {label}"),
        query.dry_run,
        false,
    )
    .await
}
