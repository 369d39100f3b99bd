//! `chroma volume list`.

use clap::Subcommand;

use super::Ctx;
use crate::error::Result;
use crate::model::{parse, Page, Volume};
use crate::output;

/// What to do with volumes.
#[derive(Debug, Subcommand)]
pub enum VolumeCommand {
    /// List block devices on managed servers, with where each is seen.
    List,
}

/// Runs a volume subcommand.
pub async fn run(ctx: &Ctx, command: &VolumeCommand) -> Result<()> {
    match command {
        VolumeCommand::List => {
            let response = ctx.client.get("/api/volume").await?;
            ctx.show(&response, || {
                let page: Page<Volume> = parse(response.clone())?;
                output::print(table(&page.objects));
                Ok(())
            })
        }
    }
}

/// Volumes as a table.
pub fn table(volumes: &[Volume]) -> comfy_table::Table {
    let mut table = output::table(["ID", "SERIAL", "SIZE", "TARGET", "SEEN ON"]);
    for v in volumes {
        let nodes: Vec<String> = v
            .nodes
            .iter()
            .map(|n| format!("{}:{}", n.host.as_deref().unwrap_or(&n.host_id), n.path))
            .collect();
        table.add_row(vec![
            v.id.clone(),
            v.serial.clone(),
            output::size(v.size_bytes),
            output::or_dash(v.target.as_deref()),
            output::list(&nodes),
        ]);
    }
    table
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn volumes_show_every_path() {
        let page: Page<Volume> = parse(json!({"objects": [
            {"id": "v1", "serial": "SER-A", "size_bytes": 1073741824u64, "target_id": "t1", "target": "fs1-OST0000",
             "nodes": [{"host_id": "h1", "host": "oss1", "path": "/dev/sdb"},
                       {"host_id": "h2", "host": "oss2", "path": "/dev/sdc"}]}
        ]}))
        .unwrap();
        assert_eq!(
            output::render(table(&page.objects)),
            "ID  SERIAL  SIZE     TARGET       SEEN ON\n\
             v1  SER-A   1.0 GiB  fs1-OST0000  oss1:/dev/sdb, oss2:/dev/sdc"
        );
    }
}
