//! `chroma volume list`.

use api_types::pages::Page;
use api_types::volumes::VolumeView;
use clap::Subcommand;

use super::Ctx;
use crate::client::parse;
use crate::error::Result;
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
                let page: Page<VolumeView> = parse(response.clone())?;
                output::print(table(&page.objects));
                Ok(())
            })
        }
    }
}

/// Volumes as a table.
pub fn table(volumes: &[VolumeView]) -> comfy_table::Table {
    let mut table = output::table(["ID", "SERIAL", "SIZE", "TARGET", "SEEN ON"]);
    for v in volumes {
        let nodes: Vec<String> = v
            .nodes
            .iter()
            .map(|n| format!("{}:{}", crate::resolve::node_host(n), n.path))
            .collect();
        table.add_row(vec![
            v.id.to_string(),
            v.serial.clone(),
            output::size(u64::try_from(v.size_bytes).unwrap_or_default()),
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
    use crate::fixtures::{id, page, volume};
    use serde_json::json;

    #[test]
    fn volumes_show_every_path() {
        let page: Page<VolumeView> = parse(page(vec![volume(json!(
            {"id": id(1), "serial": "SER-A", "size_bytes": 1073741824u64, "target_id": id(21), "target": "fs1-OST0000",
             "nodes": [{"host_id": id(11), "host": "oss1", "path": "/dev/sdb"},
                       {"host_id": id(12), "host": "oss2", "path": "/dev/sdc"}]}
        ))]))
        .unwrap();
        assert_eq!(
            output::render(table(&page.objects)),
            format!(
                "ID{:36}SERIAL  SIZE     TARGET       SEEN ON\n\
                 {}  SER-A   1.0 GiB  fs1-OST0000  oss1:/dev/sdb, oss2:/dev/sdc",
                "",
                id(1)
            )
        );
    }
}
