//! The command line: serve the protocol on stdio, or inject a fault.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::fault::{self, Fault};
use crate::handler::Plugin;
use crate::state::StateFile;

/// `chroma-plugin-sim-raid [--state FILE] [--lun-serials A,B,…] [fault …]`
#[derive(Debug, Parser)]
#[command(
    version,
    about = "A simulated RAID array for Chroma, speaking the storage plugin protocol on stdio"
)]
pub struct Cli {
    /// The array's state file, created on first use.
    #[arg(long, global = true, default_value = "sim-raid.json")]
    pub state: PathBuf,
    /// Serials of the LUNs made when the state file is created (half on
    /// pool-0, the rest on pool-1). Default: lustre-sim's demo cluster.
    #[arg(long, value_delimiter = ',')]
    pub lun_serials: Vec<String>,
    /// Without a command, serve the protocol on stdin and stdout.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do instead of serving.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Break or mend a part of the array.
    Fault {
        /// The part.
        #[command(subcommand)]
        fault: Fault,
    },
}

/// Runs what `cli` asks for.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let state = StateFile::new(cli.state, cli.lun_serials);
    match cli.command {
        None => {
            let stdin = std::io::stdin().lock();
            Plugin::new(state).serve(stdin, std::io::stdout().lock())
        }
        Some(Command::Fault { fault }) => {
            let mut array = state.load()?;
            let done = fault::apply(&mut array, &fault)?;
            state
                .save(&array)
                .with_context(|| format!("failed to save {}", state.path().display()))?;
            println!("{done}");
            Ok(())
        }
    }
}
