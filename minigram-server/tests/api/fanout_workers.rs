//! `minigram-server worker`: separate processes applying a PostgreSQL
//! deployment's fan-out queue.
//!
//! - Killed mid-job 20 times (SIGKILL, while photos are posted and deleted
//!   at full speed): after the queue drains, every follower's timeline
//!   holds every surviving photo above its exact boundary exactly once and
//!   no deleted one, its entry count is true, and home feeds equal pull.
//!   Once with the timelines in PostgreSQL tables, once in Redis
//!   (`--timeline-redis-url`, a redis-server of the test's own).
//! - Two workers on one queue share it: each completes jobs, and together
//!   they complete each job once.
//!
//! The posting side is the library in this process (as a server would run
//! it with `--fanout-workers 0`), on a fresh database of the shared dev
//! cluster.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use minigram::auth::HasherConfig;
use minigram::feed::FeedStrategy;
use minigram::store::PostgresStore;
use minigram::{
    Caption, Email, Minigram, PageLimit, PageRequest, Password, PhotoId, UserId, Username,
};
use parking_lot::Mutex;
use tempfile::TempDir;

use crate::helpers::png;
use crate::pg_cluster;

const CAP: usize = 40;
const BATCH: usize = 10;
const LEASE_MS: u64 = 500;
const AUTHORS: usize = 4;
const FOLLOWERS: usize = 60;
const KILLS: usize = 20;

/// A worker process and what it printed.
struct Worker {
    child: Child,
    metrics_url: String,
    output: Arc<Mutex<Vec<String>>>,
}

