//! `GET /api/filesystem/{id}/layout?path=`: a file's layout (its mirrors,
//! which are stale, their pools and OSTs) as the last data job on it read
//! it (`lfs getstripe`); `POST …/mirror {"action": "verify"}` reads it
//! again.

use actix_web::{web, HttpResponse};
use api_types::data::{LayoutQuery, LayoutView, MirrorView};
use api_types::envelope::Envelope;
use lustre::data::FileLayout;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::query::id;
use crate::state::AppState;

/// The layout last read of a file.
#[utoipa::path(
    get,
    path = "/api/filesystem/{id}/layout",
    tag = "data",
    params(("id" = Uuid, Path, description = "The file system's id"), LayoutQuery),
    responses(
        (status = 200, description = "The layout", body = Envelope<LayoutView>),
        (status = 400, description = "The path is refused", body = ErrorEnvelope),
        (status = 404, description = "No such file system, or no layout read of that path yet", body = ErrorEnvelope),
    ),
)]
pub async fn get(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LayoutQuery>,
) -> Result<HttpResponse, ApiError> {
    let fs_id = id(&path, "file system")?;
    let fs = crate::routes::filesystems::load_one(&state.db, fs_id).await?;
    let mut errors = Vec::new();
    let file = super::path("path", &query.path, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let recorded = store::data_layouts::get(&state.db, fs.id, &file).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "no layout of {}:{file} has been read; read it with POST /api/filesystem/{}/mirror {{\"action\": \"verify\"}}",
            fs.name, fs.id
        ))
    })?;
    let layout: FileLayout = serde_json::from_value(recorded.layout)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored layout of {file}: {e}")))?;
    Ok(crate::respond::ok(LayoutView {
        filesystem_id: fs.id,
        path: file,
        layout_gen: layout.layout_gen,
        mirrors: layout
            .mirrors
            .into_iter()
            .map(|m| MirrorView {
                id: m.id,
                stale: m.stale,
                flags: m.flags,
                pool: m.pool,
                stripe_count: m.stripe_count,
                stripe_size: m.stripe_size,
                ost_indexes: m.osts,
            })
            .collect(),
        read_at: recorded.read_at,
    }))
}
