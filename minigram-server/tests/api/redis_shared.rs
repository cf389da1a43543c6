//! One throwaway `redis-server` per test binary, shared by the tests that
//! run with `--cache tiered` or Redis-backed rate limits. Each test server
//! gets its own key prefix (`--redis-prefix`), so tests never see each
//! other's keys. Tests that kill Redis start their own.
//!
//! Without `redis-server` these tests fail (never skip) with what to install.

use std::sync::atomic::{AtomicUsize, Ordering};

use minigram_devcluster::RedisServer;
use tokio::sync::OnceCell;

/// What to do when Redis cannot be started.
pub const INSTALL_HINT: &str = "the Redis tests need `redis-server` on PATH: install it \
     (Debian/Ubuntu: `apt-get install redis-server`; Fedora: `dnf install redis`; macOS: \
     `brew install redis`), or run scripts/test.sh, which installs it when missing";

static REDIS: OnceCell<RedisServer> = OnceCell::const_new();
static PREFIXES: AtomicUsize = AtomicUsize::new(0);

/// The shared Redis, started by the first caller.
pub async fn shared() -> &'static RedisServer {
    REDIS
        .get_or_init(|| async {
            let redis = own().await;
            redis.stop_when_process_exits().unwrap();
            redis
        })
        .await
}

/// A Redis of the caller's own (stopped when dropped).
pub async fn own() -> RedisServer {
    RedisServer::start_new()
        .await
        .unwrap_or_else(|e| panic!("{INSTALL_HINT}.\nStarting it failed: {e}"))
}

/// A key prefix no other test server uses.
pub fn fresh_prefix() -> String {
    format!("t{}:", PREFIXES.fetch_add(1, Ordering::Relaxed))
}
