//! Crash consistency: a child process writes through the embedded store as
//! fast as it can and is killed with SIGKILL at random moments. After each
//! kill the database must reopen cleanly and hold every write the child saw
//! acknowledged.
//!
//! The child is this same test binary, re-run with `CRASH_CHILD_DB` set: the
//! test function then plays the writer instead of the checker.
#![cfg(feature = "embedded")]
#![allow(clippy::unwrap_used)]

use crate::common::fixtures::{new_photo, new_user};

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use minigram::store::{EmbeddedConfig, EmbeddedStore, Store};
use minigram::{PhotoId, UserId, Username};
use rand::RngExt as _;

const CHILD_ENV: &str = "MINIGRAM_CRASH_CHILD_DB";
const KILLS: usize = 25;
const WRITERS: usize = 16;
/// Starts every record the child prints.
const MARKER: &str = "@@";

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
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                // The full path in the one integration-test binary.
                "crash_recovery::acknowledged_writes_survive_sigkill",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &db_path)
            .env("MINIGRAM_CRASH_ROUND", round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest prints "test name ... " without a newline before
                // the child's first line, so records are found by marker.
                let Some((_, line)) = line.split_once(MARKER) else {
                    continue;
                };
                let line = line.to_owned();
                if line == "ready" {
                    let _ = ready_tx.send(());
                }
                lines.push(line);
            }
            lines
        });
        ready_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the crash child did not start writing within 30 s");
        std::thread::sleep(Duration::from_millis(rng.random_range(20..250)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        // Every line the child printed was printed after its write was
        // acknowledged, so all of them must be durable.
        for line in reader.join().unwrap() {
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

fn println_flush(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{MARKER}{line}").unwrap();
    out.flush().unwrap();
}
