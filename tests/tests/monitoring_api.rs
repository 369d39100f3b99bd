//! The monitoring API's query semantics: metric series (bucketing,
//! `max_points`, reduce, the live edge where rollups end, table choice by
//! retention), per-job I/O, server logs, alert acknowledgement and the
//! event filters. The monitor that fills these tables is tested on its
//! own; here rows are written with SQL so each answer is known exactly.

use chrono::{DateTime, DurationRound, SecondsFormat, TimeDelta, Utc};
use integration_tests::{login, time, TestEnv};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

/// Runs statements.
async fn exec(env: &TestEnv, sql: &str) -> anyhow::Result<()> {
    sea_orm::ConnectionTrait::execute_unprepared(&env.db, sql).await?;
    Ok(())
}

/// A time as a query parameter.
fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The objects the metrics are about.
struct Cluster {
    oss: Uuid,
    mds: Uuid,
    fs: Uuid,
    mdt: Uuid,
    ost0: Uuid,
    ost1: Uuid,
}

/// Two servers and a file system of one MDT and two OSTs.
async fn cluster(env: &TestEnv) -> anyhow::Result<Cluster> {
    let c = Cluster {
        oss: Uuid::now_v7(),
        mds: Uuid::now_v7(),
        fs: Uuid::now_v7(),
        mdt: Uuid::now_v7(),
        ost0: Uuid::now_v7(),
        ost1: Uuid::now_v7(),
    };
    let mgt = Uuid::now_v7();
    let (oss, mds, fs, mdt, ost0, ost1) = (c.oss, c.mds, c.fs, c.mdt, c.ost0, c.ost1);
    let volumes: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
    let mut sql = format!(
        "INSERT INTO host (id, address, port, state, nodename) VALUES
             ('{oss}', '10.0.0.1', 22, 'managed', 'oss1'), ('{mds}', '10.0.0.2', 22, 'managed', 'mds1');"
    );
    for (i, v) in volumes.iter().enumerate() {
        sql.push_str(&format!(
            "INSERT INTO volume (id, serial, size_bytes) VALUES ('{v}', 'serial{i}', 1000);"
        ));
    }
    let [v0, v1, v2, v3] = [volumes[0], volumes[1], volumes[2], volumes[3]];
    sql.push_str(&format!(
        "INSERT INTO target (id, kind, name, volume_id, primary_host_id)
             VALUES ('{mgt}', 'mgt', 'MGS', '{v0}', '{mds}');
         INSERT INTO filesystem (id, name, mgs_id) VALUES ('{fs}', 'fs1', '{mgt}');
         INSERT INTO target (id, kind, filesystem_id, target_index, name, volume_id, primary_host_id) VALUES
             ('{mdt}', 'mdt', '{fs}', 0, 'fs1-MDT0000', '{v1}', '{mds}'),
             ('{ost0}', 'ost', '{fs}', 0, 'fs1-OST0000', '{v2}', '{oss}'),
             ('{ost1}', 'ost', '{fs}', 1, 'fs1-OST0001', '{v3}', '{oss}');"
    ));
    exec(env, &sql).await?;
    Ok(c)
}

/// Creates the series and returns its id.
async fn series(env: &TestEnv, kind: &str, object: Uuid, name: &str) -> anyhow::Result<i32> {
    let rows = store::sql::query(
        &env.db,
        "INSERT INTO metric_series (object_kind, object_id, name) VALUES ($1, $2, $3) RETURNING id",
        [kind.into(), object.into(), name.into()],
    )
    .await?;
    Ok(rows
        .first()
        .map(|r| r.try_get::<i32>("", "id"))
        .transpose()?
        .unwrap_or_default())
}

/// `GET` that must answer 200; its `response`.
async fn ok(env: &TestEnv, path: &str) -> anyhow::Result<Value> {
    let (status, envelope) = env.get(path).await?;
    anyhow::ensure!(status == StatusCode::OK, "GET {path}: {status} {envelope}");
    Ok(envelope["response"].clone())
}

/// A series' points as (time, value).
fn points(series: &Value) -> anyhow::Result<Vec<(DateTime<Utc>, f64)>> {
    series["points"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| Ok((time(&p[0])?, p[1].as_f64().unwrap_or(f64::NAN))))
        .collect()
}

