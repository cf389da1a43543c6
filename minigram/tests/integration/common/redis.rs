//! One real `redis-server` per test binary, shared by its tests; each test
//! gets its own key prefix, so tests never see each other's keys.
//!
//! Without redis-server these tests fail (never skip) with what to install.

use std::sync::atomic::{AtomicUsize, Ordering};

use minigram::cache::{CacheConfig, MemoryTierConfig, RedisTierConfig};
use minigram_devcluster::RedisServer;
use tokio::sync::OnceCell;

static REDIS: OnceCell<RedisServer> = OnceCell::const_new();
static PREFIXES: AtomicUsize = AtomicUsize::new(0);

/// The shared server, started by the first caller.
pub async fn shared() -> &'static RedisServer {
    REDIS
        .get_or_init(|| async {
            let server = RedisServer::start_new().await.unwrap_or_else(|e| {
                panic!("these tests need Redis and it could not be started: {e}")
            });
            server.stop_when_process_exits().unwrap();
            server
        })
        .await
}

/// A key prefix no other test of this process uses.
pub fn fresh_prefix() -> String {
    format!(
        "t{}-{}:",
        std::process::id(),
        PREFIXES.fetch_add(1, Ordering::Relaxed)
    )
}

/// A Redis tier on `url` under `prefix`.
pub fn redis_tier(url: &str, prefix: &str) -> RedisTierConfig {
    RedisTierConfig {
        key_prefix: prefix.to_owned(),
        ..RedisTierConfig::new(url)
    }
}

/// L2 alone.
pub fn redis_only(url: &str, prefix: &str) -> CacheConfig {
    CacheConfig {
        memory: None,
        redis: Some(redis_tier(url, prefix)),
    }
}

/// L1 over L2.
pub fn tiered(url: &str, prefix: &str) -> CacheConfig {
    CacheConfig {
        memory: Some(MemoryTierConfig::default()),
        redis: Some(redis_tier(url, prefix)),
    }
}
