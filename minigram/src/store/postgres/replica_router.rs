//! Primary/replica routing with read-your-writes by WAL position.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use parking_lot::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;

use super::postgres_store::ReplayStatus;
use super::{
    PostgresConfig, PostgresStore, ReadConsistency, ReplicaState, ReplicaStatus, RouterConfig,
    RouterStatus,
};
use crate::domain::{
    FeedPage, PageRequest, Photo, PhotoId, PhotoView, Profile, User, UserId, Username,
};
use crate::error::{FollowError, LikeError, PostPhotoError, RegisterError, StoreError};
use crate::store::{Credentials, NewPhoto, NewUser, Store, StoreMetric};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A primary and streaming replicas behind one [`Store`].
///
/// - **Writes** (and `credentials`, `setting_or_insert`, `health`) go to
///   the primary.
/// - **Reads** go to the usable replica with the fewest reads in flight,
///   if it has replayed what the read must see; else to the primary
///   (counted as a fallback).
/// - **Read-your-writes**: after a user's write the router asks the primary
///   for `pg_current_wal_lsn()` and remembers it for that user for
///   `sticky_window`. A read with that user as viewer may use a replica
///   only once its replay position (`pg_last_wal_replay_lsn()`, polled
///   every `poll_interval` and re-checked on the spot when the polled value
///   is behind) has reached it. With
///   [`ReadConsistency::AllWritesThroughThisRouter`] every read must see
///   the newest write made through this router. Token revocations are always
///   seen by later `is_token_revoked` calls through this router.
/// - **Health**: a replica whose poll or read fails is benched for
///   `bench_duration`; one lagging beyond `max_lag_bytes` or `max_lag` is
///   benched until it catches up. A read failing on a replica is retried on
///   another replica or the primary, so losing a replica fails no read.
///   With no usable replica, reads go to the primary.
/// - **Primary down**: writes fail fast with `StoreError::Unavailable`;
///   reads keep being served by replicas that have what they must see.
///
/// `credentials` has no user to follow, and login right after registration
/// must find the account, so it always reads the primary (logins are rare
/// and dominated by password hashing).
#[derive(Debug)]
pub struct ReplicaRouter {
    shared: Arc<Shared>,
    pollers: Vec<JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    primary: PostgresStore,
    replicas: Vec<Replica>,
    config: RouterConfig,
    /// WAL position each recent writer must see, and when it was recorded.
    sticky: Mutex<HashMap<UserId, (u64, Instant)>>,
    /// The newest write acknowledged through this router.
    newest_write: AtomicU64,
    /// The newest token revocation made through this router.
    newest_revocation: AtomicU64,
    primary_health: Mutex<PrimaryHealth>,
    primary_reads: AtomicU64,
    fallback_lagging: AtomicU64,
    fallback_no_replica: AtomicU64,
    fallback_replica_error: AtomicU64,
    rechecks: AtomicU64,
}

#[derive(Debug, Default)]
struct PrimaryHealth {
    lsn: Option<u64>,
    error: Option<String>,
}

#[derive(Debug)]
struct Replica {
    index: usize,
    store: PostgresStore,
    health: Mutex<ReplicaHealth>,
    outstanding: AtomicUsize,
    reads: AtomicU64,
}

#[derive(Debug)]
struct ReplicaHealth {
    state: ReplicaState,
    replay_lsn: Option<u64>,
    lag_bytes: Option<u64>,
    lag: Option<Duration>,
    benched_until: Option<Instant>,
    last_error: Option<String>,
}

/// What a read must see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Requirement {
    /// Any usable replica will do.
    Any,
    /// A replica that has replayed up to this WAL position.
    AtLeast(u64),
    /// The position is unknown: only the primary will do.
    PrimaryOnly,
}

/// Why a read went to the primary.
enum Fallback {
    NoReplica,
    Lagging,
    ReplicaError,
}

