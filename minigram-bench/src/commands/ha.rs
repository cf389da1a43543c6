//! `minigram-bench ha`: what high availability costs (write throughput with
//! synchronous against asynchronous replication, measured in interleaved
//! rounds on the same cluster) and what it buys (write unavailability per
//! failover when the leader's postmaster is killed under load).
//!
//! It drives the library's Patroni-following `ReplicaRouter` directly, not
//! HTTP: on two cores a server and a load generator would share the CPU
//! with three PostgreSQL nodes, and the figure wanted is the database's.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use hdrhistogram::Histogram;
use serde::Serialize;
use writer_outcomes::Outcomes;

use minigram::media::{ImageType, MediaKey, StoredMedia};
use minigram::store::{NewPhoto, NewUser, PostgresConfig, ReplicaRouter, RouterConfig, Store};
use minigram::{Caption, Email, PhotoId, UserId, Username};
use minigram_devcluster::HaCluster;

use crate::cli::HaArgs;

/// Photos each writer toggles likes on.
const PHOTOS_PER_WRITER: u64 = 8;

/// One throughput round.
#[derive(Debug, Clone, Serialize)]
struct Round {
    synchronous: bool,
    likes_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    failed: u64,
}

/// One failover.
#[derive(Debug, Clone, Serialize)]
struct Failover {
    /// Longest stretch without an acknowledged write after the kill.
    unavailable_ms: f64,
    /// Writes that failed (503 over HTTP) meanwhile.
    refused: u64,
    /// Kill to the old leader back as a healthy replica.
    rejoined_ms: f64,
}

#[derive(Debug, Serialize)]
struct Figures {
    nodes: usize,
    writers: usize,
    fsync: bool,
    cluster_start_ms: f64,
    rounds: Vec<Round>,
    failovers: Vec<Failover>,
}

/// Runs the measurement and prints its tables.
pub async fn run(args: HaArgs) -> anyhow::Result<()> {
    let cluster = HaCluster::builder()
        .nodes(3)
        .fsync(!args.no_fsync)
        .start()
        .await
        .context("starting the Patroni cluster (needs postgresql, patroni and etcd-server)")?;
    cluster.stop_when_process_exits()?;
    let start_time = cluster.start_time();
    println!(
        "cluster: etcd + 3 PostgreSQL nodes under Patroni, started in {:.1} s (fsync {})",
        start_time.as_secs_f64(),
        if args.no_fsync { "off" } else { "on" }
    );
    cluster.create_database("bench").await?;
    let router = Arc::new(
        ReplicaRouter::connect_patroni(
            &cluster.patroni_urls(),
            &cluster.multi_host_url("bench"),
            RouterConfig {
                pool: PostgresConfig {
                    pool_size: args.writers.max(1) + 2,
                    ..PostgresConfig::default()
                },
                ..RouterConfig::default()
            },
        )
        .await?,
    );
    let load = Load::seed(router.clone(), args.writers.max(1)).await?;

    let mut rounds = Vec::new();
    for round in 0..args.rounds {
        // Alternate which mode goes first, so drift favours neither.
        let order = if round % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for synchronous in order {
            cluster.set_synchronous(synchronous).await?;
            let figures = load
                .throughput(synchronous, Duration::from_secs(args.round_s))
                .await;
            println!(
                "round {} {:>5}: {:>7.0} likes/s, p50 {:.2} ms, p99 {:.2} ms, {} failed",
                round + 1,
                mode(synchronous),
                figures.likes_per_s,
                figures.p50_ms,
                figures.p99_ms,
                figures.failed
            );
            rounds.push(figures);
        }
    }
    cluster.set_synchronous(true).await?;

    let mut failovers = Vec::new();
    for kill in 0..args.kills {
        let failover = load.failover(&cluster).await?;
        println!(
            "failover {}: writes unavailable {:.2} s ({} refused), old leader rejoined after {:.1} s",
            kill + 1,
            failover.unavailable_ms / 1e3,
            failover.refused,
            failover.rejoined_ms / 1e3
        );
        failovers.push(failover);
    }

    let figures = Figures {
        nodes: 3,
        writers: args.writers,
        fsync: !args.no_fsync,
        cluster_start_ms: start_time.as_secs_f64() * 1e3,
        rounds,
        failovers,
    };
    print_summary(&figures);
    if let Some(path) = &args.json {
        write_json(path, &figures)?;
    }
    router.close().await?;
    cluster.stop().await?;
    Ok(())
}

