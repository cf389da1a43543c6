//! The embedded store: redb with SQLite's locking model (one writer, many
//! MVCC readers) but group-committed, so it never answers "busy".
//!
//! - Writes go through the group-commit writer thread (`group_commit_writer.rs`),
//!   which commits queued writes in batches, each in one durable transaction.
//! - Reads run on redb read transactions on the blocking pool (never on the
//!   async runtime), at most `max_concurrent_reads` at a time.
//! - Values are postcard with a format-version byte (`records.rs`).

#[cfg(fuzzing)]
pub(crate) mod fuzzing;
mod group_commit_writer;
mod read_ops;
mod records;
mod revocations;
mod schema_migration;
mod storage_context;
mod tables;
mod timeline_reads;
mod write_ops;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use parking_lot::RwLock;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redb::{Database, ReadTransaction, ReadableDatabase as _};
use tokio::sync::Semaphore;

use self::group_commit_writer::{GroupCommitWriter, WriterSettings};
use self::revocations::Revocations;
use self::storage_context::StorageContext as _;
use self::tables::{SCHEMA_VERSION, SCHEMA_VERSION_KEY};
use self::write_ops::WriteTables;
use super::{
    Credentials, FanoutJob, FanoutProgress, NewPhoto, NewUser, Store, StoreMetric,
    TimelineSettings, TimelineSlice, to_millis,
};
use crate::domain::{
    FeedPage, PageRequest, Photo, PhotoId, PhotoView, Profile, User, UserId, Username,
};
use crate::error::{
    DeletePhotoError, FollowError, LikeError, PostPhotoError, RegisterError, StoreError,
};
use crate::media::MediaKey;
use crate::store::timelines_on;

/// Tuning for [`EmbeddedStore`]. The defaults suit a small server.
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedConfig {
    /// Writes that may wait in the queue before callers are made to wait.
    pub queue_capacity: usize,
    /// Most writes committed in one transaction.
    pub max_batch: usize,
    /// How long a caller waits for room in a full queue before getting
    /// `StoreError::Overloaded`.
    pub enqueue_timeout: Duration,
    /// Most read transactions running at once on the blocking pool.
    pub max_concurrent_reads: usize,
    /// redb's page cache size in bytes.
    pub cache_bytes: usize,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        Self {
            queue_capacity: 4096,
            max_batch: 512,
            enqueue_timeout: Duration::from_secs(5),
            max_concurrent_reads: 64,
            cache_bytes: 64 * 1024 * 1024,
        }
    }
}

/// The embedded store: redb with SQLite's locking model (one writer, many
/// MVCC readers) but group-committed, so it never answers "busy".
///
/// - Writes go through one writer thread, which commits queued writes in
///   batches, each in one durable transaction, and answers each caller
///   only after its batch is durable. A queue still full past
///   [`EmbeddedConfig::enqueue_timeout`] answers `StoreError::Overloaded`.
/// - Reads run on redb read transactions on the blocking pool (never on the
///   async runtime), at most [`EmbeddedConfig::max_concurrent_reads`] at a time.
/// - Values are postcard with a format-version byte; a file of an older
///   schema version is migrated on open, one of a newer version refused.
#[derive(Debug)]
pub struct EmbeddedStore {
    /// `None` once closed, so the file is released when the last in-flight
    /// read finishes.
    db: RwLock<Option<Arc<Database>>>,
    writer: GroupCommitWriter,
    revocations: Revocations,
    read_permits: Arc<Semaphore>,
    /// Permits the semaphore was created with (never changed).
    max_reads: usize,
    path: PathBuf,
    /// Set by `enable_timelines`; handed to each write that maintains
    /// timelines.
    timelines: RwLock<Option<TimelineSettings>>,
}

impl EmbeddedStore {
    /// Opens the database file at `path`, creating it (and its tables) when
    /// missing. After a crash redb repairs the file here, which can take a
    /// while for a large database; this runs on the blocking pool.
    pub async fn open(path: impl AsRef<Path>, config: EmbeddedConfig) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let open_path = path.clone();
        let (db, revocations) = tokio::task::spawn_blocking(move || {
            let db = open_database(&open_path, config.cache_bytes)?;
            let txn = db.begin_read().during("starting a read transaction")?;
            let revocations = Revocations::load(&txn, to_millis(Utc::now()))?;
            drop(txn);
            Ok::<_, StoreError>((db, revocations))
        })
        .await
        .map_err(|e| StoreError::backend("opening the database", e))??;
        let db = Arc::new(db);
        let writer = GroupCommitWriter::start(
            Arc::clone(&db),
            WriterSettings {
                queue_capacity: config.queue_capacity,
                max_batch: config.max_batch,
                enqueue_timeout: config.enqueue_timeout,
            },
        )?;
        Ok(Self {
            db: RwLock::new(Some(db)),
            writer,
            revocations,
            read_permits: Arc::new(Semaphore::new(config.max_concurrent_reads.max(1))),
            max_reads: config.max_concurrent_reads.max(1),
            path,
            timelines: RwLock::new(None),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn database(&self) -> Result<Arc<Database>, StoreError> {
        self.db
            .read()
            .clone()
            .ok_or_else(|| StoreError::Unavailable {
                reason: "the embedded store is closed".into(),
            })
    }

    /// Runs `read` in a read transaction on the blocking pool.
    async fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&ReadTransaction) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = self.database()?;
        let _permit = self
            .read_permits
            .acquire()
            .await
            .map_err(|e| StoreError::backend("waiting for a read slot", e))?;
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_read().during("starting a read transaction")?;
            read(&txn)
        })
        .await
        .map_err(|e| StoreError::backend("running a read", e))?
    }

    async fn write<T, E>(
        &self,
        operation: impl FnOnce(&mut WriteTables<'_>) -> Result<Result<T, E>, StoreError>
        + Send
        + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.writer.submit(operation).await
    }
}

