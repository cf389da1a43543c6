//! Crash consistency: a child process writes through the embedded store as
//! fast as it can and is killed with SIGKILL at random moments. After each
//! kill the database must reopen cleanly and hold every write the child saw
//! acknowledged.
//!
//! The child is this same test binary, re-run with `CRASH_CHILD_DB` set: the
//! test function then plays the writer instead of the checker.
#![cfg(feature = "embedded")]
#![allow(clippy::unwrap_used)]

use crate::common::crash_child::{println_flush, run_and_kill};
use crate::common::fixtures::{new_photo, new_user};

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use minigram::store::{EmbeddedConfig, EmbeddedStore, Store};
use minigram::{PhotoId, UserId, Username};
use rand::RngExt as _;

const CHILD_ENV: &str = "MINIGRAM_CRASH_CHILD_DB";
const KILLS: usize = 25;
const WRITERS: usize = 16;

#[test]
fn acknowledged_writes_survive_sigkill() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        run_child(Path::new(&path));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("crash.redb");
    let mut rng = rand::rng();
    let mut acked_users: Vec<String> = Vec::new();
    let mut acked_likes: Vec<u64> = Vec::new();
    for round in 0..KILLS {
        let lines = run_and_kill(
            // The full path in the one integration-test binary.
            "crash_recovery::acknowledged_writes_survive_sigkill",
            &[
                (CHILD_ENV, db_path.display().to_string()),
                ("MINIGRAM_CRASH_ROUND", round.to_string()),
            ],
            Duration::from_millis(rng.random_range(20..250)),
        );
        // Every line the child printed was printed after its write was
        // acknowledged, so all of them must be durable.
        for line in lines {
            if let Some(name) = line.strip_prefix("user ") {
                acked_users.push(name.to_owned());
            } else if let Some(id) = line.strip_prefix("like ") {
                acked_likes.push(id.parse().unwrap());
            }
        }
        verify(&db_path, &acked_users, &acked_likes);
    }
    assert!(
        acked_users.len() > KILLS * 10,
        "too few writes to mean anything: {}",
        acked_users.len()
    );
    println!(
        "{KILLS} kills; verified {} acknowledged registrations and {} acknowledged likes",
        acked_users.len(),
        acked_likes.len()
    );
}

fn verify(path: &Path, users: &[String], likes: &[u64]) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = EmbeddedStore::open(path, EmbeddedConfig::default())
            .await
            .expect("the database must reopen after SIGKILL");
        for name in users {
            let found = store
                .credentials(&Username::parse(name).unwrap())
                .await
                .unwrap();
            assert!(found.is_some(), "acknowledged registration {name} was lost");
        }
        let photo = PhotoId::new(1).unwrap();
        for &user in likes {
            let view = store
                .photo(photo, UserId::new(user).unwrap())
                .await
                .unwrap()
                .unwrap();
            assert!(
                view.liked_by_viewer,
                "acknowledged like by user {user} was lost"
            );
        }
        // The like count is kept in the same transaction as the likes.
        let count = store
            .photo(photo, UserId::new(1).unwrap())
            .await
            .unwrap()
            .unwrap()
            .photo
            .like_count;
        assert!(
            count >= likes.len() as u64,
            "like count {count} below {} acknowledged likes",
            likes.len()
        );
        store.close().await.unwrap();
    });
}

/// The writer: registers users and makes each like photo 1, printing a line
/// after each acknowledged write.
fn run_child(path: &Path) {
    let round: usize = std::env::var("MINIGRAM_CRASH_ROUND")
        .unwrap()
        .parse()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = Arc::new(
            EmbeddedStore::open(path, EmbeddedConfig::default())
                .await
                .unwrap(),
        );
        if round == 0 {
            let owner = store.create_user(new_user("owner")).await.unwrap();
            store.create_photo(new_photo(owner.id, 1)).await.unwrap();
        }
        println_flush("ready");
        let mut tasks = Vec::new();
        for writer in 0..WRITERS {
            let store = Arc::clone(&store);
            tasks.push(tokio::spawn(async move {
                for i in 0.. {
                    let name = format!("r{round}w{writer}n{i}");
                    let user = store.create_user(new_user(&name)).await.unwrap();
                    println_flush(&format!("user {name}"));
                    store.like(user.id, PhotoId::new(1).unwrap()).await.unwrap();
                    println_flush(&format!("like {}", user.id));
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
}
