//! `chroma param list|get|set`: a file system's conf_params. Reading uses
//! the file system's `conf_params`; setting needs
//! `PUT /api/filesystem/{id}/conf_params`, which servers may not have yet.

use api_types::filesystems::FilesystemView;
use clap::Subcommand;
use serde_json::{json, Map, Value};

use super::{unsupported, Ctx};
use crate::client::parse;
use crate::error::{CliError, Result};
use crate::spec::{params_object, Param};
use crate::{output, resolve};

/// What to do with parameters.
#[derive(Debug, Subcommand)]
pub enum ParamCommand {
    /// List a file system's conf_params.
    List {
        /// Id or name.
        filesystem: String,
    },
    /// Print one conf_param's value.
    Get {
        /// Id or name.
        filesystem: String,
        /// The parameter, e.g. sys.timeout.
        key: String,
    },
    /// Set conf_params on a file system.
    Set {
        /// Id or name.
        filesystem: String,
        /// KEY=VALUE, e.g. sys.timeout=40.
        #[arg(required = true, value_parser = Param::parse, value_name = "KEY=VALUE")]
        params: Vec<Param>,
    },
}

/// Runs a param subcommand.
pub async fn run(ctx: &Ctx, command: &ParamCommand) -> Result<()> {
    match command {
        ParamCommand::List { filesystem } => {
            let fs = load(ctx, filesystem).await?;
            let params = fs.get("conf_params").cloned().unwrap_or_else(|| json!({}));
            ctx.show(&params, || {
                output::print(table(params.as_object().unwrap_or(&Map::new())));
                Ok(())
            })
        }
        ParamCommand::Get { filesystem, key } => {
            let fs = load(ctx, filesystem).await?;
            let Some(value) = fs.pointer("/conf_params").and_then(|p| p.get(key)) else {
                return Err(CliError::NotFound(format!("{key} is not set on {filesystem}")));
            };
            ctx.show(value, || {
                println!("{}", text(value));
                Ok(())
            })
        }
        ParamCommand::Set { filesystem, params } => {
            let id = resolve::filesystem_id(&ctx.client, filesystem).await?;
            let body = json!({ "conf_params": params_object(params)?, "confirm": ctx.yes });
            let path = format!("/api/filesystem/{id}/conf_params");
            let response = ctx
                .client
                .put(&path, &body)
                .await
                .map_err(unsupported("chroma param set"))?;
            ctx.follow(response, &format!("Parameters set on {filesystem}."))
                .await
                .map(|_| ())
        }
    }
}

/// The file system `key` names, as the server sent it.
async fn load(ctx: &Ctx, key: &str) -> Result<Value> {
    let id = resolve::filesystem_id(&ctx.client, key).await?;
    let value = ctx.client.get(&format!("/api/filesystem/{id}")).await?;
    // Checks the shape; the raw value is what `--json` prints.
    parse::<FilesystemView>(value.clone())?;
    Ok(value)
}

/// A parameter's value without JSON quotes.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Parameters as a table, by name.
pub fn table(params: &Map<String, Value>) -> comfy_table::Table {
    let mut table = output::table(["PARAMETER", "VALUE"]);
    let mut keys: Vec<&String> = params.keys().collect();
    keys.sort();
    for key in keys {
        table.add_row(vec![key.clone(), params.get(key).map(text).unwrap_or_default()]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_list_by_name() {
        let params = json!({"sys.timeout": "40", "llite.max_cached_mb": 1024});
        let Some(params) = params.as_object() else {
            panic!("not an object")
        };
        assert_eq!(
            output::render(table(params)),
            "PARAMETER            VALUE\nllite.max_cached_mb  1024\nsys.timeout          40"
        );
    }
}
