//! `chroma alert list`, and alert delivery: `chroma alert subscribe`,
//! `unsubscribe`, `subscriptions`, `deliveries` and `test`
//! ([`super::alert_delivery`]).

use api_types::alerts::AlertView;
use api_types::pages::Page;
use clap::Subcommand;

use super::Ctx;
use crate::client::parse;
use crate::error::Result;
use crate::output;

/// What to do with alerts.
#[derive(Debug, Subcommand)]
pub enum AlertCommand {
    /// List alerts, newest first.
    List {
        /// Only alerts not cleared yet.
        #[arg(long)]
        active: bool,
    },
    /// Subscribe to alerts by email or webhook.
    Subscribe(super::alert_delivery::Subscribe),
    /// Delete an alert subscription.
    Unsubscribe {
        /// The subscription's id.
        id: String,
    },
    /// List your alert subscriptions (a superuser's: everyone's).
    Subscriptions,
    /// List alert deliveries, newest first, with their status and errors.
    Deliveries {
        /// Only this subscription's.
        #[arg(long)]
        subscription: Option<String>,
    },
    /// Send a test message through a subscription now.
    Test {
        /// The subscription's id.
        id: String,
    },
}

/// Runs an alert subcommand.
pub async fn run(ctx: &Ctx, command: &AlertCommand) -> Result<()> {
    match command {
        AlertCommand::List { active } => {
            let query: Vec<(&str, String)> = if *active {
                vec![("active", "true".to_owned())]
            } else {
                Vec::new()
            };
            let response = ctx.client.get_query("/api/alert", &query).await?;
            ctx.show(&response, || {
                let page: Page<AlertView> = parse(response.clone())?;
                output::print(table(&page.objects));
                Ok(())
            })
        }
        AlertCommand::Subscribe(args) => super::alert_delivery::subscribe(ctx, args).await,
        AlertCommand::Unsubscribe { id } => super::alert_delivery::unsubscribe(ctx, id).await,
        AlertCommand::Subscriptions => super::alert_delivery::subscriptions(ctx).await,
        AlertCommand::Deliveries { subscription } => {
            super::alert_delivery::deliveries(ctx, subscription.as_deref()).await
        }
        AlertCommand::Test { id } => super::alert_delivery::test(ctx, id).await,
    }
}

/// Alerts as a table.
pub fn table(alerts: &[AlertView]) -> comfy_table::Table {
    let mut table = output::table(["RAISED", "CLEARED", "SEVERITY", "KIND", "ABOUT", "MESSAGE"]);
    for a in alerts {
        table.add_row(vec![
            output::time(Some(a.raised_at)),
            output::time(a.cleared_at),
            a.severity.clone(),
            a.kind.clone(),
            a.item.clone(),
            a.message.clone(),
        ]);
    }
    table
}
