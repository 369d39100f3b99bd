//! `migrations` CLI: apply or roll back the schema (`up`, `down`, `status`).

use sea_orm_migration::prelude::*;

#[tokio::main]
async fn main() {
    cli::run_cli(migrations::Migrator).await;
}
