//! `chroma-data-bench`: the data of a 2,000-OST site (issue 19) and how
//! fast the API's queries answer over it. Seeds a fresh PostgreSQL
//! database directly with SQL: `--oss` object storage servers of
//! `--osts-per-oss` OSTs each plus `--mds` metadata servers, a volume per
//! target seen by two servers, `--alerts` alerts (a few hundred active),
//! `--minutes` of 10 s statistics rounds for every OST and the file system
//! (rolled up into minutes as the monitor does) and `--log-lines` server
//! log lines (statistics last, so that the last rounds are minutes old
//! when the queries run). Then runs each query `--runs` times with the store functions
//! the API's routes call (and, for the lists loaded whole, the API's own
//! ordering and paging), and prints p50 / p95 beside the target: lists
//! 100 ms, charts and the heat map 300 ms. Also prints the plan of a log
//! search, and how long expiring a day of raw samples (a partition drop)
//! takes. Figures are printed, not asserted.

mod scratch;

use anyhow::Context as _;
use chrono::{Days, Utc};
use clap::Parser;
use sea_orm::DatabaseConnection;
use std::future::Future;
use std::time::{Duration, Instant};
use store::metric_query::{self, Objects, SeriesRequest, Window};
use store::metrics::ObjectKind;
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(
    name = "chroma-data-bench",
    about = "Benchmark the API's queries over a 2,000-OST site's data"
)]
struct Args {
    /// Object storage servers.
    #[arg(long, default_value_t = 100)]
    oss: usize,
    /// OSTs on each.
    #[arg(long, default_value_t = 20)]
    osts_per_oss: usize,
    /// Metadata servers (one MDT each; the first also has the MGT).
    #[arg(long, default_value_t = 4)]
    mds: usize,
    /// Minutes of 10 s statistics rounds to seed.
    #[arg(long, default_value_t = 120)]
    minutes: u32,
    /// Server log lines to seed.
    #[arg(long, default_value_t = 3_000_000)]
    log_lines: u64,
    /// Alerts to seed (one in 40 active).
    #[arg(long, default_value_t = 20_000)]
    alerts: u64,
    /// Times each query runs.
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Keep the bench database.
    #[arg(long)]
    keep: bool,
    /// Run only these groups of queries (repeat or comma-separate); all
    /// of them by default.
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Group>,
}

/// A group of queries that `--only` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Group {
    /// The target, volume and alert lists.
    Lists,
    /// The dashboard charts, the heat map and the OST balance.
    Charts,
    /// The log pages and searches.
    Logs,
    /// Expiring a day of raw samples.
    Expiry,
}

impl Args {
    /// Whether `--only` selects `group`.
    fn runs_group(&self, group: Group) -> bool {
        self.only.is_empty() || self.only.contains(&group)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.oss > 0 && args.osts_per_oss > 0 && args.mds > 0 && args.runs > 0,
        "need servers, OSTs and runs"
    );
    let scratch = scratch::Scratch::create("chroma_bench_data").await?;
    let db = store::connect(&scratch.settings).await?;
    let result = run(&args, &db).await;
    db.close().await?;
    if args.keep {
        println!("kept database {}", scratch.name);
    } else {
        scratch.drop().await?;
    }
    result
}

async fn run(args: &Args, db: &DatabaseConnection) -> anyhow::Result<()> {
    let fs_id = seed::site(db, args).await?;
    println!();
    println!(
        "{:<44} {:>5} {:>9} {:>9} {:>9}  target",
        "query", "runs", "p50 ms", "p95 ms", "max ms"
    );
    if args.runs_group(Group::Lists) {
        lists(db, args.runs).await?;
    }
    if args.runs_group(Group::Charts) {
        charts(db, fs_id, args.runs).await?;
    }
    if args.runs_group(Group::Logs) {
        logs(db, args.runs).await?;
    }
    if args.runs_group(Group::Expiry) {
        expiry(db).await?;
    }
    Ok(())
}

