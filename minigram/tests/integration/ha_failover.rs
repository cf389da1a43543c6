//! Jepsen-style failover test: the replica router following a real Patroni
//! cluster (etcd + three PostgreSQL nodes, synchronous replication) while
//! the primary is killed over and over under concurrent writers and readers.
//!
//! - **Writers** like photos, follow users and post photos through the
//!   router, and record every write the router acknowledged. A failed like
//!   or follow is retried until acknowledged (both are idempotent); a failed
//!   post is not retried (its caption is recorded as "maybe written").
//! - **Readers** read users, photos and the global feed; none may fail.
//!   Each writer reads its new photo right after posting it; it must be
//!   there (read-your-writes across the switch of primary).
//! - **Faults**: the leader's postmaster is SIGKILLed at random moments
//!   (`KILLS` times), then once the leader's Patroni process instead.
//!   After each failover every acknowledged write must be on the new
//!   primary.
//! - **At the end**: every acknowledged write is on the primary; each
//!   photo's like count equals its acknowledged likes (and its rows in
//!   `likes`); no caption was written twice; the old primaries rejoined as
//!   replicas without a hand.
//!
//! It prints the write unavailability of each failover (the longest
//! stretch without an acknowledged write after the kill) for the docs; the
//! figures are not asserted (a timed assertion would be a flaky benchmark).
//!
//! Needs Debian's `patroni` and `etcd-server` (`scripts/test.sh` installs
//! them); without them it fails with what to install.
#![cfg(feature = "postgres")]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rand::RngExt as _;

use minigram::store::{PostgresConfig, ReadConsistency, ReplicaRouter, RouterConfig, Store};
use minigram::{PageLimit, PageRequest, PhotoId, UserId};
use minigram_devcluster::HaCluster;

use crate::common::fixtures::{new_photo, new_user};

/// Postmaster kills (the issue asks for at least five).
const KILLS: usize = 5;
/// Concurrent writers and readers.
const WRITERS: usize = 4;
const READERS: usize = 2;
/// Photos the writers like.
const TARGET_PHOTOS: u64 = 12;
/// How long a failover may take before the test gives up on it.
const FAILOVER_LIMIT: Duration = Duration::from_secs(60);
/// How long a rejoin (pg_rewind, restart as a replica) may take.
const REJOIN_LIMIT: Duration = Duration::from_secs(90);

/// What the writers were told.
#[derive(Default)]
struct Ledger {
    /// Acknowledged likes: (user, photo).
    likes: BTreeSet<(u64, u64)>,
    /// Acknowledged follows: (follower, followee).
    follows: BTreeSet<(u64, u64)>,
    /// Captions of acknowledged posts.
    posts: BTreeSet<String>,
    /// Captions of posts that failed (they may or may not exist, once).
    maybe_posts: BTreeSet<String>,
    /// Every write's outcome with when it ended, for unavailability.
    outcomes: Vec<(Instant, bool)>,
}

