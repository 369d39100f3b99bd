//! `chroma-plugin-linux`: serves the storage plugin protocol on stdio.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let stdin = tokio::io::BufReader::new(tokio::io::stdin());
    plugin_linux::handler::Plugin::new()
        .serve(stdin, tokio::io::stdout())
        .await
}
