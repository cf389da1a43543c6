//! Shared set-up for the criterion benches: a minigram over each store with
//! deterministic seed data.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use minigram::auth::HasherConfig;
use minigram::media::{ImageType, MediaKey, StoredMedia};
use minigram::store::{EmbeddedConfig, EmbeddedStore, MemoryStore, NewPhoto, NewUser, Store};
use minigram::{Caption, Email, Minigram, PhotoId, UserId, Username};
use minigram_devcluster::DevCluster;
use tempfile::TempDir;

/// The stores benchmarked.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Memory,
    Embedded,
}

impl Backend {
    pub const ALL: [Backend; 2] = [Backend::Memory, Backend::Embedded];

    pub fn name(self) -> &'static str {
        match self {
            Backend::Memory => "memory",
            Backend::Embedded => "embedded",
        }
    }
}

pub struct Bench {
    pub app: Minigram,
    pub dir: TempDir,
}

/// Whether the bench `name` (a custom `main`) should run: `cargo bench`
/// passes `--bench` and any filter; a filter that does not match means skip.
pub fn selected(name: &str) -> bool {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
}

/// A local PostgreSQL (primary and `replicas` streaming replicas, fsync on)
/// under `dir`, stopped when the bench process exits.
pub async fn start_postgres(dir: &std::path::Path, replicas: usize) -> DevCluster {
    let cluster = DevCluster::builder()
        .replicas(replicas)
        .data_dir(dir.join("pg"))
        .start()
        .await
        .unwrap_or_else(|e| {
            panic!("cannot start PostgreSQL (install the Debian package postgresql): {e}")
        });
    cluster.stop_when_process_exits().unwrap();
    cluster
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

pub async fn store(backend: Backend, dir: &TempDir, config: EmbeddedConfig) -> Arc<dyn Store> {
    match backend {
        Backend::Memory => Arc::new(MemoryStore::new()),
        Backend::Embedded => Arc::new(
            EmbeddedStore::open(dir.path().join("bench.redb"), config)
                .await
                .unwrap(),
        ),
    }
}

pub async fn bench_app(backend: Backend, hasher: HasherConfig, config: EmbeddedConfig) -> Bench {
    bench_app_with_feed(
        backend,
        hasher,
        config,
        minigram::feed::FeedStrategy::Pull,
        0,
    )
    .await
}

/// As [`bench_app`], with a home-feed strategy and that many in-process
/// fan-out workers (0: the bench drains the queue itself).
pub async fn bench_app_with_feed(
    backend: Backend,
    hasher: HasherConfig,
    config: EmbeddedConfig,
    feed: minigram::feed::FeedStrategy,
    fanout_workers: usize,
) -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let store = store(backend, &dir, config).await;
    let app = Minigram::builder()
        .shared_store(store)
        .media_dir(dir.path().join("media"))
        .unwrap()
        .hasher(hasher)
        .feed(feed)
        .fanout_workers(fanout_workers)
        .build()
        .await
        .unwrap();
    Bench { app, dir }
}

/// A minigram with `feed` (and no fan-out workers: benches drain) over
/// `store`, its media in a fresh directory.
pub async fn bench_app_over(store: Arc<dyn Store>, feed: minigram::feed::FeedStrategy) -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let app = Minigram::builder()
        .shared_store(store)
        .media_dir(dir.path().join("media"))
        .unwrap()
        .hasher(HasherConfig::insecure_fast_for_tests())
        .feed(feed)
        .fanout_workers(0)
        .build()
        .await
        .unwrap();
    Bench { app, dir }
}

pub fn new_user(name: &str) -> NewUser {
    NewUser {
        username: Username::parse(name).unwrap(),
        email: Email::parse(&format!("{name}@example.com")).unwrap(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
        created_at: chrono::Utc::now(),
    }
}

pub fn new_photo(author: UserId, n: u64) -> NewPhoto {
    NewPhoto {
        author,
        caption: Caption::parse("benchmark photo").unwrap(),
        media: StoredMedia {
            key: MediaKey::parse(&format!("{n:064x}.png")).unwrap(),
            content_type: ImageType::Png,
            width: 1080,
            height: 1080,
        },
        created_at: chrono::Utc::now(),
    }
}

/// `users` users with `photos_each` photos each, created directly in the
/// store (no hashing). Returns their ids and all photo ids.
pub async fn seed(
    store: &dyn Store,
    prefix: &str,
    users: usize,
    photos_each: usize,
) -> (Vec<UserId>, Vec<PhotoId>) {
    let mut user_ids = Vec::with_capacity(users);
    for i in 0..users {
        user_ids.push(
            store
                .create_user(new_user(&format!("{prefix}user{i}")))
                .await
                .unwrap()
                .id,
        );
    }
    let mut photo_ids = Vec::new();
    let mut n = 0;
    for _ in 0..photos_each {
        for &user in &user_ids {
            n += 1;
            photo_ids.push(store.create_photo(new_photo(user, n)).await.unwrap().id);
        }
    }
    (user_ids, photo_ids)
}

/// A tiny valid PNG header of the given size.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    bytes.extend_from_slice(&13u32.to_be_bytes());
    bytes.extend_from_slice(b"IHDR");
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}
