//! `chroma event list`: the audit trail (`GET /api/event`), which servers
//! may not have yet.

use api_types::events::EventView;
use api_types::pages::Page;
use clap::Subcommand;

use super::{unsupported, Ctx};
use crate::client::parse;
use crate::error::Result;
use crate::output;

/// What to do with events.
#[derive(Debug, Subcommand)]
pub enum EventCommand {
    /// List events, newest first.
    List {
        /// How many to show.
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
}

/// Runs an event subcommand.
pub async fn run(ctx: &Ctx, command: &EventCommand) -> Result<()> {
    match command {
        EventCommand::List { limit } => {
            let response = ctx
                .client
                .get_query("/api/event", &[("limit", limit.to_string())])
                .await
                .map_err(unsupported("chroma event list"))?;
            ctx.show(&response, || {
                let page: Page<EventView> = parse(response.clone())?;
                output::print(table(&page.objects));
                Ok(())
            })
        }
    }
}

/// Events as a table.
pub fn table(events: &[EventView]) -> comfy_table::Table {
    let mut table = output::table(["AT", "USER", "KIND", "ABOUT", "MESSAGE"]);
    for e in events {
        table.add_row(vec![
            output::time(Some(e.at)),
            output::or_dash(e.username.as_deref()),
            e.kind.clone(),
            output::or_dash(e.item.as_deref()),
            e.message.clone(),
        ]);
    }
    table
}
