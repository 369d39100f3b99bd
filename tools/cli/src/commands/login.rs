//! `chroma login`, `chroma logout`, `chroma whoami`: the session token in
//! the config file.

use std::io::{BufRead, IsTerminal, Write};

use api_types::users::{NewSession, Whoami};
use clap::Args;
use serde_json::json;

use super::Ctx;
use crate::client::parse;
use crate::config::{self, Config};
use crate::error::{CliError, Result};

/// `chroma login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The user to log in as (asked for if not given).
    #[arg(long, short)]
    pub username: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

fn read_line(prompt: Option<&str>) -> Result<String> {
    if let Some(prompt) = prompt {
        eprint!("{prompt}");
        std::io::stderr().flush().ok();
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::Local(format!("failed to read standard input: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Logs in and saves the URL and token in the config file.
pub async fn login(ctx: &Ctx, args: &LoginArgs) -> Result<()> {
    let username = match &args.username {
        Some(u) => u.clone(),
        None => read_line(Some("Username: "))?,
    };
    let password = if args.password_stdin {
        read_line(None)?
    } else if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password: ")
            .map_err(|e| CliError::Local(format!("failed to read the password: {e}")))?
    } else {
        return Err(CliError::Usage(
            "no terminal to ask for the password on; use --password-stdin".into(),
        ));
    };
    if username.is_empty() || password.is_empty() {
        return Err(CliError::Usage("give a username and a password".into()));
    }
    let response = ctx
        .client
        .post("/api/session", &json!({"username": username, "password": password}))
        .await?;
    let session: NewSession = parse(response.clone())?;
    if session.token.is_empty() {
        return Err(CliError::Local("the server answered without a token".into()));
    }
    let mut saved = config::load(&ctx.config_path)?;
    saved.url = Some(ctx.client.url().to_owned());
    saved.token = Some(session.token.clone());
    config::save(&ctx.config_path, &saved)?;
    if ctx.json {
        // The token is in the config file; do not echo it.
        let mut shown = response;
        if let Some(fields) = shown.as_object_mut() {
            fields.remove("token");
        }
        crate::output::json(&shown);
        return Ok(());
    }
    let expires = format!(", session expires {}", crate::output::time(Some(session.expires_at)));
    println!(
        "Logged in to {} as {} ({}){expires}.",
        ctx.client.url(),
        session.user.username,
        session.user.role
    );
    Ok(())
}

/// Ends the session on the server and forgets the token.
pub async fn logout(ctx: &Ctx) -> Result<()> {
    match ctx.client.delete("/api/session").await {
        // Already expired or revoked: forgetting it is all there is to do.
        Ok(_) | Err(CliError::Unauthenticated(_)) => {}
        Err(other) => return Err(other),
    }
    let saved = config::load(&ctx.config_path)?;
    if saved.url.as_deref().map(|u| u.trim_end_matches('/')) == Some(ctx.client.url()) && saved.token.is_some() {
        config::save(&ctx.config_path, &Config { token: None, ..saved })?;
    }
    if !ctx.json {
        println!("Logged out of {}.", ctx.client.url());
    }
    Ok(())
}

/// Shows who the token belongs to.
pub async fn whoami(ctx: &Ctx) -> Result<()> {
    let response = ctx.client.get("/api/session").await?;
    ctx.show(&response, || {
        let who: Whoami = parse(response.clone())?;
        println!("{} ({}) on {}", who.user.username, who.user.role, ctx.client.url());
        Ok(())
    })
}
