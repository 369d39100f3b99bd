//! The `chroma` command: see the crate's `lib.rs`.

fn main() -> std::process::ExitCode {
    chroma_cli::run(std::env::args_os())
}
