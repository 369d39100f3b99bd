//! `chroma-plugin-sim-raid`: see the library.

use clap::Parser;

fn main() -> anyhow::Result<()> {
    plugin_sim_raid::cli::run(plugin_sim_raid::cli::Cli::parse())
}
