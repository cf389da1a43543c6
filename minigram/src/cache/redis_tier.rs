//! The shared tier: Redis, behind a circuit breaker.
//!
//! Three Lua scripts keep every check atomic on the server:
//! - **get** answers an entry only when each dependency version recorded in
//!   it still holds, and returns the version sequence (taken before the
//!   caller reads the store on a miss);
//! - **put** stores an entry only when no dependency was bumped since that
//!   sequence, recording the versions it was read under;
//! - **bump** raises the dependencies' versions to the next sequence value
//!   and publishes them to the other instances, in one step.

use std::collections::HashSet;
use std::sync::Arc;

use parking_lot::Mutex;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{Client, Script};

use super::cache_config::{RedisTierConfig, jittered};
use super::cache_counters::{CacheCounters, add};
use super::circuit_breaker::{BreakerState, CircuitBreaker, Permit};
use super::dependency::Dependency;
use crate::domain::UserId;

const GET: &str = r"
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
local e = redis.call('HMGET', KEYS[1], 'b', 'd')
if not e[1] then return {seq, false} end
if e[2] then
  for k, v in string.gmatch(e[2], '(%S+)=(%d+)') do
    if (redis.call('GET', k) or '0') ~= v then return {seq, false} end
  end
end
return {seq, e[1]}
";

const PUT: &str = r"
local start = tonumber(ARGV[1])
local d = {}
for i = 4, #ARGV do
  local v = redis.call('GET', ARGV[i]) or '0'
  if tonumber(v) > start then return 0 end
  d[#d + 1] = ARGV[i] .. '=' .. v
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'b', ARGV[3], 'd', table.concat(d, ' '))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
";

const BUMP: &str = r"
local s = redis.call('INCR', KEYS[1])
for i = 4, #ARGV do redis.call('SET', ARGV[i], s, 'PX', ARGV[1]) end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return s
";

/// Versions outlive every entry recorded under them, so a version never
/// expires while an entry could still compare against it.
const VERSION_TTL: Duration = Duration::from_secs(24 * 3600);

/// Bumps kept while Redis is unreachable, replayed when it is back.
const MAX_PENDING: usize = 10_000;

/// A connection to the shared tier.
pub(crate) struct RedisTier {
    pub config: RedisTierConfig,
    client: Client,
    connection: tokio::sync::Mutex<Option<ConnectionManager>>,
    breaker: CircuitBreaker,
    /// Identifies this instance's invalidation messages.
    pub instance: String,
    get: Script,
    put: Script,
    bump: Script,
    pending: Mutex<HashSet<Dependency>>,
    counters: Arc<CacheCounters>,
}

impl std::fmt::Debug for RedisTier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTier")
            .field("url", &self.config.url)
            .field("instance", &self.instance)
            .field("breaker", &self.breaker.state())
            .finish_non_exhaustive()
    }
}

