use sea_orm_migration::prelude::*;

/// What real servers need remembered:
/// - `filesystem.logs_erased`: a removed file system's configuration logs
///   were erased on its MGS (`lctl erase_lcfg`). Until they are, the MGS
///   refuses new targets of that name ("index is already in use"), so the
///   name stays taken there.
/// - `host.lnet_networks`: the LNet networks Chroma configured on the host
///   (`[{"net", "interfaces"}]`, written to `/etc/lnet.conf`); null while
///   LNet takes its networks from the module options (`lnetctl lnet
///   configure --all`).
/// - The live stream tells of a host whose NIDs or LNet networks changed
///   (a network change leaves `lnet_state` at `lnet_up`).
/// - `filesystem.mgs_id`'s foreign key may be deferred: a file system whose
///   MGS is its own MDT (formatted `--mgs --mdt`) and that MDT point at
///   each other, so one of the two rows is written first.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "ALTER TABLE filesystem ADD COLUMN logs_erased boolean NOT NULL DEFAULT false;
             ALTER TABLE host ADD COLUMN lnet_networks jsonb;
             ALTER TABLE filesystem ALTER CONSTRAINT filesystem_mgs_id_fkey DEFERRABLE INITIALLY IMMEDIATE;
             DROP TRIGGER host_changed ON host;
             CREATE TRIGGER host_changed AFTER UPDATE ON host FOR EACH ROW
                 WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.lnet_state IS DISTINCT FROM NEW.lnet_state
                       OR OLD.preflight IS DISTINCT FROM NEW.preflight OR OLD.nids IS DISTINCT FROM NEW.nids
                       OR OLD.lnet_networks IS DISTINCT FROM NEW.lnet_networks)
                 EXECUTE FUNCTION chroma_notify_row();",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "DROP TRIGGER host_changed ON host;
             CREATE TRIGGER host_changed AFTER UPDATE ON host FOR EACH ROW
                 WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.lnet_state IS DISTINCT FROM NEW.lnet_state
                       OR OLD.preflight IS DISTINCT FROM NEW.preflight)
                 EXECUTE FUNCTION chroma_notify_row();
             ALTER TABLE filesystem ALTER CONSTRAINT filesystem_mgs_id_fkey NOT DEFERRABLE;
             ALTER TABLE host DROP COLUMN lnet_networks;
             ALTER TABLE filesystem DROP COLUMN logs_erased;",
        )
        .await
    }
}
