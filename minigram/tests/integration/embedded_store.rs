//! Behaviour specific to the embedded store: persistence across restarts,
//! backpressure, closing, and group commit itself.
#![cfg(feature = "embedded")]
#![allow(clippy::unwrap_used)]

use crate::common::fixtures::new_user;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use minigram::auth::HasherConfig;
use minigram::store::{EmbeddedConfig, EmbeddedStore, Store};
use minigram::{Email, Minigram, Password, RegisterError, StoreError, Username};

async fn app_at(dir: &Path) -> Minigram {
    let store = EmbeddedStore::open(dir.join("minigram.redb"), EmbeddedConfig::default())
        .await
        .unwrap();
    Minigram::builder()
        .store(store)
        .media_dir(dir.join("media"))
        .unwrap()
        .hasher(HasherConfig::insecure_fast_for_tests())
        .build()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_and_data_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_at(dir.path()).await;
    let session = app
        .register(
            Username::parse("ada").unwrap(),
            Email::parse("ada@example.com").unwrap(),
            Password::parse("password123").unwrap(),
        )
        .await
        .unwrap();
    let logged_out = app.login("ada", "password123").await.unwrap();
    app.logout(&logged_out.token).await.unwrap();
    app.close().await.unwrap();
    drop(app);

    let app = app_at(dir.path()).await;
    // The generated token secret was persisted, so the old token still works.
    let principal = app.authenticate(&session.token).await.unwrap();
    assert_eq!(principal.user_id, session.user.id);
    // And the revocation was too.
    let err = app.authenticate(&logged_out.token).await.unwrap_err();
    assert!(matches!(err, minigram::AuthError::Revoked), "{err:?}");
    app.login("ada", "password123").await.unwrap();
    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_store_refuses_writes_and_reads() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path().join("db.redb"), EmbeddedConfig::default())
        .await
        .unwrap();
    store.create_user(new_user("before")).await.unwrap();
    store.close().await.unwrap();
    store.close().await.unwrap(); // idempotent
    let err = store.create_user(new_user("after")).await.unwrap_err();
    assert!(
        matches!(err, RegisterError::Store(StoreError::Unavailable { .. })),
        "{err:?}"
    );
    let err = store.health().await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_overloaded_and_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let config = EmbeddedConfig {
        queue_capacity: 1,
        max_batch: 1,
        enqueue_timeout: Duration::from_micros(1),
        ..EmbeddedConfig::default()
    };
    let store = Arc::new(EmbeddedStore::open(&path, config).await.unwrap());
    let mut tasks = Vec::new();
    for i in 0..200 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let name = format!("user{i}");
            (name.clone(), store.create_user(new_user(&name)).await)
        }));
    }
    let (mut acknowledged, mut refused) = (Vec::new(), Vec::new());
    for task in tasks {
        match task.await.unwrap() {
            (name, Ok(_)) => acknowledged.push(name),
            (name, Err(RegisterError::Store(StoreError::Overloaded { .. }))) => refused.push(name),
            (name, Err(other)) => panic!("{name}: unexpected {other:?}"),
        }
    }
    assert!(
        !refused.is_empty(),
        "a 1-slot queue with a 1 µs deadline never overflowed"
    );
    assert!(!acknowledged.is_empty());
    store.close().await.unwrap();
    drop(store);

    let store = EmbeddedStore::open(&path, EmbeddedConfig::default())
        .await
        .unwrap();
    for name in &acknowledged {
        let found = store
            .credentials(&Username::parse(name).unwrap())
            .await
            .unwrap();
        assert!(found.is_some(), "acknowledged {name} is missing");
    }
    for name in &refused {
        let found = store
            .credentials(&Username::parse(name).unwrap())
            .await
            .unwrap();
        assert!(
            found.is_none(),
            "{name} was refused as overloaded but written anyway"
        );
    }
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_share_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        EmbeddedStore::open(dir.path().join("db.redb"), EmbeddedConfig::default())
            .await
            .unwrap(),
    );
    let mut tasks = Vec::new();
    for i in 0..256 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            store
                .create_user(new_user(&format!("user{i}")))
                .await
                .unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let metric = |name: &str| {
        store
            .metrics()
            .into_iter()
            .find(|m| m.name == name)
            .unwrap()
            .value
    };
    let writes = metric("minigram_writer_writes_total");
    let batches = metric("minigram_writer_batches_total");
    assert_eq!(writes, 256.0);
    assert!(
        batches < writes,
        "every write got its own commit ({batches} batches)"
    );
    assert!(metric("minigram_writer_max_batch_size") > 1.0);
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_another_schema_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    {
        let db = redb_file_with_schema(&path, 99);
        drop(db);
    }
    let err = EmbeddedStore::open(&path, EmbeddedConfig::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("schema version"), "{err}");
}

/// Writes a settings table claiming another schema version, as a future
/// release would.
fn redb_file_with_schema(path: &Path, version: u8) -> redb::Database {
    const SETTINGS: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("settings");
    let db = redb::Database::create(path).unwrap();
    let txn = db.begin_write().unwrap();
    txn.open_table(SETTINGS)
        .unwrap()
        .insert("minigram.schema_version", [version].as_slice())
        .unwrap();
    txn.commit().unwrap();
    db
}
