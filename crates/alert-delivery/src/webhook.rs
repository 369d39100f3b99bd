//! Webhooks: the delivery's JSON POSTed to the subscription's URL, signed
//! (see [`crate::signature`]). Any answer but 2xx is a failed attempt.

use std::time::Duration;

use crate::signature::{sign, DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::SendError;

/// How long a receiver may take to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The longest part of a failed answer's body kept in the error.
const ERROR_BODY: usize = 200;

/// POSTs `body` to `url` (if its host is `allowed`), signed with `secret`
/// now.
pub async fn post(
    http: &reqwest::Client,
    allowed: Option<&[String]>,
    url: &str,
    secret: &str,
    delivery_id: uuid::Uuid,
    body: &serde_json::Value,
) -> Result<(), SendError> {
    // The allowed hosts may have changed since the subscription was made.
    check_url(url, allowed).map_err(SendError::Webhook)?;
    let bytes = serde_json::to_vec(body).map_err(|e| SendError::Webhook(format!("cannot encode the body: {e}")))?;
    let timestamp = chrono::Utc::now().timestamp();
    let response = http
        .post(url)
        .timeout(TIMEOUT)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, sign(secret, timestamp, &bytes))
        .header(DELIVERY_HEADER, delivery_id.to_string())
        .body(bytes)
        .send()
        .await
        .map_err(|e| SendError::Webhook(crate::email::chain(&e)))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let text = response.text().await.unwrap_or_default();
    let text: String = text.chars().take(ERROR_BODY).collect();
    Err(SendError::Webhook(format!("{url} answered {status}: {}", text.trim())))
}

/// Checks a webhook URL: absolute `http` or `https` with a host among
/// `allowed` (when given), at most 2048 characters.
pub fn check_url(url: &str, allowed: Option<&[String]>) -> Result<(), String> {
    if url.len() > 2048 {
        return Err("a webhook URL has at most 2048 characters".into());
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("{url:?} is not an http:// or https:// URL with a host"));
    }
    if url.chars().any(char::is_control) || !url.starts_with(parsed.scheme()) {
        return Err(format!("{url:?} is not a plain URL"));
    }
    if let (Some(allowed), Some(host)) = (allowed, parsed.host_str()) {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        if !allowed.contains(&host) {
            return Err(format!(
                "webhooks may only go to {} (CHROMA_ALERT_WEBHOOK_HOSTS), not {host}",
                allowed.join(", ")
            ));
        }
    }
    Ok(())
}
