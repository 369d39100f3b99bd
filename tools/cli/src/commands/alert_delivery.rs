//! `chroma alert subscribe|unsubscribe|subscriptions|deliveries|test`:
//! which alerts reach you, by email or signed webhook, and what was sent.

use api_types::alert_delivery::{ChannelKind, DeliveryStatus, DeliveryView, MinSeverity, SubscriptionView};
use api_types::pages::Page;
use clap::{Args, ValueEnum};
use serde_json::json;

use super::Ctx;
use crate::client::parse;
use crate::error::{CliError, Result};
use crate::output;

/// The least severity, as typed.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// `chroma alert subscribe`: exactly one of `--email` and `--webhook`.
#[derive(Debug, Args)]
pub struct Subscribe {
    /// Send email to this address.
    #[arg(long, conflicts_with = "webhook", required_unless_present = "webhook")]
    pub email: Option<String>,
    /// POST signed JSON to this URL.
    #[arg(long)]
    pub webhook: Option<String>,
    /// The webhook's signing secret (16 to 256 characters).
    #[arg(long, env = "CHROMA_WEBHOOK_SECRET", hide_env_values = true, requires = "webhook")]
    pub webhook_secret: Option<String>,
    /// Only these alert kinds (repeat, or separate with commas); all when
    /// not given.
    #[arg(long = "kind", value_delimiter = ',')]
    pub kinds: Vec<String>,
    /// The least severity sent.
    #[arg(long, value_enum, default_value = "warning")]
    pub min_severity: Severity,
    /// Superusers: subscribe this user instead of yourself.
    #[arg(long)]
    pub user: Option<String>,
}

/// `chroma alert subscribe`.
pub async fn subscribe(ctx: &Ctx, args: &Subscribe) -> Result<()> {
    let min_severity = match args.min_severity {
        Severity::Info => MinSeverity::Info,
        Severity::Warning => MinSeverity::Warning,
        Severity::Error => MinSeverity::Error,
    };
    let mut body = json!({"kinds": args.kinds, "min_severity": min_severity});
    if let Some(address) = &args.email {
        body["channel"] = json!(ChannelKind::Email);
        body["email"] = json!(address);
    } else {
        let secret = args
            .webhook_secret
            .as_ref()
            .ok_or_else(|| CliError::Usage("a webhook needs --webhook-secret (or CHROMA_WEBHOOK_SECRET)".into()))?;
        body["channel"] = json!(ChannelKind::Webhook);
        body["webhook_url"] = json!(args.webhook);
        body["webhook_secret"] = json!(secret);
    }
    if let Some(user) = &args.user {
        body["username"] = json!(user);
    }
    let response = ctx.client.post("/api/alert_subscription", &body).await?;
    ctx.show(&response, || {
        let s: SubscriptionView = parse(response.clone())?;
        println!(
            "Subscribed {} ({}); send a test with: chroma alert test {}",
            s.username,
            target(&s),
            s.id
        );
        Ok(())
    })
}

/// `chroma alert unsubscribe ID`.
pub async fn unsubscribe(ctx: &Ctx, id: &str) -> Result<()> {
    let id = crate::resolve::require_id(id, "alert subscription")?;
    let response = ctx.client.delete(&format!("/api/alert_subscription/{id}")).await?;
    ctx.show(&response, || {
        println!("Deleted alert subscription {id}.");
        Ok(())
    })
}

fn target(s: &SubscriptionView) -> String {
    match s.channel {
        ChannelKind::Email => format!("email {}", s.email.as_deref().unwrap_or_default()),
        ChannelKind::Webhook => format!("webhook {}", s.webhook_url.as_deref().unwrap_or_default()),
    }
}

/// `chroma alert subscriptions`.
pub async fn subscriptions(ctx: &Ctx) -> Result<()> {
    let response = ctx
        .client
        .get_query("/api/alert_subscription", &[("limit", "1000".to_owned())])
        .await?;
    ctx.show(&response, || {
        let page: Page<SubscriptionView> = parse(response.clone())?;
        let mut table = output::table(["ID", "USER", "TO", "KINDS", "MIN SEVERITY", "ENABLED"]);
        for s in &page.objects {
            let kinds = if s.kinds.is_empty() {
                "all".to_owned()
            } else {
                output::list(&s.kinds)
            };
            table.add_row(vec![
                s.id.to_string(),
                s.username.clone(),
                target(s),
                kinds,
                format!("{:?}", s.min_severity).to_lowercase(),
                if s.enabled { "yes" } else { "no" }.to_owned(),
            ]);
        }
        output::print(table);
        Ok(())
    })
}

fn status(d: &DeliveryView) -> &'static str {
    match d.status {
        DeliveryStatus::Collecting => "collecting",
        DeliveryStatus::Pending => "pending",
        DeliveryStatus::Sending => "sending",
        DeliveryStatus::Sent => "sent",
        DeliveryStatus::Failed => "failed",
    }
}

fn deliveries_table(deliveries: &[DeliveryView]) -> comfy_table::Table {
    let mut table = output::table([
        "CREATED",
        "USER",
        "CHANNEL",
        "ALERTS",
        "STATUS",
        "ATTEMPTS",
        "LAST ERROR",
    ]);
    for d in deliveries {
        table.add_row(vec![
            output::time(Some(d.created_at)),
            d.username.clone(),
            format!("{:?}", d.channel).to_lowercase(),
            if d.test {
                "test".to_owned()
            } else {
                d.alert_count.to_string()
            },
            status(d).to_owned(),
            d.attempts.to_string(),
            output::or_dash(d.last_error.as_deref()),
        ]);
    }
    table
}

/// `chroma alert deliveries [--subscription ID]`.
pub async fn deliveries(ctx: &Ctx, subscription: Option<&str>) -> Result<()> {
    let mut query = vec![("limit", "100".to_owned())];
    if let Some(id) = subscription {
        query.push((
            "subscription_id",
            crate::resolve::require_id(id, "alert subscription")?.to_owned(),
        ));
    }
    let response = ctx.client.get_query("/api/alert_delivery", &query).await?;
    ctx.show(&response, || {
        let page: Page<DeliveryView> = parse(response.clone())?;
        output::print(deliveries_table(&page.objects));
        Ok(())
    })
}

/// `chroma alert test ID`: fails when the message could not be sent.
pub async fn test(ctx: &Ctx, id: &str) -> Result<()> {
    let id = crate::resolve::require_id(id, "alert subscription")?;
    let response = ctx
        .client
        .post(&format!("/api/alert_subscription/{id}/test"), &json!({}))
        .await?;
    let delivery: DeliveryView = parse(response.clone())?;
    ctx.show(&response, || {
        output::print(deliveries_table(std::slice::from_ref(&delivery)));
        Ok(())
    })?;
    match delivery.status {
        DeliveryStatus::Sent => Ok(()),
        _ => Err(CliError::Usage(format!(
            "the test message was not sent: {}",
            delivery.last_error.unwrap_or_default()
        ))),
    }
}
