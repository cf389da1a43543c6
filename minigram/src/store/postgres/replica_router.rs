//! Primary/replica routing with read-your-writes by WAL position.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use parking_lot::{Mutex, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;

use super::patroni_client::PatroniClient;
use super::postgres_store::ReplayStatus;
use super::{
    ClusterMember, ClusterStatus, MemberRole, PostgresConfig, PostgresStore, ReadConsistency,
    ReplicaState, ReplicaStatus, RouterConfig, RouterStatus,
};
use crate::domain::{
    FeedPage, PageRequest, Photo, PhotoId, PhotoView, Profile, User, UserId, Username,
};
use crate::error::{
    DeletePhotoError, FollowError, LikeError, PostPhotoError, RegisterError, StoreError,
};
use crate::media::MediaKey;
use crate::store::{
    Credentials, FanoutJob, FanoutProgress, NewPhoto, NewUser, Store, StoreMetric,
    TimelineSettings, TimelineSlice,
};

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
/// - **Following a Patroni cluster** ([`ReplicaRouter::connect_patroni`]):
///   the primary and the replicas are whatever Patroni's `GET /cluster`
///   says now, polled every `patroni_poll_interval`. When the leader
///   changes, the router checks that the new one accepts writes
///   (`pg_is_in_recovery()` is false), then points a fresh pool at it and
///   closes the old one; members that became replicas take reads once
///   polled. While no primary accepts connections, writes wait up to
///   `failover_write_wait` for one and then fail with
///   `StoreError::Unavailable`; a write is retried only when nothing was
///   sent (no connection could be had), so no write is applied twice.
///   Read-your-writes holds across the switch: WAL positions keep growing
///   on the new timeline, and with synchronous replication the promoted
///   member has every acknowledged commit, so a replica that has replayed
///   a user's recorded position has their writes whichever timeline it is
///   on.
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
    /// The store writes go to. `None` only while following Patroni before a
    /// leader has accepted writes. Cloned out per operation (cheap: a pool
    /// handle), so a switch never waits for operations in flight.
    primary: RwLock<Option<PostgresStore>>,
    /// The replicas reads may use; replaced as a whole when Patroni's view
    /// changes.
    replicas: RwLock<Arc<Vec<Arc<Replica>>>>,
    /// The Patroni cluster being followed, if any.
    patroni: Option<PatroniFollower>,
    /// Set by `enable_timelines`, and given to every primary store (a new
    /// leader's included) before it takes writes.
    timelines: RwLock<Option<TimelineSettings>>,
    /// Failovers seen and their cost to writes.
    failover: FailoverStats,
    /// Bumped whenever the primary is replaced, to abandon writes in
    /// flight to the old one.
    primary_switches: tokio::sync::watch::Sender<u64>,
    config: RouterConfig,
    /// WAL position each recent writer must see, and when it was recorded.
    sticky: Mutex<HashMap<UserId, (u64, Instant)>>,
    /// The newest write acknowledged through this router.
    newest_write: AtomicU64,
    /// The newest token revocation made through this router.
    newest_revocation: AtomicU64,
    primary_health: Mutex<PrimaryHealth>,
    primary_reads: AtomicU64,
    /// Reads served by replicas, all time (replicas come and go).
    replica_reads: AtomicU64,
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
    /// Its position in the order given (or in Patroni's member list).
    index: usize,
    /// The `replica` label of its metrics: the index, or the member name.
    label: String,
    /// `host:port`, to recognise it across Patroni polls.
    address: String,
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

/// The Patroni cluster a router follows, and what it last said.
#[derive(Debug)]
struct PatroniFollower {
    client: PatroniClient,
    /// The URL whose user, password and database every member is reached with.
    base_url: String,
    view: Mutex<PatroniView>,
}

#[derive(Debug, Default)]
struct PatroniView {
    members: Vec<ClusterMember>,
    /// The member the primary pool points at.
    leader: Option<String>,
    last_error: Option<String>,
}