/// Times `work` `runs` times and prints its figures beside `target_ms`.
async fn time<F, Fut, T>(name: &str, runs: usize, target_ms: f64, mut work: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        last = Some(work().await?);
        times.push(started.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let verdict = if ms(at(0.95)) <= target_ms { "met" } else { "MISSED" };
    println!(
        "{name:<44} {:>5} {:>9.1} {:>9.1} {:>9.1}  {target_ms:.0} ms ({verdict})",
        times.len(),
        ms(at(0.5)),
        ms(at(0.95)),
        ms(at(1.0))
    );
    last.context("no run")
}

/// An API list answered from a whole list: ordered and paged as the API does.
fn api_page<T: serde::Serialize>(objects: Vec<T>, order_by: &str, sortable: &[&str]) -> anyhow::Result<usize> {
    let response = api::routes::listing::page(
        objects,
        api::routes::query::Paging {
            limit: Some(50),
            offset: Some(0),
        },
        Some(order_by),
        sortable,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(usize::from(response.status().as_u16()))
}

async fn lists(db: &DatabaseConnection, runs: usize) -> anyhow::Result<()> {
    time("GET /api/target (all, by name, page 1)", runs, 100.0, || async {
        let targets = store::targets::views(
            db,
            store::targets::TargetSelection::Matching {
                filesystem_id: None,
                kind: None,
                state: None,
                host_id: None,
            },
        )
        .await?;
        api_page(targets, "name", &["name"])
    })
    .await?;
    time("GET /api/target?kind=ost&host_id=…", runs, 100.0, || async {
        let host = store::sql::query(db, "SELECT id FROM host WHERE nodename = 'oss050'", []).await?;
        let host: Option<Uuid> = host.first().map(|r| r.try_get("", "id")).transpose()?;
        let targets = store::targets::views(
            db,
            store::targets::TargetSelection::Matching {
                filesystem_id: None,
                kind: Some("ost".into()),
                state: None,
                host_id: host,
            },
        )
        .await?;
        api_page(targets, "name", &["name"])
    })
    .await?;
    time("GET /api/volume (all, page 1)", runs, 100.0, || async {
        let volumes = store::volumes::views(db).await?;
        api_page(volumes, "serial", &["serial"])
    })
    .await?;
    time("GET /api/alert (newest, page 1)", runs, 100.0, || async {
        Ok(store::alerts::list(db, &Default::default(), Default::default(), 50, 0).await?)
    })
    .await?;
    time("GET /api/alert?active=true (page 1)", runs, 100.0, || async {
        let filter = store::alerts::ListFilter {
            active: Some(true),
            ..Default::default()
        };
        Ok(store::alerts::list(db, &filter, Default::default(), 50, 0).await?)
    })
    .await?;
    time("GET /api/alert?q=OST01 (page 1)", runs, 100.0, || async {
        let filter = store::alerts::ListFilter {
            message_like: Some("%OST01%".into()),
            ..Default::default()
        };
        Ok(store::alerts::list(db, &filter, Default::default(), 50, 0).await?)
    })
    .await?;
    Ok(())
}

async fn charts(db: &DatabaseConnection, fs_id: Uuid, runs: usize) -> anyhow::Result<()> {
    let fs = |names: &[&str]| -> anyhow::Result<Vec<&'static metric_query::Metric>> {
        names
            .iter()
            .map(|n| metric_query::metric(ObjectKind::Filesystem, n).context("metric"))
            .collect()
    };
    let ost = |n: &str| metric_query::metric(ObjectKind::Target, n).context("metric");
    let chart = |name: &'static str, request: SeriesRequest<'static>| async move {
        time(name, runs, 300.0, || {
            let request = request.clone();
            async move {
                let request = metric_query::fit(db, request).await?;
                let series = metric_query::series(db, &request).await?.unwrap_or_default();
                anyhow::ensure!(!series.is_empty(), "{name}: no series");
                Ok(series.len())
            }
        })
        .await
    };
    let now = Utc::now();
    let hour = Window::plan(now - chrono::Duration::hours(1), now, 300, now);
    let bandwidth = chart(
        "dashboard bandwidth + space, fs, 1 h",
        SeriesRequest {
            kind: ObjectKind::Filesystem,
            objects: Objects::One(fs_id),
            metrics: fs(&["read_bytes", "write_bytes", "space_used", "space_total"])?,
            window: hour,
            reduce: None,
        },
    )
    .await?;
    let ops = chart(
        "dashboard metadata ops, fs, 1 h",
        SeriesRequest {
            kind: ObjectKind::Filesystem,
            objects: Objects::One(fs_id),
            metrics: fs(&[
                "md_ops_open",
                "md_ops_close",
                "md_ops_getattr",
                "md_ops_setattr",
                "md_ops_mknod",
            ])?,
            window: hour,
            reduce: None,
        },
    )
    .await?;
    let heat = chart(
        "heat map, every OST, 1 h, 60 columns",
        SeriesRequest {
            kind: ObjectKind::Target,
            objects: Objects::All {
                filesystem_id: Some(fs_id),
                target_kind: Some("ost"),
            },
            metrics: vec![ost("write_bytes")?],
            window: Window::plan(now - chrono::Duration::hours(1), now, 60, now),
            reduce: None,
        },
    )
    .await?;
    let balance = chart(
        "OST balance, every OST, last 5 min",
        SeriesRequest {
            kind: ObjectKind::Target,
            objects: Objects::All {
                filesystem_id: Some(fs_id),
                target_kind: Some("ost"),
            },
            metrics: vec![ost("space_used")?, ost("space_total")?],
            window: Window::plan(now - chrono::Duration::minutes(5), now, 1, now),
            reduce: None,
        },
    )
    .await?;
    println!("  (series: bandwidth {bandwidth}, md ops {ops}, heat map rows {heat}, balance {balance})");
    Ok(())
}

async fn logs(db: &DatabaseConnection, runs: usize) -> anyhow::Result<()> {
    use store::logs::{ListFilter, ListOrder};
    let every = ListFilter {
        severities: ["emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"]
            .map(String::from)
            .to_vec(),
        ..Default::default()
    };
    let page = |filter: ListFilter, offset: i64| async move {
        let listed = store::logs::list(db, &filter, ListOrder::Newest, 100, offset).await?;
        Ok((listed.lines.len(), listed.counted, listed.capped))
    };
    let first = time("GET /api/log (first page of 100)", runs, 100.0, || {
        page(every.clone(), 0)
    })
    .await?;
    println!(
        "  (page: {} lines, total_count {} capped {})",
        first.0, first.1, first.2
    );
    time("GET /api/log?offset=5000", runs, 100.0, || page(every.clone(), 5000)).await?;
    let errors = ListFilter {
        severities: ["emerg", "alert", "crit", "error"].map(String::from).to_vec(),
        ..Default::default()
    };
    time("GET /api/log?severity=error", runs, 100.0, || page(errors.clone(), 0)).await?;
    let searches = [("rare", "%10.0.7.77@o2ib%"), ("common", "%evicting%")];
    for (kind, pattern) in searches {
        let filter = ListFilter {
            message_like: Some(pattern.into()),
            ..every.clone()
        };
        let found = time(
            &format!("GET /api/log?q= ({kind}: {})", pattern.trim_matches('%')),
            runs,
            100.0,
            || page(filter.clone(), 0),
        )
        .await?;
        println!(
            "  (page: {} lines, total_count {} capped {})",
            found.0, found.1, found.2
        );
    }
    let plan = store::sql::query(
        db,
        "EXPLAIN SELECT l.id FROM log_line l JOIN host h ON h.id = l.host_id
          WHERE l.severity = ANY('{emerg,alert,crit,error,warning,notice,info,debug}') AND l.message ILIKE '%10.0.7.77@o2ib%'
          ORDER BY l.at DESC, l.id DESC LIMIT 101",
        [],
    )
    .await?;
    println!("  plan of the rare search:");
    for row in plan {
        let line: String = row.try_get("", "QUERY PLAN")?;
        println!("    {line}");
    }
    Ok(())
}

/// Expiry: a day of raw samples, three days old, goes as one partition.
async fn expiry(db: &DatabaseConnection) -> anyhow::Result<()> {
    let old_day = Utc::now().date_naive() - Days::new(3);
    store::metric_partitions::create_day(db, old_day).await?;
    let copied = store::sql::execute(
        db,
        "INSERT INTO metric_raw (series_id, at, value)
         SELECT series_id, at - interval '3 days', value FROM metric_raw
         WHERE at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'",
        [],
    )
    .await?;
    store::sql::execute(
        db,
        &format!("ANALYZE {}", store::metric_partitions::partition_name(old_day)),
        [],
    )
    .await?;
    let started = Instant::now();
    let expired = store::metrics::expire(db).await?;
    println!(
        "{:<44} {:>5} {:>9.1}  ({copied} raw samples of {old_day} in one partition; expire() counted {expired} rows)",
        "expire: drop a day of raw samples",
        1,
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}

mod seed {
    //! The site, written with set-based SQL.

    use super::Args;
    use sea_orm::{ConnectionTrait, DatabaseConnection};
    use std::time::Instant;
    use uuid::Uuid;

    async fn step(db: &DatabaseConnection, what: &str, sql: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        db.execute_unprepared(sql).await?;
        println!("seeded {what} in {:.1} s", started.elapsed().as_secs_f64());
        Ok(())
    }

    /// Seeds the site; the file system's id.
    pub async fn site(db: &DatabaseConnection, args: &Args) -> anyhow::Result<Uuid> {
        let fs_id = Uuid::new_v4();
        let (oss, per, mds) = (args.oss, args.osts_per_oss, args.mds);
        let osts = oss * per;
        println!(
            "site: {} servers ({oss} OSS, {mds} MDS), {osts} OSTs, {mds} MDTs, 1 MGT",
            oss + mds
        );
        step(
            db,
            "servers, volumes and targets",
            &format!(
                "INSERT INTO host (id, address, port, nodename, state)
                     SELECT gen_random_uuid(), 'oss' || lpad(n::text, 3, '0'), 22, 'oss' || lpad(n::text, 3, '0'), 'managed'
                     FROM generate_series(1, {oss}) n
                     UNION ALL
                     SELECT gen_random_uuid(), 'mds' || n, 22, 'mds' || n, 'managed' FROM generate_series(1, {mds}) n;
                 -- Volumes: one per OST, MDT and the MGT, each seen by a pair of servers.
                 CREATE TEMP TABLE plan AS
                     SELECT gen_random_uuid() AS volume_id, gen_random_uuid() AS target_id, 'ost' AS kind, n - 1 AS idx,
                            'oss' || lpad((((n - 1) / {per}) + 1)::text, 3, '0') AS primary_name,
                            'oss' || lpad(((((n - 1) / {per}) # 1) + 1)::text, 3, '0') AS failover_name
                     FROM generate_series(1, {osts}) n
                     UNION ALL
                     SELECT gen_random_uuid(), gen_random_uuid(), 'mdt', n - 1, 'mds' || n, 'mds' || (((n - 1) # 1) + 1)
                     FROM generate_series(1, {mds}) n
                     UNION ALL
                     SELECT gen_random_uuid(), gen_random_uuid(), 'mgt', NULL, 'mds1', 'mds2';
                 UPDATE plan SET failover_name = primary_name
                  WHERE failover_name NOT IN (SELECT nodename FROM host);
                 INSERT INTO volume (id, serial, size_bytes)
                     SELECT volume_id, 'SERIAL-' || kind || '-' || COALESCE(idx::text, 'mgs'), 16 * 1024::bigint ^ 4 FROM plan;
                 INSERT INTO volume_node (volume_id, host_id, path)
                     SELECT p.volume_id, h.id, '/dev/disk/by-id/scsi-' || p.kind || COALESCE(p.idx::text, 'mgs')
                     FROM plan p JOIN host h ON h.nodename IN (p.primary_name, p.failover_name);
                 INSERT INTO target (id, kind, name, volume_id, primary_host_id, active_host_id, state)
                     SELECT p.target_id, 'mgt', 'MGS', p.volume_id, h.id, h.id, 'mounted'
                     FROM plan p JOIN host h ON h.nodename = p.primary_name WHERE p.kind = 'mgt';
                 INSERT INTO filesystem (id, name, mgs_id)
                     SELECT '{fs_id}', 'big', target_id FROM plan WHERE kind = 'mgt';
                 INSERT INTO target (id, kind, name, filesystem_id, target_index, volume_id, primary_host_id,
                                     failover_host_ids, active_host_id, state)
                     SELECT p.target_id, p.kind, 'big-' || upper(p.kind) || lpad(to_hex(p.idx), 4, '0'), '{fs_id}', p.idx,
                            p.volume_id, h.id, ARRAY[f.id], h.id, 'mounted'
                     FROM plan p JOIN host h ON h.nodename = p.primary_name JOIN host f ON f.nodename = p.failover_name
                     WHERE p.kind <> 'mgt';"
            ),
        )
        .await?;
        let alerts = args.alerts;
        step(
            db,
            &format!("{alerts} alerts"),
            &format!(
                "INSERT INTO alert (id, kind, severity, item, message, raised_at, cleared_at)
                 SELECT gen_random_uuid(), 'target_offline',
                        (ARRAY['info', 'warning', 'error'])[1 + n % 3],
                        'target/' || t.id, t.name || ' is offline',
                        now() - n * interval '1 minute',
                        CASE WHEN n % 40 = 0 THEN NULL ELSE now() - n * interval '1 minute' + interval '30 s' END
                 FROM generate_series(1, {alerts}) n
                 JOIN LATERAL (SELECT id, name FROM target WHERE kind = 'ost' AND target_index = n % {osts}) t ON true
                 ON CONFLICT DO NOTHING"
            ),
        )
        .await?;
        let lines = args.log_lines;
        let batch = 500_000u64;
        let started = Instant::now();
        let mut done = 0;
        while done < lines {
            let upto = (done + batch).min(lines);
            db.execute_unprepared(&format!(
                "INSERT INTO log_line (host_id, at, severity, source, message, cursor)
                 SELECT hosts.ids[1 + n % array_length(hosts.ids, 1)], now() - n * interval '1 s',
                        (ARRAY['info', 'info', 'notice', 'warning', 'error', 'info', 'debug', 'info'])[1 + n % 8],
                        (ARRAY['kernel', 'lustre', 'pacemaker-controld', 'sshd'])[1 + n % 4],
                        CASE n % 8
                          WHEN 0 THEN 'LustreError: ' || n || ':0:(ldlm_lockd.c:261:expired_lock_main()) ### lock callback timer expired after '
                                      || (n % 300) || 's: evicting client at 10.0.' || (n % 13) || '.' || (n % 251) || '@o2ib'
                          WHEN 1 THEN 'Lustre: big-OST' || lpad(to_hex(n % 2000), 4, '0') || ': Client ' || md5(n::text)
                                      || ' (at 10.0.' || (n % 17) || '.' || (n % 241) || '@o2ib) reconnecting'
                          WHEN 2 THEN 'Accepted publickey for root from 10.1.' || (n % 200) || '.' || (n % 250) || ' port ' || (n % 60000)
                          WHEN 3 THEN 'Lustre: ' || n || ':0:(client.c:2310:ptlrpc_expire_one_request()) @@@ Request sent has timed out for slow reply'
                          WHEN 4 THEN 'LNetError: ' || n || ':0:(o2iblnd_cb.c:3364:kiblnd_check_txs_locked()) Timed out tx: tx_queue, '
                                      || (n % 97) || ' seconds'
                          WHEN 5 THEN 'pacemaker-controld[' || (n % 9999) || ']: notice: Result of monitor operation for big-OST'
                                      || lpad(to_hex(n % 2000), 4, '0') || ' on oss' || lpad((n % 100)::text, 3, '0') || ': ok'
                          WHEN 6 THEN 'Lustre: big-MDT0000: haven''t heard from client ' || md5(n::text) || ' in ' || (n % 230) || ' seconds'
                          ELSE 'Lustre: big-OST' || lpad(to_hex(n % 2000), 4, '0') || ': deleting orphan objects from 0x0:' || n
                        END,
                        's=' || n
                 FROM generate_series({} + 1, {upto}) n,
                      (SELECT array_agg(id ORDER BY nodename) AS ids FROM host) hosts",
                done
            ))
            .await?;
            done = upto;
            println!(
                "  log lines: {done} of {lines} ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
        let rounds = args.minutes * 6;
        let fs_metrics: Vec<String> = store::metric_query::metrics(store::metrics::ObjectKind::Filesystem)
            .iter()
            .map(|m| format!("'{}'", m.name))
            .collect();
        step(
            db,
            &format!("{rounds} statistics rounds (10 s) of every OST and the file system"),
            &format!(
                "INSERT INTO metric_series (object_kind, object_id, name)
                     SELECT 'target', t.id, m FROM target t,
                            unnest(ARRAY['read_bytes', 'write_bytes', 'space_used', 'space_total']) m
                     WHERE t.kind = 'ost'
                     UNION ALL
                     SELECT 'filesystem', '{fs_id}', m FROM unnest(ARRAY[{}]) m;
                 INSERT INTO metric_raw (series_id, at, value)
                     SELECT s.id, date_trunc('second', now()) - r * interval '10 s', random() * 1e9
                     FROM metric_series s, generate_series(0, {rounds} - 1) r;
                 ANALYZE metric_raw; ANALYZE metric_series;",
                fs_metrics.join(", ")
            ),
        )
        .await?;
        let started = Instant::now();
        let (minutes, hours) = store::metrics::roll_up(db, std::time::Duration::from_secs(25)).await?;
        println!(
            "rolled up {minutes} minutes and {hours} hours in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        // One statement each: VACUUM cannot run in the implicit
        // transaction of several. The minutes are vacuumed as autovacuum
        // does after every 20,000 new rows (migration 45): all visible, so
        // charts read them from the key alone.
        for statement in [
            "VACUUM ANALYZE log_line",
            "VACUUM ANALYZE alert",
            "VACUUM metric_minute",
            "ANALYZE",
        ] {
            db.execute_unprepared(statement).await?;
        }
        Ok(fs_id)
    }
}