fn mode(synchronous: bool) -> &'static str {
    if synchronous { "sync" } else { "async" }
}

/// The writers and what they write.
struct Load {
    router: Arc<ReplicaRouter>,
    /// Each writer's user and the photos it toggles likes on.
    writers: Vec<(UserId, Vec<PhotoId>)>,
}

impl Load {
    async fn seed(router: Arc<ReplicaRouter>, writers: usize) -> anyhow::Result<Self> {
        let author = router.create_user(new_user("author")?).await?.id;
        let mut seeded = Vec::new();
        for w in 0..writers {
            let user = router
                .create_user(new_user(&format!("writer{w}"))?)
                .await?
                .id;
            let mut photos = Vec::new();
            for n in 0..PHOTOS_PER_WRITER {
                let key = w as u64 * PHOTOS_PER_WRITER + n;
                photos.push(router.create_photo(new_photo(author, key)?).await?.id);
            }
            seeded.push((user, photos));
        }
        Ok(Self {
            router,
            writers: seeded,
        })
    }

    /// Every writer toggles likes (like, unlike, …: each one a write) for
    /// `duration`; returns the round's figures.
    async fn throughput(&self, synchronous: bool, duration: Duration) -> Round {
        let stop = Arc::new(AtomicBool::new(false));
        let outcomes = self.spawn_writers(&stop);
        tokio::time::sleep(duration).await;
        stop.store(true, Ordering::SeqCst);
        let results = outcomes.join().await;
        let mut latency = Histogram::<u64>::new(3).expect("3 significant figures is valid");
        let mut failed = 0;
        for outcome in &results {
            if outcome.ok {
                let _ = latency.record(outcome.latency.as_micros() as u64);
            } else {
                failed += 1;
            }
        }
        Round {
            synchronous,
            likes_per_s: latency.len() as f64 / duration.as_secs_f64(),
            p50_ms: latency.value_at_quantile(0.5) as f64 / 1e3,
            p99_ms: latency.value_at_quantile(0.99) as f64 / 1e3,
            max_ms: latency.max() as f64 / 1e3,
            failed,
        }
    }

    /// Kills the leader's postmaster under load and measures how long
    /// writes stalled and how long the old leader took to rejoin.
    async fn failover(&self, cluster: &HaCluster) -> anyhow::Result<Failover> {
        let stop = Arc::new(AtomicBool::new(false));
        let outcomes = self.spawn_writers(&stop);
        tokio::time::sleep(Duration::from_secs(2)).await;
        let leader = cluster
            .leader()
            .await?
            .context("no leader before the kill")?;
        cluster.kill_postmaster(leader)?;
        let killed = Instant::now();
        cluster
            .wait_for_leader(Duration::from_secs(60), Some(leader))
            .await?;
        cluster.wait_healthy(Duration::from_secs(90)).await?;
        let rejoined = killed.elapsed();
        // Keep writing a moment on the healthy cluster, so the last stall
        // is closed by an acknowledgment.
        tokio::time::sleep(Duration::from_secs(1)).await;
        stop.store(true, Ordering::SeqCst);
        let results = outcomes.join().await;
        let mut acks: Vec<Instant> = results
            .iter()
            .filter(|o| o.ok && o.ended > killed)
            .map(|o| o.ended)
            .collect();
        acks.sort();
        let first = acks
            .first()
            .copied()
            .context("no write succeeded after the kill")?;
        let unavailable = acks
            .windows(2)
            .map(|w| w[1] - w[0])
            .chain(std::iter::once(first - killed))
            .max()
            .unwrap_or_default();
        Ok(Failover {
            unavailable_ms: unavailable.as_secs_f64() * 1e3,
            refused: results.iter().filter(|o| !o.ok && o.ended > killed).count() as u64,
            rejoined_ms: rejoined.as_secs_f64() * 1e3,
        })
    }

