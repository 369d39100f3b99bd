//! What a delivery says: an email's subject and text, a webhook's JSON.
//! One message carries every alert of its digest.

use serde_json::{json, Value};
use store::alert_delivery::Claimed;
use store::alerts::Alert;

/// The email subject: the alert itself when there is one, else a count
/// and the worst severity.
pub fn subject(delivery: &Claimed) -> String {
    match delivery.alerts.as_slice() {
        _ if delivery.test => "[Chroma] Test message".to_owned(),
        [one] => format!("[Chroma] {}: {}", one.severity, one.message),
        alerts => {
            let worst = alerts
                .iter()
                .map(|a| a.severity.as_str())
                .max_by_key(|s| rank(s))
                .unwrap_or("info");
            format!("[Chroma] {} alerts (worst: {worst})", alerts.len())
        }
    }
}

fn rank(severity: &str) -> u8 {
    match severity {
        "info" => 0,
        "warning" => 1,
        _ => 2,
    }
}

fn line(alert: &Alert) -> String {
    format!(
        "{}  {:<7}  {}  {}\n    {}\n",
        alert.raised_at.format("%Y-%m-%d %H:%M:%S UTC"),
        alert.severity,
        alert.kind,
        alert.item,
        alert.message
    )
}

/// The email's plain text.
pub fn text(delivery: &Claimed) -> String {
    let user = &delivery.subscription.username;
    if delivery.test {
        return format!(
            "This is a test message from Chroma to {user}.\n\n\
             Alerts of this subscription will arrive like this one.\n"
        );
    }
    let mut body = format!(
        "{} alert{} raised for {user}'s subscription:\n\n",
        delivery.alerts.len(),
        if delivery.alerts.len() == 1 { " was" } else { "s were" }
    );
    for alert in &delivery.alerts {
        body.push_str(&line(alert));
    }
    body.push_str("\nSee them in the console's Alerts page.\n");
    body
}

/// The webhook's JSON body.
pub fn json(delivery: &Claimed) -> Value {
    let alerts: Vec<Value> = delivery
        .alerts
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "kind": a.kind,
                "severity": a.severity,
                "item": a.item,
                "message": a.message,
                "details": a.details,
                "raised_at": a.raised_at,
                "cleared_at": a.cleared_at,
            })
        })
        .collect();
    json!({
        "delivery_id": delivery.id,
        "subscription_id": delivery.subscription.id,
        "user": delivery.subscription.username,
        "test": delivery.test,
        "summary": subject(delivery),
        "alerts": alerts,
    })
}