impl Worker {
    /// Starts `minigram-server worker` on `database_url` with the test's
    /// feed settings, waiting until its metrics endpoint listens.
    async fn spawn(database_url: &str, timeline_redis: Option<&str>) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_minigram-server"));
        command.args(["worker", "--database-url", database_url, "--feed", "push"]);
        if let Some(url) = timeline_redis {
            command.args(["--timeline-redis-url", url]);
        }
        let mut child = command
            .args(["--timeline-cap", &CAP.to_string()])
            .args(["--fanout-batch", &BATCH.to_string()])
            .args(["--fanout-lease-ms", &LEASE_MS.to_string()])
            .args(["--fanout-workers", "2", "--metrics-port", "0"])
            .args(["--log", "info", "--log-format", "text"])
            .env_remove("MINIGRAM_STORE")
            .env_remove("MINIGRAM_FEED")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let output = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&output);
        let metrics_url = tokio::task::spawn_blocking(move || {
            let mut lines = BufReader::new(stdout).lines();
            let url = loop {
                let Some(Ok(line)) = lines.next() else {
                    panic!(
                        "minigram-server worker exited before listening; its output:\n{}",
                        seen.lock().join("\n")
                    );
                };
                let url = line
                    .split_once("worker metrics listening on ")
                    .map(|(_, rest)| rest.split_whitespace().next().unwrap().to_owned());
                seen.lock().push(line);
                if let Some(url) = url {
                    break url;
                }
            };
            // Keep reading, so the worker never blocks on a full pipe.
            std::thread::spawn(move || {
                for line in lines.map_while(Result::ok) {
                    seen.lock().push(line);
                }
            });
            url
        })
        .await
        .unwrap();
        Self {
            child,
            metrics_url,
            output,
        }
    }

    fn kill(&mut self) {
        // SIGKILL: no batch is finished, no lease released.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Jobs taken over from a dead worker, as logged.
    fn takeovers(&self) -> usize {
        self.output
            .lock()
            .iter()
            .filter(|line| line.contains("taking over a fan-out job"))
            .count()
    }

    /// `minigram_fanout_jobs_total{outcome="done"}` from its `/metrics`.
    async fn jobs_done(&self) -> u64 {
        let text = reqwest::get(format!("{}/metrics", self.metrics_url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|line| line.strip_prefix("minigram_fanout_jobs_total{outcome=\"done\"} "))
            .unwrap_or_else(|| panic!("no done-jobs counter in {text}"))
            .trim()
            .parse::<f64>()
            .unwrap() as u64
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The posting side: the library over a fresh database, without workers
/// of its own; `drain_fanout` applies what the workers left.
/// With `timeline_redis`, the timelines are in that Redis (under the
/// prefix the workers use).
async fn poster(timeline_redis: Option<&str>) -> (Minigram, String, TempDir) {
    let cluster = pg_cluster::shared().await;
    let database = cluster.fresh_database().await.unwrap();
    let url = cluster.cluster().primary_url(&database);
    let config = minigram::store::PostgresConfig {
        redis_timelines: timeline_redis
            .map(|redis| minigram::store::RedisTimelines::new(redis, "minigram:").unwrap()),
        ..minigram::store::PostgresConfig::default()
    };
    let store = PostgresStore::connect(&url, config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = Minigram::builder()
        .store(store)
        .media_dir(dir.path())
        .unwrap()
        .hasher(HasherConfig::insecure_fast_for_tests())
        .feed(FeedStrategy::Push)
        .timeline_cap(CAP)
        .fanout_batch(BATCH)
        .fanout_lease(Duration::from_millis(LEASE_MS))
        .fanout_workers(0)
        .build()
        .await
        .unwrap();
    (app, url, dir)
}

async fn user(app: &Minigram, name: &str) -> UserId {
    app.register(
        Username::parse(name).unwrap(),
        Email::parse(&format!("{name}@example.com")).unwrap(),
        Password::parse("password123").unwrap(),
    )
    .await
    .unwrap()
    .user
    .id
}

/// `AUTHORS` authors, each followed by the same `FOLLOWERS` users.
async fn follow_graph(app: &Minigram) -> (Vec<UserId>, Vec<UserId>) {
    let mut authors = Vec::new();
    for a in 0..AUTHORS {
        authors.push(user(app, &format!("author{a}")).await);
    }
    let mut followers = Vec::new();
    for f in 0..FOLLOWERS {
        let follower = user(app, &format!("follower{f}")).await;
        for author in &authors {
            app.follow(follower, *author).await.unwrap();
        }
        followers.push(follower);
    }
    (authors, followers)
}

/// Posts round-robin (about 30 a second, each fanned out to `FOLLOWERS`
/// in batches of `BATCH`: more than the workers keep up with, so they are
/// always mid-job when killed) and deletes every fifth photo's
/// predecessor until `stop`; returns the photos that survive.
async fn post_until(
    app: Arc<Minigram>,
    authors: Vec<UserId>,
    stop: Arc<AtomicBool>,
    posted: Arc<AtomicUsize>,
) -> Vec<PhotoId> {
    let mut alive: Vec<(PhotoId, UserId)> = Vec::new();
    let mut n = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let author = authors[n as usize % authors.len()];
        let photo = app
            .post_photo(author, Caption::parse("fan me out").unwrap(), png(n + 1, 1))
            .await
            .unwrap();
        alive.push((photo.id, author));
        posted.fetch_add(1, Ordering::Relaxed);
        if n % 5 == 4 {
            let (victim, by) = alive.remove(alive.len() - 2);
            app.delete_photo(by, victim).await.unwrap();
        }
        n += 1;
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    alive.into_iter().map(|(id, _)| id).collect()
}

/// Every follower's timeline holds exactly the surviving photos above its
/// exact boundary (each once), entry counts are true, and home feeds equal
/// the pull feed.
async fn assert_timelines_exact(
    app: &Minigram,
    url: &str,
    followers: &[UserId],
    alive: &[PhotoId],
    in_tables: bool,
) {
    let store = app.store();
    assert_eq!(store.fanout_queue_depth().await.unwrap(), 0);
    let mut newest_first: Vec<PhotoId> = alive.to_vec();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    let page = PageRequest {
        limit: PageLimit::clamped(CAP),
        cursor: None,
    };
    for follower in followers {
        let slice = store.timeline(*follower, page).await.unwrap().unwrap();
        let held: Vec<PhotoId> = slice.items.iter().map(|v| v.photo.id).collect();
        let expected: Vec<PhotoId> = newest_first
            .iter()
            .copied()
            .filter(|id| id.get() > slice.complete_above)
            .take(CAP)
            .collect();
        assert_eq!(held, expected, "timeline of follower {follower}");
    }
    for follower in followers.iter().take(5) {
        let home = app.home_feed(*follower, page).await.unwrap();
        let pull = store.followed_photos(*follower, page).await.unwrap();
        assert_eq!(home, pull, "home feed of follower {follower}");
    }
    if !in_tables {
        return;
    }
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let wrong: i64 = client
        .query_one(
            "SELECT count(*) FROM timeline_meta m WHERE m.entries <> \
             (SELECT count(*) FROM timelines t WHERE t.user_id = m.user_id)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(wrong, 0, "timelines whose entry count is wrong");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_worker_processes_lose_no_fan_out() {
    kill_workers_while_posting(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_worker_processes_lose_no_fan_out_with_redis_timelines() {
    let redis = minigram_devcluster::RedisServer::start_new()
        .await
        .unwrap_or_else(|e| panic!("this test needs Redis and it could not be started: {e}"));
    kill_workers_while_posting(Some(&redis.url())).await;
}

async fn kill_workers_while_posting(timeline_redis: Option<&str>) {
    let (app, url, _dir) = poster(timeline_redis).await;
    let (authors, followers) = follow_graph(&app).await;
    let app = Arc::new(app);
    let stop = Arc::new(AtomicBool::new(false));
    let posted = Arc::new(AtomicUsize::new(0));
    let posting = tokio::spawn(post_until(
        Arc::clone(&app),
        authors,
        Arc::clone(&stop),
        Arc::clone(&posted),
    ));
    let started = Instant::now();
    let mut takeovers = 0;
    for _ in 0..KILLS {
        let mut worker = Worker::spawn(&url, timeline_redis).await;
        tokio::time::sleep(Duration::from_millis(rand::random_range(200..900))).await;
        worker.kill();
        takeovers += worker.takeovers();
    }
    stop.store(true, Ordering::Relaxed);
    let alive = posting.await.unwrap();
    let queued = app.store().fanout_queue_depth().await.unwrap();
    app.drain_fanout().await.unwrap();
    takeovers += app.fanout_metrics().unwrap().jobs_retried() as usize;
    eprintln!(
        "{KILLS} worker SIGKILLs ({}) in {:.1} s: {} photos posted, {} survive; {queued} jobs left \
         queued; {takeovers} jobs taken over from a killed worker",
        if timeline_redis.is_some() {
            "timelines in Redis"
        } else {
            "timelines in PostgreSQL"
        },
        started.elapsed().as_secs_f64(),
        posted.load(Ordering::Relaxed),
        alive.len(),
    );
    assert!(
        takeovers > 0,
        "no job was ever taken over from a killed worker"
    );
    assert_timelines_exact(&app, &url, &followers, &alive, timeline_redis.is_none()).await;
    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_share_one_queue() {
    let (app, url, _dir) = poster(None).await;
    let (authors, followers) = follow_graph(&app).await;
    let first = Worker::spawn(&url, None).await;
    let second = Worker::spawn(&url, None).await;
    let mut alive = Vec::new();
    const POSTS: u32 = 60;
    for n in 0..POSTS {
        let author = authors[n as usize % authors.len()];
        let photo = app
            .post_photo(author, Caption::parse("share me").unwrap(), png(n + 1, 2))
            .await
            .unwrap();
        alive.push(photo.id);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while app.store().fanout_queue_depth().await.unwrap() > 0 {
        assert!(
            Instant::now() < deadline,
            "the workers did not drain the queue in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (a, b) = (first.jobs_done().await, second.jobs_done().await);
    eprintln!("two workers: {a} and {b} of {POSTS} jobs");
    assert!(a > 0 && b > 0, "one worker did all the work: {a} and {b}");
    assert_eq!(
        a + b,
        u64::from(POSTS),
        "jobs completed twice or not at all"
    );
    assert_timelines_exact(&app, &url, &followers, &alive, true).await;
    app.close().await.unwrap();
}
