//! The limiter the server calls: Redis-backed when configured, in-process
//! otherwise and whenever Redis cannot answer.

use super::local_limiter::LocalLimiter;
use super::quota::{Admitted, Quota, RetryAfter};

#[cfg(feature = "redis")]
const SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - tolerance
if allow_at > now then return {0, allow_at - now, tat - now} end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
return {1, math.floor((now + tolerance - new_tat) / interval), new_tat - now}
";

/// A keyed GCRA rate limiter. With Redis, every instance sharing that Redis
/// shares each key's budget (one atomic Lua script, on the Redis server's
/// clock); when Redis errs or times out (circuit breaker), the in-process
/// limiter answers, so limits keep holding per instance.
#[derive(Debug)]
pub struct RateLimiter {
    local: LocalLimiter,
    #[cfg(feature = "redis")]
    redis: Option<RedisBackend>,
}

#[cfg(feature = "redis")]
struct RedisBackend {
    client: redis::Client,
    connection: tokio::sync::Mutex<Option<redis::aio::ConnectionManager>>,
    prefix: String,
    timeout: std::time::Duration,
    breaker: crate::cache::circuit_breaker::CircuitBreaker,
    script: redis::Script,
}

#[cfg(feature = "redis")]
impl std::fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBackend")
            .field("prefix", &self.prefix)
            .field("breaker", &self.breaker.state())
            .finish_non_exhaustive()
    }
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::in_process()
    }
}

impl RateLimiter {
    /// Limits in this process only.
    pub fn in_process() -> Self {
        Self {
            local: LocalLimiter::new(),
            #[cfg(feature = "redis")]
            redis: None,
        }
    }

    /// Limits shared through the Redis at `url`, keys under `prefix`.
    #[cfg(feature = "redis")]
    pub fn redis(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        Ok(Self {
            local: LocalLimiter::new(),
            redis: Some(RedisBackend {
                client: redis::Client::open(url)?,
                connection: tokio::sync::Mutex::new(None),
                prefix: prefix.to_owned(),
                timeout: std::time::Duration::from_millis(100),
                breaker: crate::cache::circuit_breaker::CircuitBreaker::new(
                    crate::cache::BreakerConfig::default(),
                ),
                script: redis::Script::new(SCRIPT),
            }),
        })
    }

    /// Whether Redis is answering (`None` without Redis).
    #[cfg(feature = "redis")]
    pub fn redis_state(&self) -> Option<crate::cache::BreakerState> {
        self.redis.as_ref().map(|backend| backend.breaker.state())
    }

    /// Admits or refuses one request of `key` under `quota`.
    pub async fn check(&self, key: &str, quota: Quota) -> Result<Admitted, RetryAfter> {
        #[cfg(feature = "redis")]
        if let Some(backend) = &self.redis
            && let Some(answer) = backend.check(key, quota).await
        {
            return answer;
        }
        self.local.check(key, quota)
    }
}

#[cfg(feature = "redis")]
impl RedisBackend {
    async fn check(&self, key: &str, quota: Quota) -> Option<Result<Admitted, RetryAfter>> {
        use crate::cache::circuit_breaker::Permit;
        if self.breaker.allow() == Permit::Skip {
            return None;
        }
        let answer = tokio::time::timeout(self.timeout * 2, self.call(key, quota))
            .await
            .ok()
            .flatten();
        match answer {
            Some((admitted, a, b)) => {
                self.breaker.succeeded();
                let micros = |v: i64| std::time::Duration::from_micros(v.max(0) as u64);
                Some(if admitted == 1 {
                    Ok(Admitted {
                        limit: quota.burst,
                        remaining: a.max(0) as u32,
                        reset: micros(b),
                    })
                } else {
                    Err(RetryAfter {
                        retry_after: micros(a),
                        limit: quota.burst,
                        reset: micros(b),
                    })
                })
            }
            None => {
                self.breaker.failed();
                None
            }
        }
    }

    async fn call(&self, key: &str, quota: Quota) -> Option<(i64, i64, i64)> {
        let mut connection = {
            let mut slot = self.connection.lock().await;
            if slot.is_none() {
                let config = redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(self.timeout))
                    .set_response_timeout(Some(self.timeout))
                    .set_number_of_retries(1);
                *slot = self
                    .client
                    .get_connection_manager_with_config(config)
                    .await
                    .ok();
            }
            slot.clone()?
        };
        self.script
            .key(format!("{}{key}", self.prefix))
            .arg(quota.interval_micros())
            .arg(quota.tolerance_micros())
            .invoke_async::<(i64, i64, i64)>(&mut connection)
            .await
            .ok()
    }
}
