//! `PATCH /api/filesystem/{id} {"state": "available"|"stopped"|"removed",
//! "confirm"?}[?dry_run=true]`: start, stop or remove a file system.

use actix_web::{web, HttpResponse};
use common::domain::FilesystemState;
use common::plan::Goal;

use crate::error::ApiError;
use crate::routes::planning::{change, DryRun};
use crate::routes::query::id;
use crate::routes::targets::change::StateChange;
use crate::state::AppState;

/// Plans the start, stop or removal asked for.
pub async fn patch(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DryRun>,
    body: web::Json<StateChange>,
) -> Result<HttpResponse, ApiError> {
    let id = id(&path, "file system")?;
    let request = body.into_inner();
    let want: FilesystemState = request
        .state
        .parse()
        .map_err(|e| ApiError::bad("invalid_field", e, Some("state")))?;
    let fs = super::load_one(&state.db, id).await?;
    let verb = match want {
        FilesystemState::Available => "Start",
        FilesystemState::Stopped => "Stop",
        FilesystemState::Removed => "Remove",
        FilesystemState::Unavailable => "Change",
    };
    let message = format!("{verb} file system {}", fs.name);
    change(
        &state,
        Goal::Filesystem(id, want),
        message,
        query.dry_run,
        request.confirm,
    )
    .await
}