    fn spawn_writers(&self, stop: &Arc<AtomicBool>) -> Outcomes {
        let mut outcomes = Outcomes::default();
        for (user, photos) in &self.writers {
            let (router, stop, user, photos) =
                (self.router.clone(), stop.clone(), *user, photos.clone());
            outcomes.spawn(async move {
                let mut done = Vec::new();
                let mut liked = vec![false; photos.len()];
                let mut n = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let i = n % photos.len();
                    n += 1;
                    let started = Instant::now();
                    let result = if liked[i] {
                        router.unlike(user, photos[i]).await
                    } else {
                        router.like(user, photos[i]).await
                    };
                    let ok = result.is_ok();
                    if ok {
                        liked[i] = !liked[i];
                    } else {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    done.push(writer_outcomes::Outcome {
                        ok,
                        latency: started.elapsed(),
                        ended: Instant::now(),
                    });
                }
                done
            });
        }
        outcomes
    }
}

/// The writers' results, collected when they stop.
mod writer_outcomes {
    use std::time::{Duration, Instant};

    /// One write.
    pub(super) struct Outcome {
        pub ok: bool,
        pub latency: Duration,
        pub ended: Instant,
    }

    /// The running writers.
    #[derive(Default)]
    pub(super) struct Outcomes(tokio::task::JoinSet<Vec<Outcome>>);

    impl Outcomes {
        pub(super) fn spawn(
            &mut self,
            writer: impl Future<Output = Vec<Outcome>> + Send + 'static,
        ) {
            self.0.spawn(writer);
        }

        /// Waits for every writer and returns all their writes.
        pub(super) async fn join(mut self) -> Vec<Outcome> {
            let mut all = Vec::new();
            while let Some(result) = self.0.join_next().await {
                all.extend(result.unwrap_or_default());
            }
            all
        }
    }
}

fn new_user(name: &str) -> anyhow::Result<NewUser> {
    Ok(NewUser {
        username: Username::parse(name)?,
        email: Email::parse(&format!("{name}@example.com"))?,
        // Nobody logs in: no hashing cost.
        password_hash: "not-a-hash".into(),
        created_at: chrono::Utc::now(),
    })
}

fn new_photo(author: UserId, n: u64) -> anyhow::Result<NewPhoto> {
    Ok(NewPhoto {
        author,
        caption: Caption::parse("ha bench")?,
        media: StoredMedia {
            key: MediaKey::parse(&format!("{n:064x}.png"))?,
            content_type: ImageType::Png,
            width: 1,
            height: 1,
        },
        created_at: chrono::Utc::now(),
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

fn print_summary(figures: &Figures) {
    let rate = |synchronous: bool| {
        median(
            figures
                .rounds
                .iter()
                .filter(|r| r.synchronous == synchronous)
                .map(|r| r.likes_per_s)
                .collect(),
        )
    };
    let p99 = |synchronous: bool| {
        median(
            figures
                .rounds
                .iter()
                .filter(|r| r.synchronous == synchronous)
                .map(|r| r.p99_ms)
                .collect(),
        )
    };
    let (sync, asynchronous) = (rate(true), rate(false));
    println!();
    println!("| replication | likes/s (median of rounds) | p99 ms (median) |");
    println!("| --- | ---: | ---: |");
    println!("| synchronous | {sync:.0} | {:.2} |", p99(true));
    println!("| asynchronous | {asynchronous:.0} | {:.2} |", p99(false));
    if asynchronous > 0.0 {
        println!(
            "synchronous replication keeps {:.0} % of the asynchronous throughput ({} writers, fsync {})",
            100.0 * sync / asynchronous,
            figures.writers,
            if figures.fsync { "on" } else { "off" }
        );
    }
    if !figures.failovers.is_empty() {
        let unavailable: Vec<f64> = figures.failovers.iter().map(|f| f.unavailable_ms).collect();
        let max = unavailable.iter().copied().fold(0.0, f64::max);
        println!(
            "write unavailability over {} failovers: p50 {:.2} s, max {:.2} s",
            unavailable.len(),
            median(unavailable) / 1e3,
            max / 1e3
        );
    }
}

fn write_json(path: &Path, figures: &Figures) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(figures)?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
