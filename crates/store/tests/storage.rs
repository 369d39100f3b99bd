//! `store::storage` against a fresh migrated database.

mod support;

mod seed;

#[tokio::test]
async fn plugin_views_count_each_plugins_resources_not_removed() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let plugins = store::storage::plugin_views(&t.db).await?;
    let shown: Vec<(&str, i64, i32, &[String])> = plugins
        .iter()
        .map(|p| (p.name.as_str(), p.resources, p.restarts, p.levels.as_slice()))
        .collect();
    assert_eq!(
        shown,
        [("raid", 3, 2, &["detect".to_owned(), "configure".to_owned()][..])]
    );
    t.drop().await
}

#[tokio::test]
async fn resource_views_select_live_children_by_class_and_id() -> anyhow::Result<()> {
    use store::storage::{resource_views, ResourceSelection};
    let t = seed::estate().await?;
    let ids = |found: Vec<api_types::storage::ResourceView>| found.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(resource_views(&t.db, ResourceSelection::ChildrenOf(seed::ARRAY)).await?),
        [seed::DISK]
    );
    assert_eq!(
        ids(resource_views(&t.db, ResourceSelection::OfVolume(seed::SHARED)).await?),
        [seed::ARRAY]
    );
    let both = ResourceSelection::Ids(vec![seed::GONE_DISK, seed::DISK]);
    assert_eq!(ids(resource_views(&t.db, both).await?), [seed::DISK, seed::GONE_DISK]);
    t.drop().await
}

#[tokio::test]
async fn list_resources_pages_live_resources_by_plugin_class_and_id() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let filter = store::storage::ResourceFilter::default();
    let (page, total) =
        store::storage::list_resources(&t.db, &filter, store::storage::ResourceOrder::Default, 2, 0).await?;
    let local: Vec<&str> = page.iter().map(|r| r.local_id.as_str()).collect();
    assert_eq!((local, total), (vec!["a1", "d1"], 3));
    t.drop().await
}

#[tokio::test]
async fn list_resources_orders_by_a_field_and_finds_related_ones() -> anyhow::Result<()> {
    use store::storage::{list_resources, ResourceField, ResourceFilter, ResourceOrder};
    let t = seed::estate().await?;
    let by_id_desc = ResourceOrder::By {
        field: ResourceField::LocalId,
        descending: true,
    };
    let everything = ResourceFilter {
        include_removed: true,
        ..Default::default()
    };
    let (page, total) = list_resources(&t.db, &everything, by_id_desc, 1, 0).await?;
    let local: Vec<&str> = page.iter().map(|r| r.local_id.as_str()).collect();
    assert_eq!((local, total), (vec!["e1"], 4));
    let related = ResourceFilter {
        related_to: Some(seed::ENCLOSURE),
        ..Default::default()
    };
    let (page, _) = list_resources(&t.db, &related, ResourceOrder::Default, 10, 0).await?;
    assert_eq!(page.iter().map(|r| r.id).collect::<Vec<_>>(), [seed::DISK]);
    t.drop().await
}

#[tokio::test]
async fn relationships_of_a_resource_go_both_ways() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let from_disk = store::storage::relationships_of(&t.db, seed::DISK).await?;
    let to_enclosure = store::storage::relationships_of(&t.db, seed::ENCLOSURE).await?;
    let shown = |r: &[store::storage::Relationship]| {
        r.iter()
            .map(|r| (r.kind.clone(), r.direction.clone(), r.other))
            .collect::<Vec<_>>()
    };
    assert_eq!(shown(&from_disk), [("built_on".into(), "to".into(), seed::ENCLOSURE)]);
    assert_eq!(shown(&to_enclosure), [("built_on".into(), "from".into(), seed::DISK)]);
    t.drop().await
}

#[tokio::test]
async fn stands_on_holds_relationships_and_live_parents() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let mut edges = store::storage::stands_on(&t.db).await?;
    edges.sort();
    let mut expected = vec![
        (seed::DISK, seed::ENCLOSURE, "built_on".to_owned()),
        (seed::DISK, seed::ARRAY, "parent".to_owned()),
    ];
    expected.sort();
    assert_eq!(edges, expected);
    t.drop().await
}

#[tokio::test]
async fn actionable_shows_a_live_resource_with_its_plugins_declarations() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let found = store::storage::actionable(&t.db, seed::ARRAY).await?;
    let shown = found.map(|a| (a.class, a.plugin, a.classes[0]["actions"][0]["name"].clone()));
    assert_eq!(
        shown,
        Some(("array".into(), "raid".into(), serde_json::json!("rebuild")))
    );
    assert_eq!(store::storage::actionable(&t.db, seed::GONE_DISK).await?, None);
    t.drop().await
}

#[tokio::test]
async fn live_resource_of_plugin_names_the_plugin_and_its_id_until_removed() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let id = uuid::Uuid::now_v7();
    store::sql::execute(
        &t.db,
        "INSERT INTO storage_plugin (name, state) VALUES ('sim-array', 'running')",
        [],
    )
    .await?;
    store::sql::execute(
        &t.db,
        "INSERT INTO storage_resource (id, plugin, local_id, class, attributes) VALUES ($1, 'sim-array', 'lun-1', 'lun', '{}')",
        [id.into()],
    )
    .await?;
    assert_eq!(
        store::storage::live_resource_of_plugin(&t.db, id).await?,
        Some(("sim-array".to_owned(), "lun-1".to_owned()))
    );
    store::sql::execute(
        &t.db,
        "UPDATE storage_resource SET removed_at = now() WHERE id = $1",
        [id.into()],
    )
    .await?;
    assert_eq!(store::storage::live_resource_of_plugin(&t.db, id).await?, None);
    t.drop().await
}
