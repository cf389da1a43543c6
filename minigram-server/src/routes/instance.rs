use axum::extract::State;
use minigram::rate_limit::Quota;

use crate::AppState;
use crate::body::{
    CacheStaleness, FeedJson, InstanceJson, PasswordHashSettings, QuotaJson, RateLimitSettings,
};
use crate::config::CacheMode;
use crate::extract::Json;

/// `GET /api/instance`: which instance answers, what it runs on, and how
/// stale other users' reads may be (0: one store, no cache, no replicas;
/// behind a replica router, its lag limit).
#[utoipa::path(
    get,
    path = "/api/instance",
    tag = "operations",
    responses((status = 200, description = "This instance's configuration.", body = InstanceJson)),
)]
pub(crate) async fn instance(State(state): State<AppState>) -> Json<InstanceJson> {
    let minigram = state.minigram();
    let hash = minigram.hasher().config();
    let cache_staleness = cache_staleness(&state);
    let mut body = InstanceJson {
        instance: state.settings().instance_id.clone(),
        version: env!("CARGO_PKG_VERSION"),
        uptime_s: state.uptime().as_secs(),
        store: minigram.store().kind(),
        replicas: 0,
        cache: state.cache_mode().as_str(),
        staleness_bound_ms: cache_staleness.other_instances_ms,
        cache_staleness,
        rate_limit: rate_limit(&state),
        feed: minigram.feed_strategy().name(),
        feed_status: FeedJson::of(minigram).await,
        password_hash: PasswordHashSettings {
            algorithm: "argon2id",
            memory_kib: hash.memory_kib,
            iterations: hash.iterations,
            parallelism: hash.parallelism,
            max_concurrent: hash.max_concurrent,
        },
        max_upload_bytes: state.settings().max_upload_bytes,
        read_consistency: None,
        sticky_window_ms: None,
        cluster: None,
    };
    add_replication(&state, &mut body);
    Json(body)
}

/// How stale a cached read can be (`docs/cache.md`): never through the
/// instance that took the write; through another instance sharing the
/// store, `other_instances_ms` (the embedded store has one instance).
fn cache_staleness(state: &AppState) -> CacheStaleness {
    let shared_store = state.minigram().store().kind() != "embedded";
    let bound = |other_instances_ms, note| CacheStaleness {
        same_instance_ms: 0,
        writer_other_instances_ms: None,
        other_instances_ms,
        note,
    };
    match state.cache_mode() {
        CacheMode::None => bound(0, None),
        CacheMode::Memory if shared_store => bound(
            L1_TTL_MS,
            Some("in-process cache only: other instances' writes show within the L1 TTL"),
        ),
        CacheMode::Memory => bound(0, None),
        CacheMode::Redis => bound(
            0,
            Some("every Redis answer is validated against the version keys"),
        ),
        CacheMode::Tiered => CacheStaleness {
            writer_other_instances_ms: Some(0),
            ..bound(
                L1_TTL_MS,
                Some(
                    "other users' writes through another instance: the pub/sub delay \
                     (milliseconds); at most the L1 TTL while Redis is unreachable",
                ),
            )
        },
    }
}

/// The L1 TTL for mutable values (`docs/cache.md`).
const L1_TTL_MS: u64 = 10_000;

/// Whether rate limiting is on, where its counts live, and the quotas.
fn rate_limit(state: &AppState) -> RateLimitSettings {
    let Some(limits) = state.rate_limits() else {
        return RateLimitSettings {
            enabled: false,
            backend: None,
            loopback_exempt: None,
            auth_per_ip: None,
            auth_per_username: None,
            writes_per_user: None,
        };
    };
    let quota = |q: Quota| {
        Some(QuotaJson {
            count: q.count,
            period_s: q.period.as_secs(),
            burst: q.burst,
        })
    };
    RateLimitSettings {
        enabled: true,
        backend: Some(limits.backend()),
        loopback_exempt: Some(!limits.includes_loopback()),
        auth_per_ip: quota(limits.auth_ip),
        auth_per_username: quota(limits.auth_user),
        writes_per_user: quota(limits.write),
    }
}

/// With a replica router: `store` is `postgres`, with the replica count,
/// the read consistency, and the staleness bound for other users' writes
/// (replicas further behind are benched). A user's own writes are always
/// visible to them within the sticky window.
#[cfg(feature = "postgres")]
fn add_replication(state: &AppState, body: &mut InstanceJson) {
    use minigram::store::ReadConsistency;

    let Some(router) = state.router() else {
        return;
    };
    let status = router.status();
    let (consistency, bound) = match status.consistency {
        ReadConsistency::ReadYourWrites => ("read_your_writes", status.max_lag.as_millis() as u64),
        _ => ("all_writes", 0),
    };
    body.store = "postgres";
    body.replicas = status.replicas.len();
    body.read_consistency = Some(consistency);
    body.sticky_window_ms = Some(status.sticky_window.as_millis() as u64);
    body.staleness_bound_ms = body.staleness_bound_ms.max(bound);
    body.cluster = status.cluster.as_ref().map(Into::into);
}

#[cfg(not(feature = "postgres"))]
fn add_replication(_state: &AppState, _body: &mut InstanceJson) {}