/// The start of the window the tests write samples into: half an hour ago,
/// on a whole minute.
fn start() -> anyhow::Result<DateTime<Utc>> {
    Ok((Utc::now() - TimeDelta::minutes(30)).duration_trunc(TimeDelta::minutes(1))?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn series_are_bucketed_reduced_and_read_across_the_rollup_edge() -> anyhow::Result<()> {
    let env = TestEnv::start("monitoring_series").await?;
    let c = cluster(&env).await?;
    let t0 = start()?;
    let s = |secs: i64| t0 + TimeDelta::seconds(secs);
    // OST0 writes k at sample k (every 10 s for 5 minutes), OST1 a steady 10.
    let ost0 = series(&env, "target", c.ost0, "write_bytes").await?;
    let ost1 = series(&env, "target", c.ost1, "write_bytes").await?;
    let mdt = series(&env, "target", c.mdt, "write_bytes").await?;
    exec(
        &env,
        &format!(
            "INSERT INTO metric_raw (series_id, at, value)
             SELECT {ost0}, '{t}'::timestamptz + k * interval '10 s', k FROM generate_series(0, 29) k;
             INSERT INTO metric_raw (series_id, at, value)
             SELECT {ost1}, '{t}'::timestamptz + k * interval '10 s', 10 FROM generate_series(0, 29) k;
             INSERT INTO metric_raw (series_id, at, value)
             SELECT {mdt}, '{t}'::timestamptz + k * interval '10 s', 1000 FROM generate_series(0, 29) k;",
            t = iso(t0)
        ),
    )
    .await?;
    let range = format!("begin={}&end={}", iso(t0), iso(s(300)));

    // One target, 10 points over 5 minutes: 30 s buckets of 3 samples.
    let answer = ok(
        &env,
        &format!(
            "/api/target/{}/metric?metrics=write_bytes&{range}&max_points=10",
            c.ost0
        ),
    )
    .await?;
    assert_eq!(answer["interval_seconds"], 30, "{answer}");
    assert_eq!(answer["resolution"], "raw", "{answer}");
    assert_eq!(time(&answer["begin"])?, t0);
    let series0 = &answer["series"][0];
    assert_eq!(series0["name"], "write_bytes");
    assert_eq!(series0["unit"], "bytes/s");
    assert_eq!(series0["object_id"], c.ost0.to_string());
    let p = points(series0)?;
    assert_eq!(p.len(), 10, "{answer}");
    assert_eq!(p[0], (t0, 1.0));
    assert_eq!(p[1], (s(30), 4.0));
    assert_eq!(p[9], (s(270), 28.0));

    // Fewer points: wider buckets (ceil(300 s / 3)); many: never under 10 s.
    let answer = ok(
        &env,
        &format!("/api/target/{}/metric?metrics=write_bytes&{range}&max_points=3", c.ost0),
    )
    .await?;
    assert_eq!(answer["interval_seconds"], 100);
    assert_eq!(
        points(&answer["series"][0])?,
        [(t0, 4.5), (s(100), 14.5), (s(200), 24.5)]
    );
    let answer = ok(
        &env,
        &format!(
            "/api/target/{}/metric?metrics=write_bytes&{range}&max_points=5000",
            c.ost0
        ),
    )
    .await?;
    assert_eq!(answer["interval_seconds"], 10);
    assert_eq!(points(&answer["series"][0])?.len(), 30);

    // All OSTs of the file system: one series each, or combined.
    let all = format!(
        "/api/target/metric?metrics=write_bytes&{range}&max_points=10&filesystem_id={}&kind=ost",
        c.fs
    );
    let answer = ok(&env, &all).await?;
    let ids: Vec<&str> = answer["series"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["object_id"].as_str())
        .collect();
    let mut expected = vec![c.ost0.to_string(), c.ost1.to_string()];
    expected.sort();
    assert_eq!(ids, expected, "{answer}");
    // Each one's own bucket averages (the heat map): OST0 3k + 1 in bucket
    // k (the mean of samples 3k..3k + 2), OST1 10 throughout.
    for series in answer["series"].as_array().into_iter().flatten() {
        let expected: Vec<(DateTime<Utc>, f64)> = if series["object_id"] == c.ost0.to_string() {
            (0..10).map(|k| (s(30 * k), (3 * k + 1) as f64)).collect()
        } else {
            (0..10).map(|k| (s(30 * k), 10.0)).collect()
        };
        assert_eq!(points(series)?, expected, "{answer}");
    }
    let answer = ok(&env, &format!("{all}&reduce=sum")).await?;
    assert_eq!(answer["series"].as_array().map(Vec::len), Some(1), "{answer}");
    assert!(answer["series"][0].get("object_id").is_none(), "{answer}");
    let p = points(&answer["series"][0])?;
    assert_eq!((p.len(), p[0], p[1]), (10, (t0, 11.0), (s(30), 14.0)));
    let answer = ok(&env, &format!("{all}&reduce=average")).await?;
    let p = points(&answer["series"][0])?;
    assert_eq!((p[0], p[1]), ((t0, 5.5), (s(30), 7.0)));
    // Without the kind filter the MDT counts too.
    let answer = ok(
        &env,
        &format!("/api/target/metric?metrics=write_bytes&{range}&max_points=10&reduce=sum"),
    )
    .await?;
    assert_eq!(points(&answer["series"][0])?[0], (t0, 1011.0));

    // The live edge: minutes rolled up until t0 + 10 min, raw samples
    // after. A raw sample before the edge and a minute after it are not
    // read (they are the other table's business).
    let cpu = series(&env, "host", c.oss, "cpu_used").await?;
    let mds_cpu = series(&env, "host", c.mds, "cpu_used").await?;
    exec(
        &env,
        &format!(
            "INSERT INTO metric_minute (series_id, at, value, min, max, samples)
             SELECT {mds_cpu}, '{t}'::timestamptz + m * interval '1 min', 20, 20, 20, 6 FROM generate_series(0, 9) m;
             INSERT INTO metric_raw (series_id, at, value)
             SELECT {mds_cpu}, '{t}'::timestamptz + interval '10 min' + k * interval '10 s', 40
             FROM generate_series(0, 59) k;
             INSERT INTO metric_minute (series_id, at, value, min, max, samples)
             SELECT {cpu}, '{t}'::timestamptz + m * interval '1 min', 50, 50, 50, 6 FROM generate_series(0, 9) m;
             INSERT INTO metric_minute (series_id, at, value, min, max, samples)
             VALUES ({cpu}, '{t}'::timestamptz + interval '15 min', 1000, 1000, 1000, 6);
             INSERT INTO metric_raw (series_id, at, value)
             SELECT {cpu}, '{t}'::timestamptz + interval '10 min' + k * interval '10 s', 70
             FROM generate_series(0, 59) k;
             INSERT INTO metric_raw (series_id, at, value)
             VALUES ({cpu}, '{t}'::timestamptz + interval '5 min', 1000);
             INSERT INTO metric_rollup (name, upto) VALUES ('minute', '{t}'::timestamptz + interval '10 min');",
            t = iso(t0)
        ),
    )
    .await?;
    let answer = ok(
        &env,
        &format!(
            "/api/host/{}/metric?metrics=cpu_used,mem_used&begin={}&end={}&max_points=10",
            c.oss,
            iso(t0),
            iso(s(1200))
        ),
    )
    .await?;
    assert_eq!(answer["interval_seconds"], 120, "{answer}");
    assert_eq!(answer["resolution"], "minute", "{answer}");
    let values: Vec<f64> = points(&answer["series"][0])?.iter().map(|p| p.1).collect();
    assert_eq!(
        values,
        [50.0, 50.0, 50.0, 50.0, 50.0, 70.0, 70.0, 70.0, 70.0, 70.0],
        "{answer}"
    );
    // A metric with no samples is there, empty, in the order asked.
    assert_eq!(answer["series"][1]["name"], "mem_used");
    assert_eq!(answer["series"][1]["points"], json!([]));
    // All hosts, one series each and summed, read the same tables.
    let every = format!(
        "/api/host/metric?metrics=cpu_used&begin={}&end={}&max_points=10",
        iso(t0),
        iso(s(1200))
    );
    let answer = ok(&env, &every).await?;
    let buckets: Vec<DateTime<Utc>> = (0..10).map(|k| s(120 * k)).collect();
    let expect = |before: f64, after: f64| -> Vec<(DateTime<Utc>, f64)> {
        buckets
            .iter()
            .enumerate()
            .map(|(k, b)| (*b, if k < 5 { before } else { after }))
            .collect()
    };
    assert_eq!(answer["series"].as_array().map(Vec::len), Some(2), "{answer}");
    for (host, values) in [(c.oss, expect(50.0, 70.0)), (c.mds, expect(20.0, 40.0))] {
        let one = answer["series"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["object_id"] == host.to_string())
            .ok_or_else(|| anyhow::anyhow!("no series of host {host}: {answer}"))?;
        assert_eq!(points(one)?, values, "{answer}");
    }
    let answer = ok(&env, &format!("{every}&reduce=sum")).await?;
    assert_eq!(points(&answer["series"][0])?, expect(70.0, 110.0), "{answer}");

    // Two days ago is past the raw table's retention: buckets come from
    // minutes even when narrow.
    let old = (Utc::now() - TimeDelta::days(2)).duration_trunc(TimeDelta::minutes(1))?;
    exec(
        &env,
        &format!(
            "INSERT INTO metric_minute (series_id, at, value, min, max, samples)
             VALUES ({cpu}, '{o}'::timestamptz + interval '2 min', 33, 33, 33, 6);
             INSERT INTO metric_raw (series_id, at, value) VALUES ({cpu}, '{o}'::timestamptz + interval '1 min', 99);",
            o = iso(old)
        ),
    )
    .await?;
    let answer = ok(
        &env,
        &format!(
            "/api/host/{}/metric?metrics=cpu_used&begin={}&end={}&max_points=60",
            c.oss,
            iso(old),
            iso(old + TimeDelta::minutes(10))
        ),
    )
    .await?;
    assert_eq!(
        (answer["interval_seconds"].as_i64(), answer["resolution"].as_str()),
        (Some(10), Some("minute"))
    );
    assert_eq!(points(&answer["series"][0])?, [(old + TimeDelta::minutes(2), 33.0)]);

    // A file system's own series (the monitor derives them).
    let space = series(&env, "filesystem", c.fs, "space_used").await?;
    exec(
        &env,
        &format!(
            "INSERT INTO metric_raw (series_id, at, value) VALUES ({space}, '{}', 4096)",
            iso(s(5))
        ),
    )
    .await?;
    let answer = ok(
        &env,
        &format!("/api/filesystem/{}/metric?metrics=space_used,clients&{range}", c.fs),
    )
    .await?;
    assert_eq!(answer["series"][0]["unit"], "bytes");
    assert_eq!(points(&answer["series"][0])?, [(t0, 4096.0)], "{answer}");
    assert_eq!(answer["series"][1]["name"], "clients");
    let answer = ok(&env, &format!("/api/filesystem/metric?metrics=space_used&{range}")).await?;
    assert_eq!(answer["series"][0]["object_id"], c.fs.to_string(), "{answer}");

    // Defaults: the last hour up to now, 300 points at most.
    let answer = ok(&env, &format!("/api/target/{}/metric?metrics=write_bytes", c.ost0)).await?;
    let span = time(&answer["end"])? - time(&answer["begin"])?;
    assert_eq!(
        (span, answer["interval_seconds"].as_i64()),
        (TimeDelta::hours(1), Some(12))
    );

    // Refusals name the parameter at fault.
    let target = format!("/api/target/{}/metric", c.ost0);
    for (query, field, says) in [
        ("metrics=write_bytes,bogus_metric", "metrics", "bogus_metric"),
        ("metrics=cpu_used", "metrics", "cpu_used"),
        ("", "metrics", "metrics"),
        ("metrics=write_bytes&begin=yesterday", "begin", "yesterday"),
        ("metrics=write_bytes&end=2026-13-01T00:00:00Z", "end", "RFC 3339"),
        (
            "metrics=write_bytes&begin=2026-01-02T00:00:00Z&end=2026-01-01T00:00:00Z",
            "begin",
            "before",
        ),
        ("metrics=write_bytes&max_points=0", "max_points", "5000"),
        ("metrics=write_bytes&max_points=5001", "max_points", "5000"),
    ] {
        let (status, envelope) = env.get(&format!("{target}?{query}")).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {envelope}");
        assert_eq!(envelope["errors"][0]["code"], "invalid_query", "{query}: {envelope}");
        assert_eq!(envelope["errors"][0]["field"], field, "{query}: {envelope}");
        let message = envelope["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{query}: {envelope}");
    }
    for path in [
        "/api/target/metric?metrics=write_bytes&reduce=max",
        "/api/target/metric?metrics=write_bytes&kind=disk",
        "/api/target/metric?metrics=write_bytes&filesystem_id=fs1",
        "/api/host/metric?metrics=cpu_used&kind=ost",
        "/api/host/nonsense/metric?metrics=cpu_used",
    ] {
        let (status, envelope) = env.get(path).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {envelope}");
    }
    for path in [
        format!("/api/host/{}/metric?metrics=cpu_used", Uuid::now_v7()),
        format!("/api/filesystem/{}/metric?metrics=space_used", c.ost0),
    ] {
        let (status, envelope) = env.get(&path).await?;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {envelope}");
    }
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_stats_rank_jobs_by_bytes_over_the_range() -> anyhow::Result<()> {
    let env = TestEnv::start("monitoring_jobs").await?;
    let c = cluster(&env).await?;
    let t0 = start()?;
    let t = iso(t0);
    // Collections every 10 s. On OST0 job a reads 100 B/s three times, job
    // b writes 1000 B/s once; on OST1 job a writes 50 B/s over 10 s, then
    // over the 2 s to a round a journal line started early.
    exec(
        &env,
        &format!(
            "INSERT INTO metric_job (target_id, at, job, read_bytes, write_bytes, ops, seconds)
             SELECT '{ost0}', '{t}'::timestamptz + k * interval '10 s', 'a', 100, 0, 1, 10 FROM generate_series(0, 2) k;
             INSERT INTO metric_job (target_id, at, job, read_bytes, write_bytes, ops, seconds)
             VALUES ('{ost0}', '{t}'::timestamptz + interval '10 s', 'b', 0, 1000, 2, 10);
             INSERT INTO metric_job (target_id, at, job, read_bytes, write_bytes, ops, seconds)
             VALUES ('{ost1}', '{t}'::timestamptz, 'a', 0, 50, 1, 10),
                    ('{ost1}', '{t}'::timestamptz + interval '2 s', 'a', 0, 50, 1, 2);",
            ost0 = c.ost0,
            ost1 = c.ost1,
        ),
    )
    .await?;
    let range = format!("begin={t}&end={}", iso(t0 + TimeDelta::minutes(1)));
    let answer = ok(&env, &format!("/api/filesystem/{}/job_stats?{range}", c.fs)).await?;
    let jobs = &answer["jobs"];
    assert_eq!(jobs[0]["job"], "b", "{answer}");
    assert_eq!(
        (jobs[0]["write_bytes"].as_f64(), jobs[0]["bytes"].as_f64()),
        (Some(10_000.0), Some(10_000.0))
    );
    assert_eq!(jobs[0]["ops"].as_f64(), Some(20.0));
    assert_eq!(jobs[1]["job"], "a");
    assert_eq!(
        (
            jobs[1]["read_bytes"].as_f64(),
            jobs[1]["write_bytes"].as_f64(),
            jobs[1]["bytes"].as_f64()
        ),
        (Some(3000.0), Some(600.0), Some(3600.0))
    );
    let answer = ok(&env, &format!("/api/filesystem/{}/job_stats?{range}&limit=1", c.fs)).await?;
    assert_eq!(answer["jobs"].as_array().map(Vec::len), Some(1));
    for path in [
        format!("/api/filesystem/{}/job_stats?{range}&target_id={}", c.fs, c.ost1),
        format!("/api/target/{}/job_stats?{range}", c.ost1),
    ] {
        let answer = ok(&env, &path).await?;
        assert_eq!(answer["jobs"].as_array().map(Vec::len), Some(1), "{path}: {answer}");
        assert_eq!(answer["jobs"][0]["job"], "a");
        assert_eq!(answer["jobs"][0]["write_bytes"].as_f64(), Some(600.0));
    }
    // A range before the samples holds no job.
    let before = format!("begin={}&end={t}", iso(t0 - TimeDelta::hours(1)));
    let answer = ok(&env, &format!("/api/target/{}/job_stats?{before}", c.ost0)).await?;
    assert_eq!(answer["jobs"], json!([]));
    let (status, _) = env
        .get(&format!("/api/filesystem/{}/job_stats", Uuid::now_v7()))
        .await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, envelope) = env.get(&format!("/api/target/{}/job_stats?limit=0", c.ost0)).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert_eq!(envelope["errors"][0]["field"], "limit");
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_filter_by_severity_text_host_and_time_and_follow_by_id() -> anyhow::Result<()> {
    let env = TestEnv::start("monitoring_logs").await?;
    let c = cluster(&env).await?;
    let t0 = start()?;
    let at = |s: i64| iso(t0 + TimeDelta::seconds(s));
    exec(
        &env,
        &format!(
            "INSERT INTO log_line (host_id, at, severity, source, message, cursor) VALUES
                 ('{oss}', '{a}', 'info', 'kernel', 'Lustre: fs1-OST0000: new connection', 'c1'),
                 ('{oss}', '{b}', 'error', 'kernel', 'LustreError: fs1-OST0000: I/O error', 'c2'),
                 ('{mds}', '{c}', 'warning', 'lustre', 'fs1-MDT0000: slow request, 50% done', 'c3'),
                 ('{mds}', '{d}', 'crit', 'corosync', 'Quorum lost', 'c4'),
                 ('{oss}', '{e}', 'debug', 'sshd', 'session opened', 'c5');",
            oss = c.oss,
            mds = c.mds,
            a = at(0),
            b = at(10),
            c = at(20),
            d = at(30),
            e = at(40),
        ),
    )
    .await?;
    let messages = |page: &Value| -> Vec<String> {
        page["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l["message"].as_str().map(str::to_owned))
            .collect()
    };
    // Newest first, with the server's name.
    let page = ok(&env, "/api/log").await?;
    assert_eq!(page["meta"]["total_count"], 5);
    assert_eq!(page["objects"][0]["message"], "session opened");
    assert_eq!(page["objects"][0]["nodename"], "oss1");
    assert_eq!(page["objects"][0]["host_id"], c.oss.to_string());
    // A level and everything more severe.
    let page = ok(&env, "/api/log?severity=warning").await?;
    assert_eq!(
        messages(&page),
        [
            "Quorum lost",
            "fs1-MDT0000: slow request, 50% done",
            "LustreError: fs1-OST0000: I/O error"
        ]
    );
    let page = ok(&env, "/api/log?severity=emerg").await?;
    assert_eq!(page["meta"]["total_count"], 0);
    // Text in any case; `%` is a character, not a wildcard.
    let page = ok(&env, "/api/log?q=lustreerror").await?;
    assert_eq!(messages(&page), ["LustreError: fs1-OST0000: I/O error"]);
    let page = ok(&env, "/api/log?q=50%25").await?;
    assert_eq!(page["meta"]["total_count"], 1);
    let page = ok(&env, "/api/log?q=5%25d").await?;
    assert_eq!(page["meta"]["total_count"], 0);
    // Server, source, time.
    let page = ok(&env, &format!("/api/log?host_id={}", c.mds)).await?;
    assert_eq!(page["meta"]["total_count"], 2);
    assert!(page["objects"][0]["nodename"] == "mds1");
    let page = ok(&env, "/api/log?source=kernel&order_by=at").await?;
    assert_eq!(
        messages(&page),
        [
            "Lustre: fs1-OST0000: new connection",
            "LustreError: fs1-OST0000: I/O error"
        ]
    );
    let page = ok(&env, &format!("/api/log?since={}&until={}", at(10), at(30))).await?;
    assert_eq!(page["meta"]["total_count"], 3);
    // Following: lines after one seen, oldest first, and nothing after the last.
    let all = ok(&env, "/api/log?order_by=id").await?;
    let ids: Vec<i64> = all["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["id"].as_i64())
        .collect();
    assert_eq!(ids.len(), 5);
    let page = ok(&env, &format!("/api/log?after_id={}&limit=2", ids[1])).await?;
    let after: Vec<i64> = page["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["id"].as_i64())
        .collect();
    assert_eq!(after, ids[2..4]);
    assert_eq!(page["meta"]["total_count"], 3);
    let page = ok(&env, &format!("/api/log?after_id={}", ids[4])).await?;
    assert_eq!(page["objects"], json!([]));
    for (query, field) in [
        ("severity=loud", "severity"),
        ("host_id=oss1", "host_id"),
        ("after_id=-1", "after_id"),
        ("order_by=message", "order_by"),
    ] {
        let (status, envelope) = env.get(&format!("/api/log?{query}")).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {envelope}");
        assert_eq!(envelope["errors"][0]["field"], field, "{query}: {envelope}");
    }
    env.stop().await
}

/// A user with `role`, logged in; their token.
async fn user(env: &TestEnv, name: &str, role: &str) -> anyhow::Result<String> {
    let body = json!({"username": name, "password": "a long password", "role": role});
    let (status, envelope) = env.post("/api/user", &body).await?;
    anyhow::ensure!(status == StatusCode::CREATED, "{envelope}");
    login(&env.base, name, "a long password").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_are_acknowledged_one_by_one_or_in_bulk() -> anyhow::Result<()> {
    let env = TestEnv::start("monitoring_alerts").await?;
    let reader = user(&env, "reader", "readonly").await?;
    let operator = user(&env, "operator", "fsadmin").await?;
    let [offline, failed, cleared, full, failed2] = [(); 5].map(|_| Uuid::now_v7());
    let t0 = start()?;
    exec(
        &env,
        &format!(
            "INSERT INTO alert (id, kind, severity, item, message, details, raised_at, cleared_at) VALUES
                 ('{offline}', 'target_offline', 'error', 'target/T1', 'fs1-OST0000 is OFFLINE', '{{\"host\": \"oss1\"}}', '{a}', NULL),
                 ('{failed}', 'job_failed', 'error', 'job/J1', 'job failed: format fs1-OST0001', '{{}}', '{b}', NULL),
                 ('{cleared}', 'host_offline', 'warning', 'host/H1', 'oss2 is offline', '{{}}', '{c}', '{d}');",
            a = iso(t0),
            b = iso(t0 + TimeDelta::minutes(1)),
            c = iso(t0 + TimeDelta::minutes(2)),
            d = iso(t0 + TimeDelta::minutes(3)),
        ),
    )
    .await?;
    // One alert, with its details.
    let alert = ok(&env, &format!("/api/alert/{offline}")).await?;
    assert_eq!(alert["details"]["host"], "oss1");
    assert_eq!(alert["acknowledged_at"], Value::Null);
    let (status, _) = env.get(&format!("/api/alert/{}", Uuid::now_v7())).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A reader may not acknowledge; an operator may, once.
    let path = format!("/api/alert/{offline}/acknowledge");
    let (status, envelope) = env.call(Method::POST, &path, Some(&reader), None).await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "{envelope}");
    let (status, envelope) = env.call(Method::POST, &path, Some(&operator), None).await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    let first = envelope["response"].clone();
    assert_eq!(first["acknowledged_by"], "operator");
    assert!(first["acknowledged_at"].is_string());
    // Its condition has not ended: it stays active.
    assert_eq!(first["cleared_at"], Value::Null);
    let (status, envelope) = env.post(&path, &json!({})).await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    assert_eq!(envelope["response"], first, "a second acknowledgement changed it");
    // A failed job's alert ends when acknowledged.
    let (status, envelope) = env
        .post(&format!("/api/alert/{failed}/acknowledge"), &json!({}))
        .await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    assert_eq!(envelope["response"]["acknowledged_by"], "admin");
    assert!(envelope["response"]["cleared_at"].is_string(), "{envelope}");
    let (status, _) = env
        .post(&format!("/api/alert/{}/acknowledge", Uuid::now_v7()), &json!({}))
        .await?;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Filters.
    let ids = |page: &Value| -> Vec<String> {
        page["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["id"].as_str().map(str::to_owned))
            .collect()
    };
    let page = ok(&env, "/api/alert?acknowledged=true").await?;
    assert_eq!(ids(&page), [failed.to_string(), offline.to_string()]);
    let page = ok(&env, "/api/alert?acknowledged=false").await?;
    assert_eq!(ids(&page), [cleared.to_string()]);
    let page = ok(&env, "/api/alert?q=offline").await?;
    assert_eq!(ids(&page), [cleared.to_string(), offline.to_string()]);
    let page = ok(&env, "/api/alert?active=true").await?;
    assert_eq!(ids(&page), [offline.to_string()]);
    let page = ok(&env, "/api/alert?active=false").await?;
    assert_eq!(
        ids(&page),
        [cleared.to_string(), failed.to_string()],
        "past alerts are the cleared ones"
    );
    let page = ok(
        &env,
        &format!(
            "/api/alert?since={}&until={}",
            iso(t0 + TimeDelta::minutes(1)),
            iso(t0 + TimeDelta::minutes(1))
        ),
    )
    .await?;
    assert_eq!(ids(&page), [failed.to_string()]);
    let page = ok(&env, "/api/alert?item=job/J1").await?;
    assert_eq!(ids(&page), [failed.to_string()]);
    let page = ok(&env, "/api/alert?item=job/J").await?;
    assert_eq!(page["meta"]["total_count"], 0);

    // In bulk: an unknown id refuses the lot.
    let (status, envelope) = env
        .post("/api/alert/acknowledge", &json!({"ids": [cleared, Uuid::nil()]}))
        .await?;
    assert_eq!(status, StatusCode::NOT_FOUND, "{envelope}");
    assert_eq!(
        ok(&env, &format!("/api/alert/{cleared}")).await?["acknowledged_at"],
        Value::Null
    );
    let (status, envelope) = env
        .post("/api/alert/acknowledge", &json!({"ids": [cleared, offline]}))
        .await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    assert_eq!(envelope["response"]["acknowledged"], json!([cleared]));
    // Every active alert.
    exec(
        &env,
        &format!(
            "INSERT INTO alert (id, kind, severity, item, message) VALUES
                 ('{full}', 'target_full', 'warning', 'target/T2', 'fs1-OST0001 is 95% full'),
                 ('{failed2}', 'job_failed', 'error', 'job/J2', 'job failed: mount');"
        ),
    )
    .await?;
    let (status, envelope) = env.post("/api/alert/acknowledge", &json!({"all_active": true})).await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    let mut acknowledged: Vec<String> = envelope["response"]["acknowledged"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    acknowledged.sort();
    let mut expected = vec![full.to_string(), failed2.to_string()];
    expected.sort();
    assert_eq!(acknowledged, expected);
    let page = ok(&env, "/api/alert?active=true").await?;
    assert_eq!(ids(&page), [full.to_string(), offline.to_string()]);
    for body in [
        json!({}),
        json!({"ids": []}),
        json!({"all_active": false}),
        json!({"ids": [full], "all_active": true}),
        json!({"ids": [full], "colour": "red"}),
    ] {
        let (status, envelope) = env.post("/api/alert/acknowledge", &body).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {envelope}");
    }
    let (status, _) = env
        .call(
            Method::POST,
            "/api/alert/acknowledge",
            Some(&reader),
            Some(&json!({"all_active": true})),
        )
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The audit trail has each acknowledgement, found by its text.
    let page = ok(&env, &format!("/api/event?kind=api_change&q={offline}/ACKNOWLEDGE")).await?;
    assert_eq!(page["meta"]["total_count"], 2, "{page}");
    assert_eq!(page["objects"][0]["username"], "admin");
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_filter_by_item_text_and_time() -> anyhow::Result<()> {
    let env = TestEnv::start("monitoring_events").await?;
    let target = Uuid::now_v7();
    let t0 = start()?;
    exec(
        &env,
        &format!(
            "INSERT INTO event (id, at, kind, item, message) VALUES
                 ('{a}', '{t1}', 'state_changed', 'target/{target}', 'target fs1-OST0000: unmounted → mounted'),
                 ('{b}', '{t2}', 'state_changed', 'target/{target}', 'target fs1-OST0000: mounted → unmounted'),
                 ('{c}', '{t3}', 'state_changed', 'target/{target}0', 'target fs1-OST0001: mounted → unmounted'),
                 ('{d}', '{t4}', 'command_failed', 'command/C1', 'Set fs1-OST0000 mounted: failed');",
            a = Uuid::now_v7(),
            b = Uuid::now_v7(),
            c = Uuid::now_v7(),
            d = Uuid::now_v7(),
            t1 = iso(t0),
            t2 = iso(t0 + TimeDelta::minutes(1)),
            t3 = iso(t0 + TimeDelta::minutes(2)),
            t4 = iso(t0 + TimeDelta::minutes(3)),
        ),
    )
    .await?;
    let messages = |page: &Value| -> Vec<String> {
        page["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["message"].as_str().map(str::to_owned))
            .collect()
    };
    let page = ok(&env, &format!("/api/event?item=target/{target}")).await?;
    assert_eq!(
        messages(&page),
        [
            "target fs1-OST0000: mounted → unmounted",
            "target fs1-OST0000: unmounted → mounted"
        ]
    );
    let page = ok(&env, "/api/event?q=ost0000").await?;
    assert_eq!(page["meta"]["total_count"], 3);
    let page = ok(&env, "/api/event?q=ost0000&kind=command_failed").await?;
    assert_eq!(messages(&page), ["Set fs1-OST0000 mounted: failed"]);
    let page = ok(&env, "/api/event?q=_").await?;
    assert_eq!(page["meta"]["total_count"], 0, "{page}");
    let page = ok(
        &env,
        &format!(
            "/api/event?kind=state_changed&since={}&until={}",
            iso(t0 + TimeDelta::minutes(1)),
            iso(t0 + TimeDelta::minutes(2))
        ),
    )
    .await?;
    assert_eq!(page["meta"]["total_count"], 2);
    let (status, envelope) = env.get("/api/event?until=soon").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    env.stop().await
}
