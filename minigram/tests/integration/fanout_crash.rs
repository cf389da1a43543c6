//! Crash consistency of push feeds: a child process posts and deletes
//! photos under `FeedStrategy::Push` (fan-out workers running, jobs of
//! many batches) and is killed with SIGKILL at random moments. After each
//! kill the parent reopens the database, drains the fan-out queue and
//! checks that every photo that exists (every acknowledged post among
//! them) is in every follower's timeline exactly once, and that no deleted
//! photo is in any.
//!
//! The child is this same test binary, re-run with `FANOUT_CRASH_DIR` set.
#![cfg(feature = "embedded")]
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use minigram::auth::HasherConfig;
use minigram::feed::FeedStrategy;
use minigram::store::{EmbeddedConfig, EmbeddedStore, Store};
use minigram::{
    Caption, Cursor, Minigram, PageLimit, PageRequest, PhotoId, UserId, store::NewUser,
};
use rand::RngExt as _;

use crate::common::crash_child::{println_flush, run_and_kill};
use crate::common::fixtures::{new_user, png};

const CHILD_ENV: &str = "MINIGRAM_FANOUT_CRASH_DIR";
const KILLS: usize = 20;
/// Followers of author 1 and of author 2: jobs of many batches.
const FOLLOWERS: [u64; 2] = [40, 20];
const BATCH: usize = 7;
const POSTERS: usize = 4;
/// Large enough that no timeline is trimmed in this test, so every photo
/// that exists must be in every follower's timeline.
const CAP: usize = 100_000;

async fn open_app(dir: &Path, workers: usize) -> Minigram {
    let store = EmbeddedStore::open(dir.join("fanout.redb"), EmbeddedConfig::default())
        .await
        .expect("the database must reopen after SIGKILL");
    Minigram::builder()
        .store(store)
        .media_dir(dir.join("media"))
        .unwrap()
        .hasher(HasherConfig::insecure_fast_for_tests())
        .feed(FeedStrategy::Push)
        .timeline_cap(CAP)
        .fanout_workers(workers)
        .fanout_batch(BATCH)
        .build()
        .await
        .unwrap()
}

#[test]
fn fan_out_survives_sigkill_of_the_process() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        run_child(Path::new(&dir));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let mut rng = rand::rng();
    let mut acked_posts: HashSet<u64> = HashSet::new();
    let mut acked_deletes: HashSet<u64> = HashSet::new();
    let mut deleting: HashSet<u64> = HashSet::new();
    let mut retried = 0;
    for round in 0..KILLS {
        let lines = run_and_kill(
            "fanout_crash::fan_out_survives_sigkill_of_the_process",
            &[
                (CHILD_ENV, dir.path().display().to_string()),
                ("MINIGRAM_FANOUT_CRASH_ROUND", round.to_string()),
            ],
            Duration::from_millis(rng.random_range(50..400)),
        );
        for line in lines {
            if let Some(id) = line.strip_prefix("post ") {
                acked_posts.insert(id.parse().unwrap());
            } else if let Some(id) = line.strip_prefix("deleting ") {
                deleting.insert(id.parse().unwrap());
            } else if let Some(id) = line.strip_prefix("delete ") {
                acked_deletes.insert(id.parse().unwrap());
            }
        }
        retried += verify(dir.path(), &acked_posts, &deleting, &acked_deletes);
    }
    assert!(
        acked_posts.len() > KILLS * 5,
        "too few posts to mean anything: {}",
        acked_posts.len()
    );
    assert!(!acked_deletes.is_empty(), "no delete was acknowledged");
    assert!(
        retried > 0,
        "no kill landed while a job was claimed: the resume path went untested"
    );
    println!(
        "{KILLS} kills; verified {} acknowledged posts and {} acknowledged deletes; \
         {retried} jobs taken over from a killed worker",
        acked_posts.len(),
        acked_deletes.len()
    );
}

/// Authors 1 and 2 and their followers, made with timelines on.
fn setup(dir: &Path) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let app = open_app(dir, 0).await;
        let store = app.store();
        let authors = [
            store.create_user(new_user("author1")).await.unwrap().id,
            store.create_user(new_user("author2")).await.unwrap().id,
        ];
        for (author, count) in authors.iter().zip(FOLLOWERS) {
            for i in 0..count {
                let follower: NewUser = new_user(&format!("f{}x{i}", author.get()));
                let follower = store.create_user(follower).await.unwrap().id;
                app.follow(follower, *author).await.unwrap();
            }
        }
        app.close().await.unwrap();
    });
}

