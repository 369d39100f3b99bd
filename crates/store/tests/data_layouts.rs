//! `store::data_layouts` against a fresh migrated database.

mod support;

use store::data_layouts;
use uuid::Uuid;

#[tokio::test]
async fn a_layout_read_again_replaces_the_one_recorded() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    sea_orm::ConnectionTrait::execute_unprepared(
        &t.db,
        "INSERT INTO host (id, address, port, nodename) VALUES ('00000000-0000-0000-0000-000000000001', 'c1', 22, 'client1');
         INSERT INTO volume (id, serial, size_bytes) VALUES ('00000000-0000-0000-0000-000000000002', 'v1', 1);
         INSERT INTO target (id, kind, name, volume_id, primary_host_id) VALUES
             ('00000000-0000-0000-0000-000000000003', 'mgt', 'MGS', '00000000-0000-0000-0000-000000000002',
              '00000000-0000-0000-0000-000000000001');
         INSERT INTO filesystem (id, name, mgs_id) VALUES
             ('00000000-0000-0000-0000-000000000004', 'fs1', '00000000-0000-0000-0000-000000000003');",
    )
    .await?;
    let fs = Uuid::parse_str("00000000-0000-0000-0000-000000000004")?;
    assert_eq!(data_layouts::get(&t.db, fs, "/f").await?, None);
    let first = serde_json::json!({"layout_gen": 2, "mirrors": [{"id": 1, "stale": false}]});
    assert_eq!(data_layouts::record(&t.db, None, fs, "/f", &first).await?, 1);
    let second = serde_json::json!({"layout_gen": 3, "mirrors": [{"id": 1, "stale": true}]});
    assert_eq!(data_layouts::record(&t.db, None, fs, "/f", &second).await?, 1);
    let got = data_layouts::get(&t.db, fs, "/f")
        .await?
        .ok_or_else(|| anyhow::anyhow!("recorded"))?;
    assert_eq!(got.layout, second);
    assert_eq!(data_layouts::get(&t.db, fs, "/g").await?, None);
    t.drop().await
}
