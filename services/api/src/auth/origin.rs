//! Cross-site request forgery: a change made with the session cookie must
//! come from a page of the API's own origin. SameSite alone is not enough,
//! as another port of the same host is the same site and gets the cookie.
//! Browsers send `Origin` on every POST, PUT, PATCH and DELETE, so the
//! console passes; a Bearer token is never sent by a browser on its own,
//! so token requests are not checked.

use actix_web::dev::ServiceRequest;
use actix_web::http::header::{HOST, ORIGIN, REFERER};
use std::net::IpAddr;

use crate::error::ApiError;

/// `scheme://host[:port]` of a URL or origin, lower-case, without a
/// default port, path, query or user info; `None` if it has no scheme.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    let (scheme, authority) = (scheme.to_ascii_lowercase(), authority.to_ascii_lowercase());
    let default_port = match scheme.as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => "",
    };
    let host = match authority.strip_suffix(default_port) {
        Some(host) if !default_port.is_empty() => host,
        _ => &authority,
    };
    Some(format!("{scheme}://{host}"))
}

/// The origin of the API as this request reached it: its scheme and
/// `Host`, or what a trusted proxy (`CHROMA_TRUSTED_PROXIES`) forwarded as
/// such; anyone else's `Forwarded`/`X-Forwarded-*` headers are ignored.
fn own_origin(req: &ServiceRequest, trusted: &[IpAddr]) -> String {
    let from_proxy = req
        .peer_addr()
        .is_some_and(|peer| trusted.contains(&peer.ip().to_canonical()));
    let own = if from_proxy {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    } else {
        let config = req.app_config();
        let scheme = if config.secure() { "https" } else { "http" };
        let host = req
            .headers()
            .get(HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| config.host());
        format!("{scheme}://{host}")
    };
    origin_of(&own).unwrap_or(own)
}

/// Lets a cookie-authenticated change through only if its `Origin` (or,
/// without one, its `Referer`) is the API's own origin.
pub fn check(req: &ServiceRequest, trusted: &[IpAddr]) -> Result<(), ApiError> {
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let claimed = match (header(ORIGIN), header(REFERER)) {
        (Some(origin), _) => Some(origin_of(origin).unwrap_or_else(|| origin.trim().to_owned())),
        (None, Some(referer)) => Some(origin_of(referer).unwrap_or_else(|| referer.trim().to_owned())),
        (None, None) => None,
    };
    let own = own_origin(req, trusted);
    match claimed {
        Some(claimed) if claimed == own => Ok(()),
        Some(claimed) => Err(ApiError::Forbidden(format!(
            "refused a change from origin {claimed}: a change made with the session cookie must come \
             from the console's own origin {own}; scripts send an API token as a Bearer token"
        ))),
        None => Err(ApiError::Forbidden(format!(
            "refused a change without an Origin or Referer header: a change made with the session \
             cookie must come from the console's own origin {own}; scripts send an API token as a \
             Bearer token"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn checked(headers: &[(&str, &str)]) -> Result<(), ApiError> {
        checked_from("192.0.2.7:40000", &[], headers)
    }

    /// A change from `peer`, with `trusted` as the trusted proxies.
    fn checked_from(peer: &str, trusted: &[IpAddr], headers: &[(&str, &str)]) -> Result<(), ApiError> {
        let peer = peer.parse().map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?;
        let mut request = TestRequest::post()
            .uri("/api/user")
            .peer_addr(peer)
            .insert_header(("host", "chroma.example:8080"));
        for header in headers {
            request = request.insert_header(*header);
        }
        check(&request.to_srv_request(), trusted)
    }

    #[test]
    fn only_a_trusted_proxy_may_say_which_host_and_scheme_the_browser_used() {
        let proxy: IpAddr = [10, 0, 0, 1].into();
        let forwarded = [
            ("x-forwarded-host", "chroma.site"),
            ("x-forwarded-proto", "https"),
            ("origin", "https://chroma.site"),
        ];
        assert!(checked_from("10.0.0.1:5000", &[proxy], &forwarded).is_ok());
        // The same headers from anyone else do not change the API's origin.
        assert!(matches!(
            checked_from("10.0.0.2:5000", &[proxy], &forwarded),
            Err(ApiError::Forbidden(_))
        ));
        assert!(matches!(
            checked(&[("x-forwarded-host", "evil.example"), ("origin", "http://evil.example")]),
            Err(ApiError::Forbidden(_))
        ));
    }

    #[test]
    fn origins_are_compared_without_path_case_or_default_port() {
        assert_eq!(
            origin_of("HTTP://Chroma.Example:80/hosts?x#y").as_deref(),
            Some("http://chroma.example")
        );
        assert_eq!(
            origin_of("https://user@chroma.example:443").as_deref(),
            Some("https://chroma.example")
        );
        assert_eq!(
            origin_of("http://chroma.example:443").as_deref(),
            Some("http://chroma.example:443")
        );
        assert_eq!(origin_of("null"), None);
    }

    #[test]
    fn only_the_own_origin_may_change_with_the_cookie() {
        assert!(checked(&[("origin", "http://chroma.example:8080")]).is_ok());
        assert!(checked(&[("referer", "http://chroma.example:8080/users")]).is_ok());
        for refused in [
            vec![("origin", "http://chroma.example:9090")],
            vec![("origin", "https://chroma.example:8080")],
            vec![("origin", "null")],
            vec![
                ("origin", "http://evil.example"),
                ("referer", "http://chroma.example:8080/"),
            ],
            vec![("referer", "http://evil.example/chroma.example:8080")],
            vec![],
        ] {
            assert!(
                matches!(checked(&refused), Err(ApiError::Forbidden(_))),
                "{refused:?} was let through"
            );
        }
        let Err(ApiError::Forbidden(message)) = checked(&[("origin", "http://evil.example")]) else {
            panic!("a foreign origin was let through");
        };
        assert!(message.contains("http://evil.example"), "{message}");
    }
}