impl RedisTier {
    pub(crate) fn new(
        config: RedisTierConfig,
        counters: Arc<CacheCounters>,
    ) -> Result<Self, redis::RedisError> {
        let client = Client::open(config.url.as_str())?;
        Ok(Self {
            breaker: CircuitBreaker::new(config.breaker),
            config,
            client,
            connection: tokio::sync::Mutex::new(None),
            instance: format!("{:016x}", rand::random::<u64>()),
            get: Script::new(GET),
            put: Script::new(PUT),
            bump: Script::new(BUMP),
            pending: Mutex::new(HashSet::new()),
            counters,
        })
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn channel(&self) -> String {
        format!("{}invalidate", self.config.key_prefix)
    }

    fn sequence_key(&self) -> String {
        format!("{}seq", self.config.key_prefix)
    }

    pub(crate) fn version_key(&self, dep: Dependency) -> String {
        format!("{}v:{}", self.config.key_prefix, dep.code())
    }

    pub(crate) fn breaker_state(&self) -> BreakerState {
        self.breaker.state()
    }

    async fn connect(&self) -> Option<ConnectionManager> {
        let mut slot = self.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Some(connection.clone());
        }
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.config.timeout))
            .set_response_timeout(Some(self.config.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let connection = tokio::time::timeout(
            self.config.timeout * 2,
            self.client.get_connection_manager_with_config(config),
        )
        .await
        .ok()?
        .ok()?;
        *slot = Some(connection.clone());
        Some(connection)
    }

    /// Runs one Redis call under the breaker and the deadline; `None` when
    /// it was skipped, failed or timed out (counted as an error).
    async fn call<T, F, Fut>(&self, call: F) -> Option<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        if self.breaker.allow() == Permit::Skip {
            return None;
        }
        let outcome = match self.connect().await {
            Some(connection) => tokio::time::timeout(self.config.timeout, call(connection))
                .await
                .ok()
                .and_then(Result::ok),
            None => None,
        };
        match outcome {
            Some(value) => {
                if self.breaker.succeeded() {
                    self.replay_pending().await;
                }
                Some(value)
            }
            None => {
                add(&self.counters.l2.errors);
                self.breaker.failed();
                None
            }
        }
    }

    /// The entry under `key` when every version it was read under holds,
    /// and the version sequence before a store read. `None` when Redis could
    /// not answer.
    pub(crate) async fn get(&self, key: &str) -> Option<(u64, Option<Vec<u8>>)> {
        let sequence = self.sequence_key();
        let script = &self.get;
        self.call(|mut connection| async move {
            script
                .key(key)
                .key(sequence)
                .invoke_async::<(u64, Option<Vec<u8>>)>(&mut connection)
                .await
        })
        .await
    }

    /// Stores `value` under `key` unless a dependency changed after `start`.
    pub(crate) async fn put(
        &self,
        key: &str,
        value: &[u8],
        deps: &[Dependency],
        start: u64,
        immutable: bool,
    ) {
        let ttl = if immutable {
            self.config.immutable_ttl
        } else {
            self.config.ttl
        };
        let ttl = jittered(ttl, self.config.jitter).as_millis().max(1) as u64;
        let versions: Vec<String> = deps.iter().map(|dep| self.version_key(*dep)).collect();
        let script = &self.put;
        self.call(|mut connection| async move {
            let mut invocation = script.key(key);
            invocation.arg(start).arg(ttl).arg(value);
            for version in &versions {
                invocation.arg(version);
            }
            invocation.invoke_async::<i64>(&mut connection).await
        })
        .await;
    }

    /// Bumps `deps` in Redis and tells the other instances; when Redis
    /// cannot be reached the bump is kept and replayed once it can.
    pub(crate) async fn bump(&self, deps: &[Dependency]) {
        if self.send_bump(deps).await.is_none() {
            let mut pending = self.pending.lock();
            if pending.len() + deps.len() <= MAX_PENDING {
                pending.extend(deps.iter().copied());
            }
        }
    }

    async fn send_bump(&self, deps: &[Dependency]) -> Option<u64> {
        let message = std::iter::once(self.instance.clone())
            .chain(deps.iter().map(|dep| dep.code()))
            .collect::<Vec<_>>()
            .join(" ");
        let versions: Vec<String> = deps.iter().map(|dep| self.version_key(*dep)).collect();
        let (sequence, channel) = (self.sequence_key(), self.channel());
        let script = &self.bump;
        self.call(|mut connection| async move {
            let mut invocation = script.key(sequence);
            invocation
                .arg(VERSION_TTL.as_millis() as u64)
                .arg(channel)
                .arg(message);
            for version in &versions {
                invocation.arg(version);
            }
            invocation.invoke_async::<u64>(&mut connection).await
        })
        .await
    }

    /// Replays the bumps Redis missed, once, right after it came back.
    async fn replay_pending(&self) {
        let deps: Vec<Dependency> = {
            let mut pending = self.pending.lock();
            pending.drain().collect()
        };
        if deps.is_empty() {
            return;
        }
        // Not through `call`: the breaker just closed, and a failure here
        // must not recurse.
        let Some(mut connection) = self.connection.lock().await.clone() else {
            return;
        };
        let message = std::iter::once(self.instance.clone())
            .chain(deps.iter().map(|dep| dep.code()))
            .collect::<Vec<_>>()
            .join(" ");
        let mut invocation = self.bump.key(self.sequence_key());
        invocation
            .arg(VERSION_TTL.as_millis() as u64)
            .arg(self.channel())
            .arg(message);
        for dep in &deps {
            invocation.arg(self.version_key(*dep));
        }
        let replay = invocation.invoke_async::<u64>(&mut connection);
        if !matches!(
            tokio::time::timeout(self.config.timeout, replay).await,
            Ok(Ok(_))
        ) {
            add(&self.counters.l2.errors);
            self.breaker.failed();
            let mut pending = self.pending.lock();
            pending.extend(deps);
        }
    }

    /// The write version of `viewer` in Redis (0 when never bumped).
    pub(crate) async fn viewer_version(&self, viewer: UserId) -> Option<u64> {
        let key = self.version_key(Dependency::Viewer(viewer));
        self.call(|mut connection| async move {
            redis::cmd("GET")
                .arg(key)
                .query_async::<Option<u64>>(&mut connection)
                .await
        })
        .await
        .map(Option::unwrap_or_default)
    }
}
