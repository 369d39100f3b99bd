//! Every list answers in one style: `limit`/`offset` with a total count,
//! `order_by` among allowed fields, and 400 for an unknown filter, a bad
//! limit or an unknown order.

use integration_tests::TestEnv;
use reqwest::StatusCode;

/// GET routes that are not lists.
const NOT_LISTS: [&str; 10] = [
    "/health",
    "/version",
    "/session",
    "/ssh_key",
    "/openapi.json",
    "/stream",
    // The table of known parameters: small and fixed.
    "/param",
    // Charts: series over a time range, not pages of objects.
    "/filesystem/metric",
    "/target/metric",
    "/host/metric",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_list_pages_orders_and_refuses_unknown_parameters() -> anyhow::Result<()> {
    let env = TestEnv::start("lists").await?;
    // Something to list in a few of them.
    for name in ["zeta", "alpha", "mid"] {
        let body = serde_json::json!({"username": name, "password": "a long password", "role": "readonly"});
        let (status, _) = env.post("/api/user", &body).await?;
        assert_eq!(status, StatusCode::CREATED);
    }
    let lists: Vec<&str> = api::routes::endpoints()
        .into_iter()
        .filter(|(m, path, _)| *m == actix_web::http::Method::GET && !path.contains('{') && !NOT_LISTS.contains(path))
        .map(|(_, path, _)| path)
        .collect();
    assert!(lists.len() >= 10, "{lists:?}");
    for path in lists {
        let url = format!("/api{path}");
        let (status, envelope) = env.get(&format!("{url}?limit=1")).await?;
        assert_eq!(status, StatusCode::OK, "{url}: {envelope}");
        let page = &envelope["response"];
        assert_eq!(page["meta"]["limit"], 1, "{url}: {envelope}");
        assert!(page["meta"]["total_count"].is_u64(), "{url}: {envelope}");
        assert!(
            page["objects"].as_array().is_some_and(|o| o.len() <= 1),
            "{url}: {envelope}"
        );
        for bad in ["limit=0", "limit=5000", "colour=red", "order_by=nonsense"] {
            let (status, envelope) = env.get(&format!("{url}?{bad}")).await?;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{url}?{bad}: {envelope}");
            assert!(envelope["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
    }
    let (_, envelope) = env.get("/api/user?order_by=-username&limit=2&offset=1").await?;
    let names: Vec<&str> = envelope["response"]["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert_eq!(names, ["mid", "alpha"], "{envelope}");
    assert_eq!(envelope["response"]["meta"]["total_count"], 4);
    env.stop().await
}