fn open_database(path: &Path, cache_bytes: usize) -> Result<Database, StoreError> {
    let db = Database::builder()
        .set_cache_size(cache_bytes)
        .create(path)
        .during("opening the database file")?;
    let txn = db.begin_write().during("starting the schema transaction")?;
    {
        // Creating every table up front lets reads open them on a new file.
        let mut tables = WriteTables::open(&txn)?;
        let stored = tables.setting_or_insert(SCHEMA_VERSION_KEY, vec![SCHEMA_VERSION])?;
        drop(tables);
        let [version] = stored[..] else {
            return Err(StoreError::Corrupt {
                what: format!(
                    "{}: schema version {stored:?} is not one byte",
                    path.display()
                ),
            });
        };
        schema_migration::migrate(&txn, version).map_err(|e| match e {
            StoreError::Corrupt { what } => StoreError::Corrupt {
                what: format!("{}: {what}", path.display()),
            },
            other => other,
        })?;
        let released = WriteTables::open(&txn)?.release_fanout_claims()?;
        if released > 0 {
            tracing::info!(
                released,
                "released the fan-out claims of the previous process"
            );
        }
    }
    txn.commit().during("committing the schema")?;
    Ok(db)
}

#[async_trait]
impl Store for EmbeddedStore {
    fn kind(&self) -> &'static str {
        "embedded"
    }

    async fn create_user(&self, new: NewUser) -> Result<User, RegisterError> {
        let timelines = *self.timelines.read();
        self.write(move |t| t.create_user(new, timelines)).await
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.read(move |txn| read_ops::user(txn, id)).await
    }

    async fn credentials(&self, username: &Username) -> Result<Option<Credentials>, StoreError> {
        let username = username.clone();
        self.read(move |txn| read_ops::credentials(txn, &username))
            .await
    }

    async fn create_photo(&self, new: NewPhoto) -> Result<Photo, PostPhotoError> {
        let timelines = *self.timelines.read();
        self.write(move |t| t.create_photo(new, timelines)).await
    }

    async fn delete_photo(
        &self,
        photo: PhotoId,
        requester: UserId,
    ) -> Result<Photo, DeletePhotoError> {
        self.write(move |t| t.delete_photo(photo, requester)).await
    }

    async fn media_in_use(&self, key: &MediaKey) -> Result<bool, StoreError> {
        // The read starts after every acknowledged write committed (the
        // writer answers only after its commit), so it is the latest state.
        let key = key.as_str().to_owned();
        self.read(move |txn| read_ops::media_in_use(txn, &key))
            .await
    }

    async fn photo(&self, id: PhotoId, viewer: UserId) -> Result<Option<PhotoView>, StoreError> {
        self.read(move |txn| read_ops::photo(txn, id, viewer)).await
    }

    async fn like(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError> {
        self.write(move |t| t.set_like(user, photo, true)).await
    }

    async fn unlike(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError> {
        self.write(move |t| t.set_like(user, photo, false)).await
    }

    async fn follow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError> {
        let timelines = *self.timelines.read();
        self.write(move |t| t.set_follow(follower, followee, true, timelines))
            .await
    }

    async fn unfollow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError> {
        let timelines = *self.timelines.read();
        self.write(move |t| t.set_follow(follower, followee, false, timelines))
            .await
    }

    async fn profile(&self, user: UserId, viewer: UserId) -> Result<Option<Profile>, StoreError> {
        self.read(move |txn| read_ops::profile(txn, user, viewer))
            .await
    }

    async fn followees(&self, user: UserId) -> Result<Vec<UserId>, StoreError> {
        self.read(move |txn| read_ops::followees(txn, user)).await
    }

    async fn photos_by_authors(
        &self,
        authors: &[UserId],
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        let authors = authors.to_vec();
        self.read(move |txn| read_ops::photos_by_authors(txn, &authors, viewer, page))
            .await
    }

    async fn followed_photos(
        &self,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        self.read(move |txn| read_ops::followed_photos(txn, viewer, page))
            .await
    }

    async fn global_photos(
        &self,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        self.read(move |txn| read_ops::global_photos(txn, viewer, page))
            .await
    }

    async fn revoke_token(
        &self,
        token_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let owned_id = token_id.to_owned();
        let expires_at_ms = to_millis(expires_at);
        self.write(move |t| Ok(t.revoke_token(&owned_id, expires_at_ms)))
            .await?;
        // Only after the commit: the in-memory set never claims a
        // revocation that is not durable.
        self.revocations
            .insert(token_id, expires_at_ms, to_millis(Utc::now()));
        Ok(())
    }

    async fn is_token_revoked(&self, token_id: &str) -> Result<bool, StoreError> {
        // Answered from memory (see `Revocations`); a closed store still
        // refuses, as every other call does.
        self.database()?;
        Ok(self.revocations.contains(token_id))
    }

    async fn setting_or_insert(&self, key: &str, default: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        let key = key.to_owned();
        self.write(move |t| Ok(t.setting_or_insert(&key, default)))
            .await
    }

    fn enable_timelines(&self, settings: TimelineSettings) -> Result<(), StoreError> {
        *self.timelines.write() = Some(settings);
        Ok(())
    }

    fn timeline_settings(&self) -> Option<TimelineSettings> {
        *self.timelines.read()
    }

    async fn claim_fanout_job(&self, lease: Duration) -> Result<Option<FanoutJob>, StoreError> {
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        // Idle workers poll: a read answers "nothing to claim" without a
        // durable write. The write below checks again, so a job claimed by
        // another worker in between is simply not found.
        let now_ms = Utc::now().timestamp_millis();
        if !self
            .read(move |txn| timeline_reads::any_claimable(txn, now_ms))
            .await?
        {
            return Ok(None);
        }
        // A storage failure aborts the batch (outer error), never half-applies.
        self.write(move |t| t.claim_fanout(Utc::now(), lease_ms).map(Ok))
            .await
    }

    async fn fan_out(
        &self,
        job: &FanoutJob,
        batch: usize,
        lease: Duration,
    ) -> Result<FanoutProgress, StoreError> {
        let settings = timelines_on(self.timeline_settings())?;
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        let job = job.clone();
        self.write(move |t| {
            t.fan_out(&job, batch, settings, Utc::now(), lease_ms)
                .map(Ok)
        })
        .await
    }

    async fn fanout_queue_depth(&self) -> Result<u64, StoreError> {
        self.read(timeline_reads::fanout_queue_depth).await
    }

    async fn timeline(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Option<TimelineSlice>, StoreError> {
        self.read(move |txn| timeline_reads::timeline(txn, user, page))
            .await
    }

    async fn mark_active(&self, user: UserId) -> Result<(), StoreError> {
        timelines_on(self.timeline_settings())?;
        let now_ms = Utc::now().timestamp_millis();
        self.write(move |t| t.mark_active(user.get(), now_ms).map(Ok))
            .await
    }

    async fn rebuild_timeline(&self, user: UserId) -> Result<(), StoreError> {
        let settings = timelines_on(self.timeline_settings())?;
        self.write(move |t| t.rebuild_timeline(user.get(), settings.cap).map(Ok))
            .await
    }

    async fn health(&self) -> Result<(), StoreError> {
        if self.writer.is_stopped() {
            return Err(StoreError::Unavailable {
                reason: "the embedded store's writer has stopped".into(),
            });
        }
        self.read(read_ops::probe).await
    }

    fn metrics(&self) -> Vec<StoreMetric> {
        let stats = self.writer.stats();
        let counter = StoreMetric::counter;
        let gauge = |name, help, value: u64| StoreMetric::gauge(name, help, value as f64);
        vec![
            gauge(
                "minigram_writer_queue_depth",
                "Writes waiting for the group-commit writer.",
                self.writer.queue_depth() as u64,
            ),
            counter(
                "minigram_writer_batches_total",
                "Write transactions committed (or failed) by the writer.",
                stats.batches.load(Ordering::Relaxed),
            ),
            counter(
                "minigram_writer_writes_total",
                "Writes made durable by the writer.",
                stats.writes.load(Ordering::Relaxed),
            ),
            counter(
                "minigram_writer_failed_batches_total",
                "Batches whose transaction failed (no write of them applied).",
                stats.failed_batches.load(Ordering::Relaxed),
            ),
            gauge(
                "minigram_writer_last_batch_size",
                "Writes in the most recent batch.",
                stats.last_batch_size.load(Ordering::Relaxed),
            ),
            gauge(
                "minigram_writer_max_batch_size",
                "Most writes committed in one batch so far.",
                stats.max_batch_size.load(Ordering::Relaxed),
            ),
            counter(
                "minigram_writer_commit_microseconds_total",
                "Time spent applying and committing batches.",
                stats.commit_micros_total.load(Ordering::Relaxed),
            ),
            counter(
                "minigram_writer_overloaded_total",
                "Writes refused because the queue stayed full past the deadline.",
                stats.overloaded.load(Ordering::Relaxed),
            ),
            gauge(
                "minigram_store_reads_in_flight",
                "Read transactions running on the blocking pool.",
                (self.max_reads - self.read_permits.available_permits()) as u64,
            ),
        ]
    }

    async fn close(&self) -> Result<(), StoreError> {
        self.writer.shutdown().await;
        self.db.write().take();
        Ok(())
    }
}