/// Every photo id in `user`'s timeline, newest first, through the store.
async fn timeline_ids(store: &dyn Store, user: UserId) -> Vec<u64> {
    let mut ids = Vec::new();
    let mut page = PageRequest::first(PageLimit::new(100).unwrap());
    loop {
        let slice = store.timeline(user, page).await.unwrap().unwrap();
        let full = slice.items.len() > page.limit.get();
        ids.extend(
            slice
                .items
                .iter()
                .take(page.limit.get())
                .map(|v| v.photo.id.get()),
        );
        if !full {
            return ids;
        }
        page.cursor = Some(Cursor::after(PhotoId::new(*ids.last().unwrap()).unwrap()));
    }
}

/// `deleting`: photos a delete was started for (acknowledged or not).
/// Returns how many jobs the drain took over from the killed process.
fn verify(
    dir: &Path,
    acked_posts: &HashSet<u64>,
    deleting: &HashSet<u64>,
    acked_deletes: &HashSet<u64>,
) -> u64 {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let app = open_app(dir, 0).await;
        app.drain_fanout().await.unwrap();
        let retried = app.fanout_metrics().unwrap().jobs_retried();
        let store = app.store().as_ref();
        assert_eq!(store.fanout_queue_depth().await.unwrap(), 0);
        // Every photo that exists, by author.
        let mut existing: Vec<(u64, UserId)> = Vec::new();
        let mut page = PageRequest::first(PageLimit::new(100).unwrap());
        loop {
            let feed = store.global_photos(UserId::MIN, page).await.unwrap();
            existing.extend(
                feed.items
                    .iter()
                    .map(|v| (v.photo.id.get(), v.photo.author)),
            );
            match feed.next_cursor {
                Some(cursor) => page.cursor = Some(cursor),
                None => break,
            }
        }
        let existing_ids: HashSet<u64> = existing.iter().map(|(id, _)| *id).collect();
        for id in acked_posts.difference(deleting) {
            assert!(existing_ids.contains(id), "acknowledged post {id} was lost");
        }
        for id in acked_deletes {
            assert!(
                !existing_ids.contains(id),
                "acknowledged delete of {id} was undone"
            );
        }
        for author in [1u64, 2] {
            let author = UserId::new(author).unwrap();
            let expected: Vec<u64> = existing
                .iter()
                .filter(|(_, a)| *a == author)
                .map(|(id, _)| *id)
                .collect();
            let followers = followers_of(store, author).await;
            assert_eq!(followers.len() as u64, FOLLOWERS[author.get() as usize - 1]);
            for follower in followers {
                let timeline = timeline_ids(store, follower).await;
                let unique: HashSet<u64> = timeline.iter().copied().collect();
                assert_eq!(
                    unique.len(),
                    timeline.len(),
                    "a photo twice in {follower}'s timeline"
                );
                for id in &unique {
                    assert!(
                        existing_ids.contains(id),
                        "deleted photo {id} is still in {follower}'s timeline"
                    );
                }
                // Each follower follows one author: their timeline is that
                // author's photos, every one of them.
                assert_eq!(timeline, expected, "timeline of {follower}");
            }
        }
        app.close().await.unwrap();
        retried
    })
}

/// The followers of `author` in this test's fixed layout: users made right
/// after the two authors, `FOLLOWERS[0]` for author 1, then author 2's.
async fn followers_of(store: &dyn Store, author: UserId) -> Vec<UserId> {
    let (first, count) = match author.get() {
        1 => (3, FOLLOWERS[0]),
        _ => (3 + FOLLOWERS[0], FOLLOWERS[1]),
    };
    let mut followers = Vec::new();
    for id in first..first + count {
        let user = UserId::new(id).unwrap();
        assert_eq!(store.followees(user).await.unwrap(), vec![author]);
        followers.push(user);
    }
    followers
}

/// The writer: posts (and now and then deletes) as fast as it can with the
/// fan-out workers running, printing a line after each acknowledgment.
fn run_child(dir: &Path) {
    let round: usize = std::env::var("MINIGRAM_FANOUT_CRASH_ROUND")
        .unwrap()
        .parse()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let app = open_app(dir, 2).await;
        println_flush("ready");
        let mut tasks = Vec::new();
        for poster in 0..POSTERS {
            let app = app.clone();
            tasks.push(tokio::spawn(async move {
                let author = UserId::new(1 + (poster as u64 % 2)).unwrap();
                for i in 0u64.. {
                    let caption = Caption::parse(&format!("r{round}p{poster}n{i}")).unwrap();
                    let photo = app.post_photo(author, caption, png(1, 1)).await.unwrap();
                    println_flush(&format!("post {}", photo.id));
                    if i % 5 == 4 {
                        // Printed before the delete: killed mid-delete, the
                        // photo may be gone without an acknowledgment.
                        println_flush(&format!("deleting {}", photo.id));
                        app.delete_photo(author, photo.id).await.unwrap();
                        println_flush(&format!("delete {}", photo.id));
                    }
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
}