struct Run {
    router: Arc<ReplicaRouter>,
    ledger: Mutex<Ledger>,
    stop: AtomicBool,
    failed_reads: AtomicU64,
    reads: AtomicU64,
    read_errors: Mutex<Vec<String>>,
    /// Photos their author, reading right after posting, did not find.
    stale_reads: Mutex<Vec<PhotoId>>,
    /// Those reads that failed instead (not asserted: they run inside the
    /// failover, where the writer's own position may be on no replica yet).
    own_read_errors: AtomicU64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_acknowledged_write_is_lost_when_the_primary_dies() {
    let started = Instant::now();
    let cluster = crate::common::ha_cluster::start_new().await;
    eprintln!("HA cluster started in {:?}", cluster.start_time());
    cluster.create_database("app").await.unwrap();
    let router = ReplicaRouter::connect_patroni(
        &cluster.patroni_urls(),
        &cluster.multi_host_url("app"),
        RouterConfig {
            pool: PostgresConfig {
                pool_size: 8,
                connect_timeout: Duration::from_secs(2),
                wait_timeout: Duration::from_secs(2),
                ..PostgresConfig::default()
            },
            consistency: ReadConsistency::ReadYourWrites,
            // Long enough to ride out a failover: reads that need the primary
            // wait for one rather than fail.
            failover_write_wait: Duration::from_secs(10),
            ..RouterConfig::default()
        },
    )
    .await
    .unwrap();
    let router = Arc::new(router);

    // Users 1..=WRITERS write; the last user is the author of the photos
    // they like.
    let mut writers = Vec::new();
    for i in 0..WRITERS {
        writers.push(
            router
                .create_user(new_user(&format!("writer{i}")))
                .await
                .unwrap()
                .id,
        );
    }
    let author = router.create_user(new_user("author")).await.unwrap().id;
    let mut targets = Vec::new();
    for n in 0..TARGET_PHOTOS {
        targets.push(router.create_photo(new_photo(author, n)).await.unwrap().id);
    }

    let run = Arc::new(Run {
        router: router.clone(),
        ledger: Mutex::new(Ledger::default()),
        stop: AtomicBool::new(false),
        failed_reads: AtomicU64::new(0),
        reads: AtomicU64::new(0),
        read_errors: Mutex::new(Vec::new()),
        stale_reads: Mutex::new(Vec::new()),
        own_read_errors: AtomicU64::new(0),
    });
    let mut tasks = tokio::task::JoinSet::new();
    for (w, &me) in writers.iter().enumerate() {
        let (run, targets, others) = (run.clone(), targets.clone(), writers.clone());
        tasks.spawn(async move { write_load(&run, w, me, author, &targets, &others).await });
    }
    for r in 0..READERS {
        let (run, targets) = (run.clone(), targets.clone());
        tasks.spawn(async move { read_load(&run, r, &targets, author).await });
    }

    let mut kill_times = Vec::new();
    let mut rng = rand::rng();
    for kill in 0..=KILLS {
        tokio::time::sleep(Duration::from_millis(rng.random_range(1_500..4_000))).await;
        let leader = cluster
            .leader()
            .await
            .unwrap()
            .expect("a leader before the kill");
        let killed_at = Instant::now();
        if kill < KILLS {
            let pid = cluster.kill_postmaster(leader).unwrap();
            eprintln!(
                "kill {}: SIGKILL the postmaster (pid {pid}) of node {leader}",
                kill + 1
            );
        } else {
            cluster.kill_patroni(leader).unwrap();
            eprintln!("kill {}: SIGKILL the Patroni of node {leader}", kill + 1);
        }
        let new_leader = cluster
            .wait_for_leader(FAILOVER_LIMIT, Some(leader))
            .await
            .unwrap_or_else(|e| panic!("no new leader after killing node {leader}: {e}"));
        kill_times.push(killed_at);
        wait_for_acknowledged_write(&run, killed_at).await;
        eprintln!(
            "  node {new_leader} leads {:?} after the kill",
            killed_at.elapsed()
        );
        if kill == KILLS {
            cluster.start_patroni(leader).await.unwrap();
        }
        let rejoin = Instant::now();
        cluster
            .wait_healthy(REJOIN_LIMIT)
            .await
            .unwrap_or_else(|e| panic!("node {leader} did not rejoin as a replica: {e}"));
        eprintln!(
            "  node {leader} rejoined as a replica in {:?}; writes stalled for {:?} at most",
            rejoin.elapsed(),
            write_gap(&run.ledger.lock().outcomes, killed_at)
        );
        check_acknowledged_writes(&cluster, &run, &targets, false).await;
    }

    run.stop.store(true, Ordering::SeqCst);
    while let Some(result) = tasks.join_next().await {
        result.unwrap();
    }
    // Every retried like and follow has been acknowledged by now.
    check_acknowledged_writes(&cluster, &run, &targets, true).await;

    let outcomes = run.ledger.lock().outcomes.clone();
    let acked = outcomes.iter().filter(|(_, ok)| *ok).count();
    let mut unavailability: Vec<Duration> = kill_times
        .iter()
        .enumerate()
        .map(|(i, &killed_at)| {
            // Each failover's writes: those before the next kill.
            let until = kill_times.get(i + 1).copied();
            let window: Vec<(Instant, bool)> = outcomes
                .iter()
                .filter(|(at, _)| until.is_none_or(|u| *at < u))
                .copied()
                .collect();
            write_gap(&window, killed_at)
        })
        .collect();
    let reads = run.reads.load(Ordering::Relaxed);
    let failed_reads = run.failed_reads.load(Ordering::Relaxed);
    let patroni_kill = unavailability.pop().unwrap_or_default();
    unavailability.sort();
    eprintln!(
        "{} writes acknowledged, {} refused or failed; 0 acknowledged writes lost; {reads} reads, {failed_reads} failed",
        acked,
        outcomes.len() - acked
    );
    eprintln!(
        "write unavailability per postmaster kill: {:?}; p50 {:?}, max {:?}; after the Patroni kill: {:?}; the whole test took {:?}",
        unavailability,
        unavailability[unavailability.len() / 2],
        unavailability.last().unwrap(),
        patroni_kill,
        started.elapsed()
    );
    assert!(
        acked > 100,
        "too few writes were acknowledged to say anything: {acked}"
    );
    assert_eq!(
        failed_reads,
        0,
        "reads failed during failovers: {:?}",
        run.read_errors.lock()
    );
    let stale = run.stale_reads.lock().clone();
    assert!(
        stale.is_empty(),
        "authors did not read their own new photos: {stale:?}"
    );
    eprintln!(
        "read-your-writes: {} own-photo reads right after posting, none stale, {} failed",
        outcomes.len() / 3,
        run.own_read_errors.load(Ordering::Relaxed)
    );
    router.close().await.unwrap();

    // Without Patroni's REST API, a multi-host URL with
    // target_session_attrs=read-write still finds the current primary.
    let plain = minigram::store::PostgresStore::connect(
        &cluster.multi_host_url("app"),
        PostgresConfig {
            pool_size: 1,
            migrate: false,
            ..PostgresConfig::default()
        },
    )
    .await
    .unwrap();
    plain
        .create_user(new_user("multihost"))
        .await
        .expect("a write through the multi-host URL reaches the primary");
    plain.close().await.unwrap();
    cluster.stop().await.unwrap();
}

/// One writer: likes every target photo, follows every other writer and
/// posts photos, round-robin, until told to stop and every like and follow
/// it began is acknowledged.
async fn write_load(
    run: &Run,
    w: usize,
    me: UserId,
    author: UserId,
    targets: &[PhotoId],
    others: &[UserId],
) {
    let mut posts = 0u64;
    let mut step = 0usize;
    loop {
        let stopping = run.stop.load(Ordering::SeqCst);
        let pending_like = targets
            .iter()
            .find(|p| !run.ledger.lock().likes.contains(&(me.get(), p.get())))
            .copied();
        let pending_follow = others
            .iter()
            .chain(std::iter::once(&author))
            .filter(|&&o| o != me)
            .find(|o| !run.ledger.lock().follows.contains(&(me.get(), o.get())))
            .copied();
        if stopping && pending_like.is_none() && pending_follow.is_none() {
            return;
        }
        step += 1;
        let ok = match step % 3 {
            0 if pending_like.is_some() => {
                let photo = pending_like.unwrap_or(targets[0]);
                let ok = run.router.like(me, photo).await.is_ok();
                if ok {
                    run.ledger.lock().likes.insert((me.get(), photo.get()));
                }
                ok
            }
            1 if pending_follow.is_some() => {
                let followee = pending_follow.unwrap_or(author);
                let ok = run.router.follow(me, followee).await.is_ok();
                if ok {
                    run.ledger.lock().follows.insert((me.get(), followee.get()));
                }
                ok
            }
            _ if stopping => continue,
            _ => {
                posts += 1;
                let caption = format!("w{w}-{posts}");
                let mut photo = new_photo(me, 1_000_000 * (w as u64 + 1) + posts);
                photo.caption = minigram::Caption::parse(&caption).unwrap();
                let posted = run.router.create_photo(photo).await;
                if let Ok(photo) = &posted {
                    // Read-your-writes across failovers: the author sees
                    // the photo at once, whichever node answers.
                    match run.router.photo(photo.id, me).await {
                        Ok(Some(_)) => {}
                        Ok(None) => run.stale_reads.lock().push(photo.id),
                        Err(_) => {
                            run.own_read_errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                let mut ledger = run.ledger.lock();
                if posted.is_ok() {
                    ledger.posts.insert(caption);
                } else {
                    ledger.maybe_posts.insert(caption);
                }
                posted.is_ok()
            }
        };
        run.ledger.lock().outcomes.push((Instant::now(), ok));
        if !ok {
            tokio::time::sleep(Duration::from_millis(50)).await;
        } else if step.is_multiple_of(3) {
            // Keep the load steady but leave the cluster room to breathe
            // on two cores.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// One reader: no read may fail, whatever the primary is doing.
async fn read_load(run: &Run, r: usize, targets: &[PhotoId], viewer: UserId) {
    let mut n = 0usize;
    while !run.stop.load(Ordering::SeqCst) {
        n += 1;
        let photo = targets[n % targets.len()];
        let result = match (n + r) % 3 {
            0 => run.router.photo(photo, viewer).await.map(|p| p.is_some()),
            1 => run.router.user(viewer).await.map(|u| u.is_some()),
            _ => run
                .router
                .global_photos(viewer, PageRequest::first(PageLimit::new(20).unwrap()))
                .await
                .map(|page| !page.items.is_empty()),
        };
        run.reads.fetch_add(1, Ordering::Relaxed);
        match result {
            Ok(true) => {}
            Ok(false) => {
                run.failed_reads.fetch_add(1, Ordering::Relaxed);
                run.read_errors.lock().push("a read found nothing".into());
            }
            Err(e) => {
                run.failed_reads.fetch_add(1, Ordering::Relaxed);
                run.read_errors.lock().push(e.to_string());
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until writes have recovered from the kill at `since`.
async fn wait_for_acknowledged_write(run: &Run, since: Instant) {
    let deadline = Instant::now() + FAILOVER_LIMIT;
    loop {
        if writes_recovered(&run.ledger.lock().outcomes, since) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no write was acknowledged after the kill"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The write unavailability of one failover: the longest stretch without
/// an acknowledged write, after `killed_at`, among `outcomes` (which end
/// before the next kill). Writers run back to back, so outside a failover
/// the stretches are milliseconds; a write that waits for the new primary
/// and one that is refused both lengthen it.
fn write_gap(outcomes: &[(Instant, bool)], killed_at: Instant) -> Duration {
    let mut acks: Vec<Instant> = outcomes
        .iter()
        .filter(|(at, ok)| *ok && *at > killed_at)
        .map(|(at, _)| *at)
        .collect();
    acks.sort();
    let Some(&first) = acks.first() else {
        return Duration::MAX;
    };
    acks.windows(2)
        .map(|w| w[1] - w[0])
        .chain(std::iter::once(first - killed_at))
        .max()
        .unwrap_or_default()
}

/// Whether writes have recovered from the kill at `since`: a write was
/// acknowledged after one that failed or waited, or the writes never
/// stopped (a second has passed with acknowledgments all along).
fn writes_recovered(outcomes: &[(Instant, bool)], since: Instant) -> bool {
    let gap = write_gap(outcomes, since);
    gap != Duration::MAX && since.elapsed() > gap + Duration::from_secs(1)
}

/// Reads the current primary directly and checks the ledger against it.
/// With `exact`, likes and follows must match exactly (every retried one
/// has been acknowledged); otherwise only acknowledged ones must be there.
async fn check_acknowledged_writes(
    cluster: &HaCluster,
    run: &Run,
    targets: &[PhotoId],
    exact: bool,
) {
    let leader = cluster.wait_for_leader(FAILOVER_LIMIT, None).await.unwrap();
    let url = &cluster.postgres_urls("app")[leader];
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let (likes, follows, posts) = {
        let ledger = run.ledger.lock();
        (
            ledger.likes.clone(),
            ledger.follows.clone(),
            ledger.posts.clone(),
        )
    };

    let stored_likes: BTreeSet<(u64, u64)> = client
        .query("SELECT user_id, photo_id FROM likes", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get::<_, i64>(0) as u64, row.get::<_, i64>(1) as u64))
        .collect();
    let missing: Vec<_> = likes.difference(&stored_likes).collect();
    assert!(missing.is_empty(), "acknowledged likes lost: {missing:?}");

    let stored_follows: BTreeSet<(u64, u64)> = client
        .query("SELECT follower_id, followee_id FROM follows", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get::<_, i64>(0) as u64, row.get::<_, i64>(1) as u64))
        .collect();
    let missing: Vec<_> = follows.difference(&stored_follows).collect();
    assert!(missing.is_empty(), "acknowledged follows lost: {missing:?}");

    let mut captions: HashMap<String, usize> = HashMap::new();
    for row in client
        .query("SELECT caption FROM photos", &[])
        .await
        .unwrap()
    {
        *captions.entry(row.get(0)).or_default() += 1;
    }
    let lost: Vec<_> = posts
        .iter()
        .filter(|c| !captions.contains_key(*c))
        .collect();
    assert!(lost.is_empty(), "acknowledged posts lost: {lost:?}");
    let twice: Vec<_> = captions
        .iter()
        .filter(|(c, n)| **n > 1 && c.starts_with('w'))
        .collect();
    assert!(twice.is_empty(), "posts written more than once: {twice:?}");

    // Each target photo's stored count agrees with its like rows, and (at
    // the end) with the acknowledged likes exactly.
    let mut acked_per_photo: BTreeMap<u64, usize> = BTreeMap::new();
    for (_, photo) in &likes {
        *acked_per_photo.entry(*photo).or_default() += 1;
    }
    for photo in targets {
        let row = client
            .query_one(
                "SELECT like_count, (SELECT count(*) FROM likes WHERE photo_id = $1) FROM photos WHERE id = $1",
                &[&(photo.get() as i64)],
            )
            .await
            .unwrap();
        let (count, rows): (i64, i64) = (row.get(0), row.get(1));
        assert_eq!(
            count, rows,
            "photo {photo}: like_count disagrees with its like rows"
        );
        if exact {
            let acked = acked_per_photo.get(&photo.get()).copied().unwrap_or(0) as i64;
            assert_eq!(
                count, acked,
                "photo {photo}: like count is not the acknowledged likes"
            );
        }
    }
    if exact {
        assert_eq!(
            stored_likes, likes,
            "likes stored that were never acknowledged"
        );
        assert_eq!(
            stored_follows, follows,
            "follows stored that were never acknowledged"
        );
    }
}