impl ReplicaRouter {
    /// Connects to the primary at `primary_url` (applying migrations when
    /// `config.pool.migrate` is on) and to the replicas at `replica_urls`,
    /// and starts polling the replicas. The primary must be reachable;
    /// replicas that are not yet are benched and retried. Must be called
    /// within a Tokio runtime (the pollers are tasks on it).
    pub async fn connect(
        primary_url: &str,
        replica_urls: &[String],
        config: RouterConfig,
    ) -> Result<Self, StoreError> {
        let primary = PostgresStore::connect(primary_url, config.pool.clone()).await?;
        let replica_pool = PostgresConfig {
            migrate: false,
            application_name: format!("{}-replica-reads", config.pool.application_name),
            ..config.pool.clone()
        };
        let replicas = replica_urls
            .iter()
            .enumerate()
            .map(|(index, url)| {
                Ok(Replica {
                    index,
                    store: PostgresStore::build(url, replica_pool.clone())?,
                    health: Mutex::new(ReplicaHealth {
                        state: ReplicaState::Starting,
                        replay_lsn: None,
                        lag_bytes: None,
                        lag: None,
                        benched_until: None,
                        last_error: None,
                    }),
                    outstanding: AtomicUsize::new(0),
                    reads: AtomicU64::new(0),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let shared = Arc::new(Shared {
            primary,
            replicas,
            config,
            sticky: Mutex::new(HashMap::new()),
            newest_write: AtomicU64::new(0),
            newest_revocation: AtomicU64::new(0),
            primary_health: Mutex::new(PrimaryHealth::default()),
            primary_reads: AtomicU64::new(0),
            fallback_lagging: AtomicU64::new(0),
            fallback_no_replica: AtomicU64::new(0),
            fallback_replica_error: AtomicU64::new(0),
            rechecks: AtomicU64::new(0),
        });
        // One first poll of everything before serving, so reads start on
        // replicas rather than on the primary.
        shared.poll_primary().await;
        if shared.config.consistency == ReadConsistency::AllWritesThroughThisRouter {
            // Writes made before this router existed (through an earlier
            // handle) count as its own.
            // (`None` only if the primary died since it answered in `connect`.)
            let lsn = shared.primary_health.lock().lsn.unwrap_or(0);
            shared.newest_write.store(lsn, Ordering::Release);
        }
        for replica in &shared.replicas {
            shared.poll_replica(replica).await;
        }
        let mut pollers = vec![tokio::spawn(primary_poller(Arc::downgrade(&shared)))];
        for index in 0..shared.replicas.len() {
            pollers.push(tokio::spawn(replica_poller(Arc::downgrade(&shared), index)));
        }
        Ok(Self { shared, pollers })
    }

    /// The primary and every replica as last seen.
    pub fn status(&self) -> RouterStatus {
        let s = &self.shared;
        let primary = s.primary_health.lock();
        RouterStatus {
            primary_url: s.primary.url().to_owned(),
            primary_up: primary.error.is_none(),
            primary_lsn: primary.lsn,
            primary_error: primary.error.clone(),
            replicas: s
                .replicas
                .iter()
                .map(|r| {
                    let h = r.health.lock();
                    ReplicaStatus {
                        url: r.store.url().to_owned(),
                        state: h.state,
                        lag_bytes: h.lag_bytes,
                        lag: h.lag,
                        replay_lsn: h.replay_lsn,
                        reads: r.reads.load(Ordering::Relaxed),
                        outstanding: r.outstanding.load(Ordering::Relaxed),
                        last_error: h.last_error.clone(),
                    }
                })
                .collect(),
            consistency: s.config.consistency,
            sticky_window: s.config.sticky_window,
            max_lag: s.config.max_lag,
            max_lag_bytes: s.config.max_lag_bytes,
        }
    }

    /// The primary's store, for operations that must run there.
    pub fn primary(&self) -> &PostgresStore {
        &self.shared.primary
    }
}

impl Drop for ReplicaRouter {
    fn drop(&mut self) {
        for poller in &self.pollers {
            poller.abort();
        }
    }
}

async fn primary_poller(shared: std::sync::Weak<Shared>) {
    let mut last_prune = Instant::now();
    loop {
        let Some(s) = shared.upgrade() else { return };
        let interval = s.config.poll_interval;
        s.poll_primary().await;
        if last_prune.elapsed() >= Duration::from_secs(1) {
            s.prune_sticky();
            last_prune = Instant::now();
        }
        drop(s);
        tokio::time::sleep(interval).await;
    }
}

async fn replica_poller(shared: std::sync::Weak<Shared>, index: usize) {
    loop {
        let Some(s) = shared.upgrade() else { return };
        let interval = s.config.poll_interval;
        s.poll_replica(&s.replicas[index]).await;
        drop(s);
        tokio::time::sleep(interval).await;
    }
}

impl Shared {
    async fn poll_primary(&self) {
        let result = tokio::time::timeout(self.config.poll_timeout, self.primary.current_wal_lsn())
            .await
            .unwrap_or_else(|_| {
                Err(StoreError::Unavailable {
                    reason: "the primary did not answer in time".into(),
                })
            });
        let mut health = self.primary_health.lock();
        match result {
            Ok(lsn) => {
                health.lsn = Some(lsn);
                health.error = None;
            }
            Err(e) => health.error = Some(e.to_string()),
        }
    }

    async fn poll_replica(&self, replica: &Replica) {
        let result = self.replay_status(replica).await;
        let primary_lsn = self.primary_health.lock().lsn;
        let mut h = replica.health.lock();
        match result {
            Ok(status) if status.in_recovery => {
                let replay = status.replay_lsn.unwrap_or(0);
                let lag_bytes = primary_lsn.map_or(0, |p| p.saturating_sub(replay));
                let lag = if lag_bytes == 0 {
                    Duration::ZERO
                } else {
                    Duration::from_secs_f64(
                        status.seconds_since_replayed_commit.unwrap_or(0.0).max(0.0),
                    )
                };
                h.replay_lsn = h.replay_lsn.max(status.replay_lsn);
                h.lag_bytes = Some(lag_bytes);
                h.lag = Some(lag);
                let benched = h.benched_until.is_some_and(|t| Instant::now() < t);
                if benched {
                    return;
                }
                h.benched_until = None;
                h.last_error = None;
                let previous = h.state;
                h.state = if lag_bytes > self.config.max_lag_bytes || lag > self.config.max_lag {
                    ReplicaState::Lagging
                } else {
                    ReplicaState::Healthy
                };
                if previous != h.state {
                    tracing::info!(replica = %replica.store.url(), state = h.state.as_str(), lag_bytes, lag_ms = lag.as_millis() as u64, "replica state changed");
                }
            }
            Ok(_) => self.bench(
                replica,
                &mut h,
                "the server is not in recovery: it is not a replica".into(),
            ),
            Err(e) => self.bench(replica, &mut h, e.to_string()),
        }
    }

    async fn replay_status(&self, replica: &Replica) -> Result<ReplayStatus, StoreError> {
        tokio::time::timeout(self.config.poll_timeout, replica.store.replay_status())
            .await
            .unwrap_or_else(|_| {
                Err(StoreError::Unavailable {
                    reason: "the replica did not answer in time".into(),
                })
            })
    }

    fn bench(&self, replica: &Replica, h: &mut ReplicaHealth, reason: String) {
        if h.state != ReplicaState::Down {
            tracing::warn!(replica = %replica.store.url(), %reason, "replica benched");
        }
        h.state = ReplicaState::Down;
        h.benched_until = Some(Instant::now() + self.config.bench_duration);
        h.last_error = Some(reason);
    }

    fn prune_sticky(&self) {
        let window = self.config.sticky_window;
        self.sticky
            .lock()
            .retain(|_, (_, at)| at.elapsed() < window);
    }

    /// What a read by `viewer` must see.
    fn requirement(&self, viewer: Option<UserId>, extra: u64) -> Requirement {
        let mut needed = extra;
        if self.config.consistency == ReadConsistency::AllWritesThroughThisRouter {
            needed = needed.max(self.newest_write.load(Ordering::Acquire));
        }
        if let Some(viewer) = viewer
            && let Some((lsn, at)) = self.sticky.lock().get(&viewer).copied()
            && at.elapsed() < self.config.sticky_window
        {
            needed = needed.max(lsn);
        }
        match needed {
            0 => Requirement::Any,
            u64::MAX => Requirement::PrimaryOnly,
            lsn => Requirement::AtLeast(lsn),
        }
    }

    /// Remembers the primary's position after a successful write.
    async fn record_write(&self, writer: Option<UserId>, revocation: bool) {
        let lsn = match self.primary.current_wal_lsn().await {
            Ok(lsn) => lsn,
            Err(e) => {
                // The write committed but its position is unknown: the
                // writer reads from the primary for the window.
                tracing::warn!(error = %e, "could not read the WAL position after a write");
                u64::MAX
            }
        };
        if lsn != u64::MAX {
            self.newest_write.fetch_max(lsn, Ordering::AcqRel);
            if revocation {
                self.newest_revocation.fetch_max(lsn, Ordering::AcqRel);
            }
        }
        if let Some(writer) = writer {
            self.sticky.lock().insert(writer, (lsn, Instant::now()));
        }
    }

    /// Usable replicas, fewest reads in flight first.
    fn usable_replicas(&self) -> Vec<&Replica> {
        let now = Instant::now();
        let mut usable: Vec<&Replica> = self
            .replicas
            .iter()
            .filter(|r| {
                let h = r.health.lock();
                h.state == ReplicaState::Healthy && h.benched_until.is_none_or(|t| now >= t)
            })
            .collect();
        usable.sort_by_key(|r| (r.outstanding.load(Ordering::Relaxed), r.index));
        usable
    }

    fn has_reached(replica: &Replica, requirement: Requirement) -> bool {
        match requirement {
            Requirement::Any => true,
            Requirement::AtLeast(lsn) => replica.health.lock().replay_lsn.is_some_and(|r| r >= lsn),
            Requirement::PrimaryOnly => false,
        }
    }

    /// Asks a replica for its replay position now.
    async fn recheck(&self, replica: &Replica, requirement: Requirement) -> bool {
        let Requirement::AtLeast(_) = requirement else {
            return false;
        };
        self.rechecks.fetch_add(1, Ordering::Relaxed);
        match self.replay_status(replica).await {
            Ok(status) if status.in_recovery => {
                let mut h = replica.health.lock();
                h.replay_lsn = h.replay_lsn.max(status.replay_lsn);
                drop(h);
                Self::has_reached(replica, requirement)
            }
            Ok(_) => false,
            Err(e) => {
                let mut h = replica.health.lock();
                self.bench(replica, &mut h, e.to_string());
                false
            }
        }
    }

    /// Runs a read where it may run: see [`ReplicaRouter`].
    async fn read<'a, T>(
        &'a self,
        requirement: Requirement,
        op: impl Fn(&'a PostgresStore) -> BoxFuture<'a, Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let mut usable = self.usable_replicas();
        // Replicas known to have what the read needs first (fewest reads in
        // flight first); then the others, furthest along first, so that the
        // one on-the-spot re-check asks the likeliest one.
        usable.sort_by_key(|r| {
            let reached = Self::has_reached(r, requirement);
            let replay = r.health.lock().replay_lsn.unwrap_or(0);
            (!reached, if reached { 0 } else { u64::MAX - replay })
        });
        let mut fallback = if usable.is_empty() {
            Fallback::NoReplica
        } else {
            Fallback::Lagging
        };
        let mut rechecked = false;
        for replica in usable {
            if !Self::has_reached(replica, requirement) {
                // One on-the-spot re-check per read: the polled position
                // may be up to one poll interval old.
                if rechecked || !self.recheck(replica, requirement).await {
                    rechecked = true;
                    continue;
                }
                rechecked = true;
            }
            replica.outstanding.fetch_add(1, Ordering::Relaxed);
            let result = op(&replica.store).await;
            replica.outstanding.fetch_sub(1, Ordering::Relaxed);
            match result {
                Ok(value) => {
                    replica.reads.fetch_add(1, Ordering::Relaxed);
                    return Ok(value);
                }
                Err(e) => {
                    // Reads are idempotent: retry elsewhere.
                    tracing::warn!(replica = %replica.store.url(), error = %e, "read failed on a replica; retrying elsewhere");
                    let mut h = replica.health.lock();
                    self.bench(replica, &mut h, e.to_string());
                    fallback = Fallback::ReplicaError;
                }
            }
        }
        match fallback {
            Fallback::NoReplica => &self.fallback_no_replica,
            Fallback::Lagging => &self.fallback_lagging,
            Fallback::ReplicaError => &self.fallback_replica_error,
        }
        .fetch_add(1, Ordering::Relaxed);
        self.primary_reads.fetch_add(1, Ordering::Relaxed);
        op(&self.primary).await
    }
}

#[async_trait]
impl Store for ReplicaRouter {
    fn kind(&self) -> &'static str {
        "postgres_router"
    }

    async fn create_user(&self, new: NewUser) -> Result<User, RegisterError> {
        let user = self.shared.primary.create_user(new).await?;
        self.shared.record_write(Some(user.id), false).await;
        Ok(user)
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let s = &self.shared;
        s.read(s.requirement(Some(id), 0), |store| store.user(id))
            .await
    }

    async fn credentials(&self, username: &Username) -> Result<Option<Credentials>, StoreError> {
        self.shared.primary.credentials(username).await
    }

    async fn create_photo(&self, new: NewPhoto) -> Result<Photo, PostPhotoError> {
        let author = new.author;
        let photo = self.shared.primary.create_photo(new).await?;
        self.shared.record_write(Some(author), false).await;
        Ok(photo)
    }

    async fn photo(&self, id: PhotoId, viewer: UserId) -> Result<Option<PhotoView>, StoreError> {
        let s = &self.shared;
        s.read(s.requirement(Some(viewer), 0), |store| {
            store.photo(id, viewer)
        })
        .await
    }

    async fn like(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError> {
        let count = self.shared.primary.like(user, photo).await?;
        self.shared.record_write(Some(user), false).await;
        Ok(count)
    }

    async fn unlike(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError> {
        let count = self.shared.primary.unlike(user, photo).await?;
        self.shared.record_write(Some(user), false).await;
        Ok(count)
    }

    async fn follow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError> {
        self.shared.primary.follow(follower, followee).await?;
        self.shared.record_write(Some(follower), false).await;
        Ok(())
    }

    async fn unfollow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError> {
        self.shared.primary.unfollow(follower, followee).await?;
        self.shared.record_write(Some(follower), false).await;
        Ok(())
    }

    async fn profile(&self, user: UserId, viewer: UserId) -> Result<Option<Profile>, StoreError> {
        let s = &self.shared;
        s.read(s.requirement(Some(viewer), 0), |store| {
            store.profile(user, viewer)
        })
        .await
    }

    async fn followees(&self, user: UserId) -> Result<Vec<UserId>, StoreError> {
        let s = &self.shared;
        s.read(s.requirement(Some(user), 0), |store| store.followees(user))
            .await
    }

    async fn photos_by_authors(
        &self,
        authors: &[UserId],
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        let s = &self.shared;
        s.read(s.requirement(Some(viewer), 0), |store| {
            store.photos_by_authors(authors, viewer, page)
        })
        .await
    }

    async fn followed_photos(
        &self,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        let s = &self.shared;
        s.read(s.requirement(Some(viewer), 0), |store| {
            store.followed_photos(viewer, page)
        })
        .await
    }

    async fn global_photos(
        &self,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        let s = &self.shared;
        s.read(s.requirement(Some(viewer), 0), |store| {
            store.global_photos(viewer, page)
        })
        .await
    }

    async fn revoke_token(
        &self,
        token_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.shared
            .primary
            .revoke_token(token_id, expires_at)
            .await?;
        self.shared.record_write(None, true).await;
        Ok(())
    }

    async fn is_token_revoked(&self, token_id: &str) -> Result<bool, StoreError> {
        let s = &self.shared;
        let revoked = s.newest_revocation.load(Ordering::Acquire);
        s.read(s.requirement(None, revoked), |store| {
            store.is_token_revoked(token_id)
        })
        .await
    }

    async fn setting_or_insert(&self, key: &str, default: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        self.shared.primary.setting_or_insert(key, default).await
    }

    async fn health(&self) -> Result<(), StoreError> {
        self.shared.primary.health().await
    }

    fn metrics(&self) -> Vec<StoreMetric> {
        let s = &self.shared;
        let counter = StoreMetric::counter;
        let gauge = StoreMetric::gauge;
        let mut metrics = s.primary.metrics();
        metrics.extend([
            counter(
                "minigram_router_primary_reads_total",
                "Reads served by the primary.",
                s.primary_reads.load(Ordering::Relaxed),
            ),
            counter(
                "minigram_router_replica_reads_total",
                "Reads served by any replica.",
                s.replicas.iter().map(|r| r.reads.load(Ordering::Relaxed)).sum(),
            ),
            counter(
                "minigram_router_fallback_lagging_total",
                "Reads sent to the primary because no usable replica had replayed what they must see.",
                s.fallback_lagging.load(Ordering::Relaxed),
            ),
            counter(
                "minigram_router_fallback_no_replica_total",
                "Reads sent to the primary because no replica was usable.",
                s.fallback_no_replica.load(Ordering::Relaxed),
            ),
            counter(
                "minigram_router_fallback_replica_error_total",
                "Reads retried on the primary after failing on a replica.",
                s.fallback_replica_error.load(Ordering::Relaxed),
            ),
            counter(
                "minigram_router_position_rechecks_total",
                "On-the-spot replay position checks made for reads.",
                s.rechecks.load(Ordering::Relaxed),
            ),
            gauge(
                "minigram_router_sticky_users",
                "Users whose reads currently follow their recent writes.",
                s.sticky.lock().len() as f64,
            ),
            gauge(
                "minigram_router_primary_up",
                "1 when the last poll of the primary succeeded.",
                if s.primary_health.lock().error.is_none() { 1.0 } else { 0.0 },
            ),
        ]);
        for r in &s.replicas {
            let h = r.health.lock();
            let replica = r.index.to_string();
            metrics.extend(
                [
                    counter(
                        "minigram_router_reads_by_replica_total",
                        "Reads served by this replica.",
                        r.reads.load(Ordering::Relaxed),
                    ),
                    gauge(
                        "minigram_router_replica_lag_bytes",
                        "WAL bytes this replica is behind the primary.",
                        h.lag_bytes.unwrap_or(0) as f64,
                    ),
                    gauge(
                        "minigram_router_replica_lag_seconds",
                        "Age of this replica's last replayed commit while it is behind.",
                        h.lag.unwrap_or_default().as_secs_f64(),
                    ),
                    gauge(
                        "minigram_router_replica_healthy",
                        "1 when this replica takes reads.",
                        if h.state == ReplicaState::Healthy {
                            1.0
                        } else {
                            0.0
                        },
                    ),
                ]
                .map(|metric| metric.with_label("replica", replica.clone())),
            );
        }
        metrics
    }

    async fn close(&self) -> Result<(), StoreError> {
        for poller in &self.pollers {
            poller.abort();
        }
        for replica in &self.shared.replicas {
            replica.store.close().await?;
        }
        self.shared.primary.close().await
    }
}
