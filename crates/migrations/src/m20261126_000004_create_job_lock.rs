use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
CREATE TABLE job_lock (
    job_id uuid NOT NULL REFERENCES job (id) ON DELETE CASCADE,
    item   text NOT NULL,
    write  boolean NOT NULL,
    PRIMARY KEY (job_id, item)
);
CREATE INDEX job_lock_item ON job_lock (item);
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, "DROP TABLE job_lock").await
    }
}