/// What failovers cost writes, for `/metrics`.
#[derive(Debug, Default)]
struct FailoverStats {
    /// Leader changes followed.
    failovers: AtomicU64,
    /// Writes that had to wait for a primary.
    writes_waited: AtomicU64,
    /// Their total wait, in microseconds.
    write_wait_micros: AtomicU64,
    /// Writes refused because no primary accepted them in time.
    writes_refused: AtomicU64,
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
        let replica_pool = replica_pool(&config);
        let replicas = replica_urls
            .iter()
            .enumerate()
            .map(|(index, url)| {
                let store = PostgresStore::build(url, replica_pool.clone())?;
                Ok(Arc::new(Replica::new(index, index.to_string(), url, store)))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Self::start(Some(primary), replicas, None, config).await
    }

    /// Follows the Patroni cluster whose REST endpoints are `patroni_urls`
    /// (`http://host:8008`; any member's will do, they are tried in
    /// order): writes go to the current leader, reads to its replicas (see
    /// [`ReplicaRouter`]). Every member is reached with the user, password
    /// and database of `database_url`; its hosts are ignored (a multi-host
    /// URL is fine). Waits up to `config.failover_write_wait` for a leader
    /// that accepts writes, then applies migrations on it when
    /// `config.pool.migrate` is on.
    pub async fn connect_patroni(
        patroni_urls: &[String],
        database_url: &str,
        config: RouterConfig,
    ) -> Result<Self, StoreError> {
        let client = PatroniClient::new(patroni_urls, config.poll_timeout)?;
        let follower = PatroniFollower {
            client,
            base_url: database_url.to_owned(),
            view: Mutex::new(PatroniView::default()),
        };
        let router = Self::start(None, Vec::new(), Some(follower), config).await?;
        let primary = router.shared.writable_primary().await?;
        if router.shared.config.pool.migrate {
            primary.apply_migrations().await?;
        }
        tracing::info!(primary = %primary.url(), "following the Patroni cluster");
        Ok(router)
    }

    async fn start(
        primary: Option<PostgresStore>,
        replicas: Vec<Arc<Replica>>,
        patroni: Option<PatroniFollower>,
        config: RouterConfig,
    ) -> Result<Self, StoreError> {
        let shared = Arc::new(Shared {
            primary: RwLock::new(primary),
            replicas: RwLock::new(Arc::new(replicas)),
            patroni,
            timelines: RwLock::new(None),
            failover: FailoverStats::default(),
            primary_switches: tokio::sync::watch::Sender::new(0),
            config,
            sticky: Mutex::new(HashMap::new()),
            newest_write: AtomicU64::new(0),
            newest_revocation: AtomicU64::new(0),
            primary_health: Mutex::new(PrimaryHealth::default()),
            primary_reads: AtomicU64::new(0),
            replica_reads: AtomicU64::new(0),
            fallback_lagging: AtomicU64::new(0),
            fallback_no_replica: AtomicU64::new(0),
            fallback_replica_error: AtomicU64::new(0),
            rechecks: AtomicU64::new(0),
        });
        // One first poll of everything before serving, so reads start on
        // replicas rather than on the primary.
        if shared.patroni.is_some() {
            shared.poll_patroni().await;
        }
        shared.poll_primary().await;
        if shared.config.consistency == ReadConsistency::AllWritesThroughThisRouter {
            // Writes made before this router existed (through an earlier
            // handle) count as its own.
            // (`None` only if the primary died since it answered in `connect`.)
            let lsn = shared.primary_health.lock().lsn.unwrap_or(0);
            shared.newest_write.store(lsn, Ordering::Release);
        }
        shared.poll_replicas().await;
        let mut pollers = vec![
            tokio::spawn(primary_poller(Arc::downgrade(&shared))),
            tokio::spawn(replicas_poller(Arc::downgrade(&shared))),
        ];
        if shared.patroni.is_some() {
            pollers.push(tokio::spawn(patroni_poller(Arc::downgrade(&shared))));
        }
        Ok(Self { shared, pollers })
    }

    /// The primary and every replica as last seen.
    pub fn status(&self) -> RouterStatus {
        let s = &self.shared;
        let primary = s.primary_health.lock();
        RouterStatus {
            primary_url: s
                .primary
                .read()
                .as_ref()
                .map_or_else(|| "(no primary)".to_owned(), |p| p.url().to_owned()),
            primary_up: primary.error.is_none(),
            primary_lsn: primary.lsn,
            primary_error: primary.error.clone(),
            replicas: s
                .replicas
                .read()
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
            cluster: s.patroni.as_ref().map(|p| {
                let view = p.view.lock();
                ClusterStatus {
                    patroni_urls: p.client.urls().to_vec(),
                    leader: view.leader.clone(),
                    members: view.members.clone(),
                    last_error: view.last_error.clone(),
                    failovers: s.failover.failovers.load(Ordering::Relaxed),
                    failover_write_wait: s.config.failover_write_wait,
                }
            }),
            consistency: s.config.consistency,
            sticky_window: s.config.sticky_window,
            max_lag: s.config.max_lag,
            max_lag_bytes: s.config.max_lag_bytes,
        }
    }

    /// The primary's store, for operations that must run there (`None`
    /// while a followed Patroni cluster has no leader accepting writes).
    pub fn primary(&self) -> Option<PostgresStore> {
        self.shared.primary.read().clone()
    }
}

/// Replicas get the primary's pool settings, without migrations.
fn replica_pool(config: &RouterConfig) -> PostgresConfig {
    PostgresConfig {
        migrate: false,
        application_name: format!("{}-replica-reads", config.pool.application_name),
        ..config.pool.clone()
    }
}

impl Replica {
    fn new(index: usize, label: String, address: &str, store: PostgresStore) -> Self {
        Self {
            index,
            label,
            address: address.to_owned(),
            store,
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
        }
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

async fn replicas_poller(shared: std::sync::Weak<Shared>) {
    loop {
        let Some(s) = shared.upgrade() else { return };
        let interval = s.config.poll_interval;
        s.poll_replicas().await;
        drop(s);
        tokio::time::sleep(interval).await;
    }
}

async fn patroni_poller(shared: std::sync::Weak<Shared>) {
    loop {
        let Some(s) = shared.upgrade() else { return };
        let interval = s.config.patroni_poll_interval;
        s.poll_patroni().await;
        drop(s);
        tokio::time::sleep(interval).await;
    }
}

impl Shared {
    /// The current primary's store, if there is one.
    fn current_primary(&self) -> Option<PostgresStore> {
        self.primary.read().clone()
    }

    async fn poll_primary(&self) {
        let Some(primary) = self.current_primary() else {
            self.primary_health.lock().error = Some("no primary: waiting for a leader".into());
            return;
        };
        let result = tokio::time::timeout(self.config.poll_timeout, primary.current_wal_lsn())
            .await
            .unwrap_or_else(|_| {
                Err(StoreError::Unavailable {
                    reason: "the primary did not answer in time".into(),
                })
            });
        let mut health = self.primary_health.lock();
        match result {
            Ok(lsn) => {
                // Positions only grow, across a promotion too: the new
                // timeline starts where the promoted replica stopped.
                health.lsn = Some(health.lsn.unwrap_or(0).max(lsn));
                health.error = None;
            }
            Err(e) => health.error = Some(e.to_string()),
        }
    }

    /// Polls every replica at once, so one that hangs delays no other.
    async fn poll_replicas(self: &Arc<Self>) {
        let replicas = self.replicas.read().clone();
        let mut polls = tokio::task::JoinSet::new();
        for replica in replicas.iter() {
            let (shared, replica) = (self.clone(), replica.clone());
            polls.spawn(async move { shared.poll_replica(&replica).await });
        }
        while polls.join_next().await.is_some() {}
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

    /// Reads Patroni's view and follows it: a new leader that accepts
    /// writes becomes the primary; the other members become the replicas.
    async fn poll_patroni(&self) {
        let Some(patroni) = &self.patroni else { return };
        let members = match patroni.client.members().await {
            Ok(members) => members,
            Err(e) => {
                // Keep routing by the last view: the members themselves
                // may well be fine while Patroni's REST API is not.
                patroni.view.lock().last_error = Some(e.to_string());
                return;
            }
        };
        let leader = members
            .iter()
            .find(|m| m.role == MemberRole::Leader && m.state == "running");
        let current = patroni.view.lock().leader.clone();
        if let Some(leader) = leader
            && current.as_deref() != Some(leader.name.as_str())
        {
            self.switch_primary(patroni, leader).await;
        }
        self.follow_replicas(patroni, &members);
        let mut view = patroni.view.lock();
        view.members = members;
        view.last_error = None;
    }

    /// Points the primary pool at `leader` once it accepts writes.
    async fn switch_primary(&self, patroni: &PatroniFollower, leader: &ClusterMember) {
        let store = match PostgresStore::build_member(
            &patroni.base_url,
            &leader.address,
            self.config.pool.clone(),
        ) {
            Ok(store) => store,
            Err(e) => {
                patroni.view.lock().last_error = Some(e.to_string());
                return;
            }
        };
        // Patroni names the new leader a moment before its promotion
        // completes; until then it would refuse writes.
        let writable = tokio::time::timeout(self.config.poll_timeout, store.replay_status()).await;
        match writable {
            Ok(Ok(status)) if !status.in_recovery => {}
            _ => {
                let _ = store.close().await;
                return;
            }
        }
        self.keep_timelines(&store);
        let previous = self.primary.write().replace(store.clone());
        // Again, in case `enable_timelines` ran between the two: either it
        // saw this store as the primary, or this sees its settings.
        self.keep_timelines(&store);
        self.primary_switches.send_modify(|n| *n += 1);
        let old_leader = patroni.view.lock().leader.replace(leader.name.clone());
        if let Some(old_leader) = old_leader {
            self.failover.failovers.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(from = %old_leader, to = %leader.name, address = %leader.address, "the primary changed: writes now go to the new leader");
        }
        if let Some(previous) = previous {
            let _ = previous.close().await;
        }
    }

    /// Gives `store` the router's timeline settings, if they are on.
    fn keep_timelines(&self, store: &PostgresStore) {
        if let Some(settings) = *self.timelines.read() {
            // A PostgresStore always accepts them.
            let _ = store.enable_timelines(settings);
        }
    }

    /// Makes the replica set Patroni's non-leader members, keeping the
    /// state of members that were already replicas.
    fn follow_replicas(&self, patroni: &PatroniFollower, members: &[ClusterMember]) {
        let current = self.replicas.read().clone();
        let primary_address = patroni
            .view
            .lock()
            .leader
            .as_ref()
            .and_then(|name| members.iter().find(|m| &m.name == name))
            .map(|m| m.address.clone());
        let wanted: Vec<&ClusterMember> = members
            .iter()
            .filter(|m| m.role == MemberRole::Replica)
            .filter(|m| primary_address.as_deref() != Some(m.address.as_str()))
            .collect();
        let unchanged = wanted.len() == current.len()
            && wanted
                .iter()
                .zip(current.iter())
                .all(|(m, r)| m.address == r.address);
        if unchanged {
            for (member, replica) in wanted.iter().zip(current.iter()) {
                self.bench_if_lagging(replica, member);
            }
            return;
        }
        let pool = replica_pool(&self.config);
        let mut next = Vec::with_capacity(wanted.len());
        for (index, member) in wanted.into_iter().enumerate() {
            let replica = match current.iter().find(|r| r.address == member.address) {
                Some(existing) => existing.clone(),
                None => match PostgresStore::build_member(
                    &patroni.base_url,
                    &member.address,
                    pool.clone(),
                ) {
                    Ok(store) => Arc::new(Replica::new(
                        index,
                        member.name.clone(),
                        &member.address,
                        store,
                    )),
                    Err(e) => {
                        tracing::warn!(member = %member.name, error = %e, "cannot reach a replica");
                        continue;
                    }
                },
            };
            self.bench_if_lagging(&replica, member);
            next.push(replica);
        }
        tracing::info!(replicas = ?next.iter().map(|r| r.label.as_str()).collect::<Vec<_>>(), "replica set changed");
        *self.replicas.write() = Arc::new(next);
    }

    /// Benches a replica Patroni reports further behind than
    /// `max_lag_bytes` (what `GET /replica?lag=…` would refuse), or not
    /// streaming.
    fn bench_if_lagging(&self, replica: &Replica, member: &ClusterMember) {
        let lagging = member
            .lag_bytes
            .is_some_and(|lag| lag > self.config.max_lag_bytes);
        let streaming = member.state == "streaming" || member.state == "running";
        if lagging || !streaming {
            let mut h = replica.health.lock();
            let reason = if lagging {
                format!(
                    "Patroni reports it {} bytes behind",
                    member.lag_bytes.unwrap_or(0)
                )
            } else {
                format!("Patroni reports it {}", member.state)
            };
            self.bench(replica, &mut h, reason);
        }
    }

    /// The primary, once it accepts a connection. Following Patroni, waits
    /// up to `failover_write_wait` for one (a failover in progress), then
    /// gives up with `StoreError::Unavailable`. Nothing has been sent when
    /// this fails, so waiting and calling again is always safe.
    async fn writable_primary(&self) -> Result<PostgresStore, StoreError> {
        let started = Instant::now();
        let mut waited = false;
        loop {
            let error = match self.current_primary() {
                Some(primary) => match primary.ready().await {
                    Ok(()) => {
                        if waited {
                            let f = &self.failover;
                            f.writes_waited.fetch_add(1, Ordering::Relaxed);
                            f.write_wait_micros
                                .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
                        }
                        return Ok(primary);
                    }
                    Err(e) => e,
                },
                None => StoreError::Unavailable {
                    reason: "no leader accepts writes yet".into(),
                },
            };
            if self.patroni.is_none() {
                return Err(error);
            }
            if started.elapsed() >= self.config.failover_write_wait {
                self.failover.writes_refused.fetch_add(1, Ordering::Relaxed);
                return Err(StoreError::Unavailable {
                    reason: format!(
                        "no primary accepted writes within {:?} (a failover may be in progress): {error}",
                        self.config.failover_write_wait
                    ),
                });
            }
            waited = true;
            tokio::time::sleep(
                self.config
                    .patroni_poll_interval
                    .min(Duration::from_millis(100)),
            )
            .await;
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
        let position = match self.current_primary() {
            Some(primary) => primary.current_wal_lsn().await,
            None => Err(StoreError::Unavailable {
                reason: "no primary".into(),
            }),
        };
        let lsn = match position {
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
    fn usable_replicas(&self) -> Vec<Arc<Replica>> {
        let now = Instant::now();
        let replicas = self.replicas.read().clone();
        let mut usable: Vec<Arc<Replica>> = replicas
            .iter()
            .filter(|r| {
                let h = r.health.lock();
                h.state == ReplicaState::Healthy && h.benched_until.is_none_or(|t| now >= t)
            })
            .cloned()
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
    ///
    /// `op` gets the store by value (a pool handle) because the replica set
    /// and the primary may be replaced while the read runs.
    async fn read<'a, T>(
        &'a self,
        requirement: Requirement,
        op: impl Fn(PostgresStore) -> BoxFuture<'a, Result<T, StoreError>>,
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
        for replica in &usable {
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
            let result = op(replica.store.clone()).await;
            replica.outstanding.fetch_sub(1, Ordering::Relaxed);
            match result {
                Ok(value) => {
                    replica.reads.fetch_add(1, Ordering::Relaxed);
                    self.replica_reads.fetch_add(1, Ordering::Relaxed);
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
        // Following Patroni, a read finding no primary waits for one like
        // a write does (reads never change anything, so this is safe).
        op(self.writable_primary().await?).await
    }

    /// Runs a write on the primary (see [`Shared::writable_primary`]). A
    /// write still in flight when the primary changes is abandoned and
    /// reported as unavailable, never as done: after a failover the old
    /// primary's unreplicated tail is rewound away, and PostgreSQL would
    /// report a commit whose synchronous-replication wait was cancelled
    /// as a success.
    async fn write<'a, T, E: From<StoreError>>(
        &'a self,
        op: impl FnOnce(PostgresStore) -> BoxFuture<'a, Result<T, E>>,
    ) -> Result<T, E> {
        let mut switched = self.primary_switches.subscribe();
        let primary = loop {
            // The primary is replaced before the switch count is bumped, so
            // a primary taken after reading the count is at least that new;
            // if the count moved meanwhile, take the newer one.
            let seen = *switched.borrow_and_update();
            let primary = self.writable_primary().await?;
            if *switched.borrow_and_update() == seen {
                break primary;
            }
        };
        tokio::select! {
            result = op(primary) => result,
            _ = switched.changed() => Err(StoreError::Unavailable {
                reason: "the primary changed while this write was in flight: it may or may not \
                         have been applied"
                    .into(),
            }
            .into()),
        }
    }
}

#[async_trait]
impl Store for ReplicaRouter {
    fn kind(&self) -> &'static str {
        "postgres_router"
    }

    async fn create_user(&self, new: NewUser) -> Result<User, RegisterError> {
        let s = &self.shared;
        let user = s
            .write(|p| Box::pin(async move { p.create_user(new).await }))
            .await?;
        s.record_write(Some(user.id), false).await;
        Ok(user)
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let s = &self.shared;
        s.read(s.requirement(Some(id), 0), |store| {
            Box::pin(async move { store.user(id).await })
        })
        .await
    }

    async fn credentials(&self, username: &Username) -> Result<Option<Credentials>, StoreError> {
        self.shared
            .writable_primary()
            .await?
            .credentials(username)
            .await
    }

    async fn create_photo(&self, new: NewPhoto) -> Result<Photo, PostPhotoError> {
        let s = &self.shared;
        let author = new.author;
        let photo = s
            .write(|p| Box::pin(async move { p.create_photo(new).await }))
            .await?;
        s.record_write(Some(author), false).await;
        Ok(photo)
    }

    async fn delete_photo(
        &self,
        photo: PhotoId,
        requester: UserId,
    ) -> Result<Photo, DeletePhotoError> {
        let s = &self.shared;
        let deleted = s
            .write(|p| Box::pin(async move { p.delete_photo(photo, requester).await }))
            .await?;
        s.record_write(Some(requester), false).await;
        Ok(deleted)
    }

    async fn media_in_use(&self, key: &MediaKey) -> Result<bool, StoreError> {
        // The primary only: a lagging replica could still show a photo
        // that was deleted, or miss one just posted with the same bytes.
        self.shared
            .writable_primary()
            .await?
            .media_in_use(key)
            .await
    }

    async fn photo(&self, id: PhotoId, viewer: UserId) -> Result<Option<PhotoView>, StoreError> {
        let s = &self.shared;
        s.read(s.requirement(Some(viewer), 0), |store| {
            Box::pin(async move { store.photo(id, viewer).await })
        })
        .await
    }

    async fn like(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError> {
        let s = &self.shared;
        let count = s
            .write(|p| Box::pin(async move { p.like(user, photo).await }))
            .await?;
        s.record_write(Some(user), false).await;
        Ok(count)
    }

    async fn unlike(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError> {
        let s = &self.shared;
        let count = s
            .write(|p| Box::pin(async move { p.unlike(user, photo).await }))
            .await?;
        s.record_write(Some(user), false).await;
        Ok(count)
    }

    async fn follow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError> {
        let s = &self.shared;
        s.write(|p| Box::pin(async move { p.follow(follower, followee).await }))
            .await?;
        s.record_write(Some(follower), false).await;
        Ok(())
    }

    async fn unfollow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError> {
        let s = &self.shared;
        s.write(|p| Box::pin(async move { p.unfollow(follower, followee).await }))
            .await?;
        s.record_write(Some(follower), false).await;
        Ok(())
    }

    async fn profile(&self, user: UserId, viewer: UserId) -> Result<Option<Profile>, StoreError> {
        let s = &self.shared;
        s.read(s.requirement(Some(viewer), 0), |store| {
            Box::pin(async move { store.profile(user, viewer).await })
        })
        .await
    }

    async fn followees(&self, user: UserId) -> Result<Vec<UserId>, StoreError> {
        let s = &self.shared;
        s.read(s.requirement(Some(user), 0), |store| {
            Box::pin(async move { store.followees(user).await })
        })
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
            Box::pin(async move { store.photos_by_authors(authors, viewer, page).await })
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
            Box::pin(async move { store.followed_photos(viewer, page).await })
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
            Box::pin(async move { store.global_photos(viewer, page).await })
        })
        .await
    }

    async fn revoke_token(
        &self,
        token_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let s = &self.shared;
        s.write(|p| Box::pin(async move { p.revoke_token(token_id, expires_at).await }))
            .await?;
        s.record_write(None, true).await;
        Ok(())
    }

    async fn is_token_revoked(&self, token_id: &str) -> Result<bool, StoreError> {
        let s = &self.shared;
        let revoked = s.newest_revocation.load(Ordering::Acquire);
        s.read(s.requirement(None, revoked), |store| {
            Box::pin(async move { store.is_token_revoked(token_id).await })
        })
        .await
    }

    async fn setting_or_insert(&self, key: &str, default: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        self.shared
            .write(|p| Box::pin(async move { p.setting_or_insert(key, default).await }))
            .await
    }

    fn enable_timelines(&self, settings: TimelineSettings) -> Result<(), StoreError> {
        let s = &self.shared;
        *s.timelines.write() = Some(settings);
        if let Some(primary) = s.current_primary() {
            s.keep_timelines(&primary);
        }
        Ok(())
    }

    fn timeline_settings(&self) -> Option<TimelineSettings> {
        *self.shared.timelines.read()
    }

    async fn claim_fanout_job(&self, lease: Duration) -> Result<Option<FanoutJob>, StoreError> {
        self.shared
            .write(|p| Box::pin(async move { p.claim_fanout_job(lease).await }))
            .await
    }

    async fn fan_out(
        &self,
        job: &FanoutJob,
        batch: usize,
        lease: Duration,
    ) -> Result<FanoutProgress, StoreError> {
        self.shared
            .write(|p| Box::pin(async move { p.fan_out(job, batch, lease).await }))
            .await
    }

    async fn fanout_queue_depth(&self) -> Result<u64, StoreError> {
        self.shared
            .writable_primary()
            .await?
            .fanout_queue_depth()
            .await
    }

    async fn timeline(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Option<TimelineSlice>, StoreError> {
        // A replica's snapshot is a past state of the primary's, so the
        // timeline's invariant holds there too; read-your-writes as for
        // every read of `user`.
        let s = &self.shared;
        s.read(s.requirement(Some(user), 0), |store| {
            Box::pin(async move { store.timeline(user, page).await })
        })
        .await
    }

    async fn mark_active(&self, user: UserId) -> Result<(), StoreError> {
        // Not a write the user reads back: no read-your-writes window.
        self.shared
            .write(|p| Box::pin(async move { p.mark_active(user).await }))
            .await
    }

    async fn rebuild_timeline(&self, user: UserId) -> Result<(), StoreError> {
        let s = &self.shared;
        s.write(|p| Box::pin(async move { p.rebuild_timeline(user).await }))
            .await?;
        s.record_write(Some(user), false).await;
        Ok(())
    }

    async fn health(&self) -> Result<(), StoreError> {
        match self.shared.current_primary() {
            Some(primary) => primary.health().await,
            None => Err(StoreError::Unavailable {
                reason: "no leader accepts writes yet".into(),
            }),
        }
    }

    fn metrics(&self) -> Vec<StoreMetric> {
        let s = &self.shared;
        let counter = StoreMetric::counter;
        let gauge = StoreMetric::gauge;
        let mut metrics = s.current_primary().map(|p| p.metrics()).unwrap_or_default();
        let f = &s.failover;
        metrics.extend([
            counter(
                "minigram_router_failovers_total",
                "Changes of primary followed (Patroni leader changes).",
                f.failovers.load(Ordering::Relaxed),
            ),
            counter(
                "minigram_router_writes_waited_total",
                "Writes that waited for a primary to accept them (a failover in progress).",
                f.writes_waited.load(Ordering::Relaxed),
            ),
            StoreMetric::float_counter(
                "minigram_router_write_wait_seconds_total",
                "Total time writes spent waiting for a primary.",
                f.write_wait_micros.load(Ordering::Relaxed) as f64 / 1e6,
            ),
            counter(
                "minigram_router_writes_refused_failover_total",
                "Writes refused because no primary accepted them within the failover wait.",
                f.writes_refused.load(Ordering::Relaxed),
            ),
            counter(
                "minigram_router_primary_reads_total",
                "Reads served by the primary.",
                s.primary_reads.load(Ordering::Relaxed),
            ),
            counter(
                "minigram_router_replica_reads_total",
                "Reads served by any replica.",
                s.replica_reads.load(Ordering::Relaxed),
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
        for r in s.replicas.read().iter() {
            let h = r.health.lock();
            let replica = r.label.clone();
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
        let replicas = self.shared.replicas.read().clone();
        for replica in replicas.iter() {
            replica.store.close().await?;
        }
        match self.shared.current_primary() {
            Some(primary) => primary.close().await,
            None => Ok(()),
        }
    }
}
