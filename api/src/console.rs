//! The web console: the static files Vite builds from `web/`, served at
//! `/`. A path no file matches (the console's own pages, e.g. `/jobs/ID`)
//! gets `index.html`, so a bookmarked page opens where it was. The files
//! hold no data: everything the console shows comes from the API, behind
//! the login like any other client's.

use actix_files::{Files, NamedFile};
use actix_web::dev::{fn_service, ServiceRequest, ServiceResponse};
use actix_web::{web, HttpResponse};
use common::envelope::{Envelope, ErrorBody};
use std::path::Path;

/// Says once, at start, whether the console can be served.
pub fn check(dir: &Path) {
    if dir.join("index.html").is_file() {
        tracing::info!(dir = %dir.display(), "serving the web console");
    } else {
        tracing::warn!(
            dir = %dir.display(),
            "the web console is not built (npm --prefix web ci && npm --prefix web run build); \
             the API is served without it"
        );
    }
}

/// Registers the console's files at `/`, or a page saying how to build them.
pub fn configure(cfg: &mut web::ServiceConfig, dir: &Path) {
    let index = dir.join("index.html");
    if !index.is_file() {
        cfg.route("/", web::get().to(not_built));
        return;
    }
    let fallback = fn_service(move |req: ServiceRequest| {
        let index = index.clone();
        async move {
            let (req, _) = req.into_parts();
            let page = NamedFile::open_async(&index).await?.into_response(&req);
            Ok(ServiceResponse::new(req, page))
        }
    });
    cfg.service(Files::new("/", dir).index_file("index.html").default_handler(fallback));
}

async fn not_built() -> HttpResponse {
    HttpResponse::NotFound().json(Envelope::<()>::err(vec![ErrorBody {
        code: "console_not_built".into(),
        message:
            "the web console is not built: run scripts/run.sh, or npm --prefix web ci && npm --prefix web run build"
                .into(),
        field: None,
    }]))
}
