//! The web console: the static files Vite builds from `web/`, served at
//! `/`. A path no file matches (the console's own pages, e.g. `/jobs/ID`)
//! gets `index.html`, so a bookmarked page opens where it was. The files
//! hold no data: everything the console shows comes from the API, behind
//! the login like any other client's.

use actix_files::{Files, NamedFile};
use actix_web::dev::{fn_service, ServiceRequest, ServiceResponse};
use actix_web::{web, HttpRequest, HttpResponse};
use api_types::envelope::{Envelope, ErrorBody};
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
    // A missing file under /assets/ is a stale chunk (the console was
    // rebuilt under an open tab): answer 404, not the page, so the browser
    // reports it as what it is.
    let page = index.clone();
    let fallback = fn_service(move |req: ServiceRequest| {
        let page = page.clone();
        async move {
            let (req, _) = req.into_parts();
            let response = if req.path().starts_with("/assets/") {
                HttpResponse::NotFound().finish()
            } else {
                serve_index(&page, &req).await?
            };
            Ok(ServiceResponse::new(req, response))
        }
    });
    cfg.route(
        "/",
        web::get().to(move |req: HttpRequest| {
            let page = index.clone();
            async move { serve_index(&page, &req).await }
        }),
    );
    cfg.service(Files::new("/", dir).default_handler(fallback));
}

/// `index.html`, revalidated on every load: it names the current build's
/// chunks (whose names carry their hash, so they may be cached).
async fn serve_index(index: &Path, req: &HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    let mut page = NamedFile::open_async(index).await?.into_response(req);
    page.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-cache"),
    );
    Ok(page)
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
