//! `mkdir`: local directories (mount points) and directories under a
//! Lustre client mount (see `super::client_files::mkdir`).

use super::{Context, Output};

/// Runs `mkdir [-p] DIR…`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    if args.iter().all(|a| a.starts_with('-')) {
        return Output::fail("mkdir: missing operand\nTry 'mkdir --help' for more information.\n", 1);
    }
    super::client_files::mkdir(args, ctx)
}
