//! `mkdir`: mount points are not simulated, so creating one always works.

use super::{Context, Output};

/// Runs `mkdir [-p] DIR…`: succeeds without doing anything.
pub fn run(args: &[String], _ctx: &mut Context<'_>) -> Output {
    if args.iter().all(|a| a.starts_with('-')) {
        return Output::fail("mkdir: missing operand\nTry 'mkdir --help' for more information.\n", 1);
    }
    Output::ok("")
}
