//! `/api/alert_subscription` and `/api/alert_delivery`: which alerts reach
//! whom, by email or signed webhook, and what was sent. A user manages
//! their own subscriptions and sees their own deliveries; a superuser
//! manages and sees everyone's. Another user's subscription answers 404,
//! so its existence does not show.

pub mod change;
pub mod create;
pub mod deliveries;
pub mod list;
pub mod test;

use api_types::alert_delivery::{ChannelKind, MinSeverity, SubscriptionView};
use store::alert_delivery::{Channel, Subscription};
use store::alerts::AlertKind;
use uuid::Uuid;

use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::state::AppState;

/// Every alert kind Chroma raises, by name, besides the storage plugins'
/// (`storage_<name>`): a kind added to `store::alerts::AlertKind` must be
/// added here to be subscribed to by name.
const KINDS: [AlertKind; 21] = [
    AlertKind::HostUnreachable,
    AlertKind::HostKeyChanged,
    AlertKind::HostPreflightFailed,
    AlertKind::LustreUnhealthy,
    AlertKind::LnetDown,
    AlertKind::TargetOffline,
    AlertKind::TargetFailedOver,
    AlertKind::SpaceHigh,
    AlertKind::InodesHigh,
    AlertKind::HaDaemonStopped,
    AlertKind::HaPeerMissing,
    AlertKind::HaNoQuorum,
    AlertKind::HaFencingMissing,
    AlertKind::HaFencingDisabled,
    AlertKind::HaResourceFailed,
    AlertKind::HaNodeFenced,
    AlertKind::QuotaSoftLimitExceeded,
    AlertKind::CopytoolFailed,
    AlertKind::ClientMountLost,
    AlertKind::JobFailed,
    AlertKind::StepDeadLettered,
];

/// The most kinds one subscription names.
const MAX_KINDS: usize = 64;

/// The subscription as shown.
pub fn view(s: Subscription) -> SubscriptionView {
    let (channel, email, webhook_url) = match s.channel {
        Channel::Email { address } => (ChannelKind::Email, Some(address), None),
        Channel::Webhook { url, .. } => (ChannelKind::Webhook, None, Some(url)),
    };
    SubscriptionView {
        id: s.id,
        user_id: s.user_id,
        username: s.username,
        kinds: s.kinds,
        min_severity: severity(&s.min_severity),
        channel,
        email,
        webhook_url,
        enabled: s.enabled,
        created_at: s.created_at,
    }
}

fn severity(text: &str) -> MinSeverity {
    match text {
        "info" => MinSeverity::Info,
        "error" => MinSeverity::Error,
        _ => MinSeverity::Warning,
    }
}

/// Checks the kinds named: known, or a storage plugin's; without repeats.
fn checked_kinds(kinds: Vec<String>) -> Result<Vec<String>, ApiError> {
    if kinds.len() > MAX_KINDS {
        return Err(ApiError::bad(
            "invalid_field",
            format!("at most {MAX_KINDS} kinds"),
            Some("kinds"),
        ));
    }
    let known: Vec<String> = KINDS.iter().map(|k| k.text().into_owned()).collect();
    let mut out: Vec<String> = Vec::with_capacity(kinds.len());
    for kind in kinds {
        let storage = kind.strip_prefix("storage_").is_some_and(|name| {
            (1..=64).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        });
        if !known.contains(&kind) && !storage {
            return Err(ApiError::bad(
                "invalid_field",
                format!(
                    "unknown alert kind {kind:?}; kinds are {} or storage_<name>",
                    known.join(", ")
                ),
                Some("kinds"),
            ));
        }
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    Ok(out)
}

/// Checks an email address: `local@domain`, no spaces or control
/// characters, at most 254 characters.
fn checked_email(address: String) -> Result<String, ApiError> {
    let valid = address.len() <= 254
        && !address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | '"'))
        && address
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
    if valid {
        Ok(address)
    } else {
        Err(ApiError::bad(
            "invalid_field",
            format!("{address:?} is not an email address (local@domain)"),
            Some("email"),
        ))
    }
}

fn checked_url(state: &AppState, url: String) -> Result<String, ApiError> {
    let allowed = state.settings.alert_delivery.webhook_hosts.as_deref();
    alert_delivery::webhook::check_url(&url, allowed)
        .map_err(|m| ApiError::bad("invalid_field", m, Some("webhook_url")))?;
    Ok(url)
}

fn checked_secret(secret: String) -> Result<String, ApiError> {
    let valid = (16..=256).contains(&secret.chars().count()) && !secret.chars().any(char::is_control);
    if valid {
        Ok(secret)
    } else {
        Err(ApiError::bad(
            "invalid_field",
            "a webhook secret is 16 to 256 printable characters",
            Some("webhook_secret"),
        ))
    }
}

/// The subscription `id` if the caller may manage it (theirs, or any for
/// a superuser); 404 otherwise.
async fn owned(state: &AppState, caller: &Caller, id: Uuid) -> Result<Subscription, ApiError> {
    match store::alert_delivery::subscription(&state.db, id).await? {
        Some(s) if s.user_id == caller.user.id || caller.role == Role::Superuser => Ok(s),
        _ => Err(ApiError::NotFound(format!("you have no alert subscription {id}"))),
    }
}

/// Whose subscriptions and deliveries the caller sees: their own, or
/// everyone's (`None`) for a superuser.
fn visible_to(caller: &Caller) -> Option<Uuid> {
    (caller.role != Role::Superuser).then_some(caller.user.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_known_or_a_plugins() {
        assert!(checked_kinds(vec!["host_unreachable".into(), "storage_fan_failed".into()]).is_ok());
        assert!(checked_kinds(vec!["host_on_fire".into()]).is_err());
        assert!(checked_kinds(vec!["storage_".into()]).is_err());
        let deduped = checked_kinds(vec!["lnet_down".into(), "lnet_down".into()]).unwrap_or_default();
        assert_eq!(deduped, ["lnet_down"]);
    }

    #[test]
    fn addresses_and_secrets_are_checked() {
        assert!(checked_email("ops@example.com".into()).is_ok());
        for bad in ["ops", "@x", "a@", "a b@x", "a@b@c", "a@x\n"] {
            assert!(checked_email(bad.into()).is_err(), "{bad}");
        }
        assert!(checked_secret("0123456789abcdef".into()).is_ok());
        assert!(checked_secret("short".into()).is_err());
    }
}
