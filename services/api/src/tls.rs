//! HTTPS. The API serves TLS itself when `CHROMA_TLS_CERT` and
//! `CHROMA_TLS_KEY` name a certificate and its key (rustls on ring, the
//! provider the rest of Chroma's rustls already uses), or runs plain HTTP
//! behind a reverse proxy that serves TLS and says so in
//! `X-Forwarded-Proto`. Either way [`is_https`] tells whether the client
//! reached Chroma over HTTPS, for HSTS and the `Secure` session cookie.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use actix_web::HttpRequest;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use setup::config::{ConfigError, TlsFiles};

const CERT: &str = "CHROMA_TLS_CERT";
const KEY: &str = "CHROMA_TLS_KEY";

fn invalid(name: &'static str, path: &Path, reason: impl std::fmt::Display) -> ConfigError {
    ConfigError {
        name,
        reason: format!("{}: {reason}", path.display()),
    }
}

fn read(name: &'static str, path: &Path) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|e| invalid(name, path, format!("cannot be read: {e}")))
}

/// The certificate chain in `path`: the server's certificate first.
fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let pem = read(CERT, path)?;
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(CERT, path, format!("is not a PEM certificate chain: {e}")))?;
    if chain.is_empty() {
        return Err(invalid(
            CERT,
            path,
            "holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
        ));
    }
    Ok(chain)
}

/// The private key in `path` (PKCS#8, PKCS#1 or SEC1).
fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, ConfigError> {
    let pem = read(KEY, path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        invalid(
            KEY,
            path,
            format!("holds no usable PEM private key (-----BEGIN PRIVATE KEY-----): {e}"),
        )
    })
}

/// The TLS configuration of `files`, checked: both files read, a
/// certificate and a key found, and the key the certificate's. Any failure
/// names the variable of the file at fault.
pub fn server_config(files: &TlsFiles) -> Result<rustls::ServerConfig, ConfigError> {
    let chain = certificates(&files.cert)?;
    let key = private_key(&files.key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(CERT, &files.cert, e))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| {
            invalid(
                KEY,
                &files.key,
                format!("cannot serve the certificate in {} ({CERT}): {e}", files.cert.display()),
            )
        })
}

/// Whether the client reached Chroma over HTTPS: this server serves TLS,
/// or the request comes from one of the `trusted` proxies and its
/// `X-Forwarded-Proto` says `https`. Anyone else's `X-Forwarded-Proto` is
/// ignored.
pub fn is_https(req: &HttpRequest, trusted: &[IpAddr]) -> bool {
    if req.app_config().secure() {
        return true;
    }
    let from_proxy = req
        .peer_addr()
        .is_some_and(|peer| trusted.contains(&peer.ip().to_canonical()));
    from_proxy
        && req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|value| value.to_str().ok())
            // The scheme the client used at the first proxy.
            .and_then(|value| value.split(',').next())
            .is_some_and(|scheme| scheme.trim().eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn only_a_trusted_proxy_may_say_the_client_used_https() {
        let proxy: IpAddr = [10, 0, 0, 1].into();
        let request = |peer: &str, proto: Option<&str>| {
            let mut request = TestRequest::get().peer_addr(peer.parse().unwrap_or(([0, 0, 0, 0], 0).into()));
            if let Some(proto) = proto {
                request = request.insert_header(("x-forwarded-proto", proto));
            }
            request.to_http_request()
        };
        assert!(is_https(&request("10.0.0.1:5000", Some("https")), &[proxy]));
        assert!(is_https(&request("10.0.0.1:5000", Some("HTTPS, http")), &[proxy]));
        assert!(!is_https(&request("10.0.0.1:5000", Some("http")), &[proxy]));
        assert!(!is_https(&request("10.0.0.1:5000", None), &[proxy]));
        assert!(!is_https(&request("192.0.2.9:5000", Some("https")), &[proxy]));
        assert!(!is_https(&request("10.0.0.1:5000", Some("https")), &[]));
    }
}
