//! How webhook bodies are signed: HMAC-SHA256, keyed with the
//! subscription's secret, over `"{timestamp}.{body}"`, sent as
//! `X-Chroma-Signature: sha256=<hex>` beside `X-Chroma-Timestamp` (Unix
//! seconds). A receiver recomputes it, compares in constant time, and
//! refuses a timestamp more than a few minutes old, so a captured request
//! cannot be replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Chroma-Signature";
/// The header carrying the time the body was signed (Unix seconds).
pub const TIMESTAMP_HEADER: &str = "X-Chroma-Timestamp";
/// The header carrying the delivery's id (the same on each retry).
pub const DELIVERY_HEADER: &str = "X-Chroma-Delivery";

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `X-Chroma-Signature` value for `body` signed at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Whether `signature` (an `X-Chroma-Signature` value) signs `body` at
/// `timestamp` with `secret`, compared in constant time.
pub fn verify(secret: &str, timestamp: i64, body: &[u8], signature: &str) -> bool {
    let Some(hex) = signature.strip_prefix("sha256=") else {
        return false;
    };
    if hex.len() != 64 || !hex.is_ascii() {
        return false;
    }
    let bytes: Option<Vec<u8>> = (0..32)
        .map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).ok())
        .collect();
    bytes.is_some_and(|tag| mac(secret, timestamp, body).verify_slice(&tag).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_binds_secret_time_and_body() {
        let signature = sign("key", 1_700_000_000, b"{}");
        assert!(signature.starts_with("sha256=") && signature.len() == 71);
        assert!(verify("key", 1_700_000_000, b"{}", &signature));
        assert!(!verify("other", 1_700_000_000, b"{}", &signature));
        assert!(!verify("key", 1_700_000_001, b"{}", &signature));
        assert!(!verify("key", 1_700_000_000, b"{ }", &signature));
        assert!(!verify("key", 1_700_000_000, b"{}", "sha256=00"));
    }
}
