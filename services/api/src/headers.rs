//! Security headers on every response, the console's pages and the API's
//! answers alike: a Content-Security-Policy that lets the console load
//! nothing but its own files and talk to nothing but this API, and no
//! other site frame it; no content sniffing; no referrer sent to other
//! sites; and, when the client came over HTTPS (`tls::is_https`),
//! Strict-Transport-Security so its browser never uses plain HTTP again.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{
    HeaderMap, HeaderName, HeaderValue, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use actix_web::middleware::Next;
use actix_web::web;

use crate::state::AppState;

/// What the console needs, and no more: its scripts, styles, fonts and
/// images from this origin; inline styles, as antd writes its CSS into
/// `<style>` elements at run time; `data:` images (antd's inline SVGs);
/// `fetch` and the `EventSource` of `/api/stream` to this origin. ECharts
/// draws on a canvas, which needs nothing.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
     frame-ancestors 'none'";

/// Browsers keep to HTTPS for a year after seeing this over HTTPS (and
/// ignore it over plain HTTP). Subdomains are left alone: they may be
/// other services.
pub const STRICT_TRANSPORT_SECURITY_VALUE: &str = "max-age=31536000";

/// The headers every response gets.
const ALWAYS: [(HeaderName, &str); 4] = [
    (CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_VALUE),
    (X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (X_FRAME_OPTIONS, "DENY"),
    (REFERRER_POLICY, "same-origin"),
];

fn add(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    // A route that sets its own value keeps it.
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// Adds the security headers to the response to `req`, an error included.
pub async fn secure(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let https = match req.app_data::<web::Data<AppState>>() {
        Some(state) => crate::tls::is_https(req.request(), &state.settings.trusted_proxies),
        None => crate::tls::is_https(req.request(), &[]),
    };
    match next.call(req).await {
        Ok(mut response) => {
            add_all(response.headers_mut(), https);
            Ok(response.map_into_boxed_body())
        }
        // An error is made a response outside every middleware: make it
        // now, with the headers.
        Err(error) => {
            let mut response = error.error_response();
            add_all(response.headers_mut(), https);
            Err(InternalError::from_response(error.to_string(), response).into())
        }
    }
}

fn add_all(headers: &mut HeaderMap, https: bool) {
    for (name, value) in ALWAYS {
        add(headers, name, value);
    }
    if https {
        add(headers, STRICT_TRANSPORT_SECURITY, STRICT_TRANSPORT_SECURITY_VALUE);
    }
}
