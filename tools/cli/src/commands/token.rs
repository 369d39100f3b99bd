//! `chroma token create|list|delete`: API tokens for scripts.

use api_types::pages::Page;
use api_types::users::Token;
use clap::Subcommand;
use serde_json::{json, Value};

use super::Ctx;
use crate::client::parse;
use crate::error::Result;
use crate::output;

/// What to do with API tokens.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token (shown once).
    Create {
        /// What the token is for.
        name: String,
        /// Days until it expires (default: 90; at most 3660).
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// List your live tokens (sessions and API tokens).
    List,
    /// Revoke an API token.
    Delete {
        /// The token's id.
        id: String,
    },
}

/// Runs a token subcommand.
pub async fn run(ctx: &Ctx, command: &TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Create { name, expires_in_days } => {
            let mut body = json!({ "name": name });
            if let Some(days) = expires_in_days {
                body["expires_in_days"] = json!(days);
            }
            let response = ctx.client.post("/api/token", &body).await?;
            ctx.show(&response, || {
                let token = response.get("token").and_then(Value::as_str).unwrap_or_default();
                let id = response.get("id").and_then(Value::as_str).unwrap_or_default();
                let expires = response
                    .get("expires_at")
                    .and_then(|v| serde_json::from_value(v.clone()).ok());
                println!("{token}");
                eprintln!(
                    "Token {id} created, expires {}; it is shown only now. Use it as CHROMA_TOKEN or --token.",
                    output::time(expires)
                );
                Ok(())
            })
        }
        TokenCommand::List => {
            let response = ctx.client.get("/api/token").await?;
            ctx.show(&response, || {
                let page: Page<Token> = parse(response.clone())?;
                let mut table = output::table(["ID", "KIND", "NAME", "CREATED", "EXPIRES", "LAST USED"]);
                for t in page.objects {
                    table.add_row(vec![
                        t.id.to_string(),
                        t.kind,
                        t.name,
                        output::time(Some(t.created_at)),
                        output::time(t.expires_at),
                        output::time(t.last_used_at),
                    ]);
                }
                output::print(table);
                Ok(())
            })
        }
        TokenCommand::Delete { id } => {
            let id = crate::resolve::require_id(id, "token")?;
            let response = ctx.client.delete(&format!("/api/token/{id}")).await?;
            ctx.show(&response, || {
                println!("Revoked token {id}.");
                Ok(())
            })
        }
    }
}
