//! Home timelines in Redis sorted sets, for PostgreSQL deployments
//! (features `postgres` and `redis`): the source of truth, the fan-out
//! queue and the locks stay in PostgreSQL; only the timelines' entries and
//! exact boundaries move to Redis, where an insert is a `ZADD` instead of
//! a B-tree row with its WAL.
//!
//! Per user, two keys with the hash tag `{user_id}`, so both live in one
//! Redis Cluster slot and each script below touches one slot only:
//! - `{prefix}tl:{id}`, a sorted set: member and score are the photo id;
//! - `{prefix}tlm:{id}`, a hash: `c` is `complete_above` (see
//!   `store::timeline`). No hash: the user has no timeline (never built,
//!   dropped as inactive, or lost with a Redis restart); reads then use
//!   pull while it is rebuilt from PostgreSQL.
//!
//! Every script runs atomically on the server, so a trim and the boundary
//! it raises are never seen apart. What keeps the timelines exact across
//! the two systems, which no transaction spans, is described where the
//! PostgreSQL side calls these (`redis_timeline_ops`).

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Script, ScriptInvocation};
use tokio::sync::OnceCell;

use crate::error::StoreError;

/// Inserts photo ARGV[1] into one existing timeline unless it is at or
/// below the exact boundary, then trims to ARGV[2] entries, raising the
/// boundary to the newest photo trimmed.
const INSERT: &str = r"
local c = redis.call('HGET', KEYS[2], 'c')
if not c then return 0 end
if tonumber(ARGV[1]) <= tonumber(c) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[1])
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[2])
if excess > 0 then
  local gone = redis.call('ZPOPMIN', KEYS[1], excess)
  local newest = gone[#gone - 1]
  if tonumber(newest) > tonumber(c) then redis.call('HSET', KEYS[2], 'c', newest) end
end
return 1
";

/// A follow's merge: photos ARGV[3..] into one existing timeline (those
/// above the boundary), a trim to ARGV[1] entries, then the boundary
/// raised to ARGV[2] (0: not raised).
const MERGE: &str = r"
local c = redis.call('HGET', KEYS[2], 'c')
if not c then return 0 end
local cn = tonumber(c)
for i = 3, #ARGV do
  if tonumber(ARGV[i]) > cn then redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i]) end
end
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[1])
if excess > 0 then
  local gone = redis.call('ZPOPMIN', KEYS[1], excess)
  local newest = gone[#gone - 1]
  if tonumber(newest) > cn then cn = tonumber(newest); c = newest end
end
if tonumber(ARGV[2]) > cn then c = ARGV[2] end
redis.call('HSET', KEYS[2], 'c', c)
return 1
";

/// A rebuild's start: marks the timeline as being built by token ARGV[1]
/// (creating it, exact above 0, when absent). From here on fan-out
/// inserts into it, while reads do not use it.
const BEGIN_REBUILD: &str = r"
if redis.call('HEXISTS', KEYS[2], 'c') == 0 then redis.call('HSET', KEYS[2], 'c', '0') end
redis.call('HSET', KEYS[2], 'b', ARGV[1])
return 1
";

/// A rebuild's end, if the timeline is still being built by token ARGV[1]
/// (not dropped, nor taken over by a later rebuild): photos ARGV[4..],
/// the newest of a snapshot exact above ARGV[3], join what fan-out
/// inserted meanwhile; a trim to ARGV[2]; then reads may use it.
const FINISH_REBUILD: &str = r"
if redis.call('HGET', KEYS[2], 'b') ~= ARGV[1] then return 0 end
local c = redis.call('HGET', KEYS[2], 'c') or '0'
if tonumber(ARGV[3]) > tonumber(c) then c = ARGV[3] end
local cn = tonumber(c)
for i = 4, #ARGV do
  if tonumber(ARGV[i]) > cn then redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i]) end
end
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[2])
if excess > 0 then
  local gone = redis.call('ZPOPMIN', KEYS[1], excess)
  local newest = gone[#gone - 1]
  if tonumber(newest) > cn then c = newest end
end
redis.call('HSET', KEYS[2], 'c', c)
redis.call('HDEL', KEYS[2], 'b')
return 1
";

/// A page: the boundary and at most ARGV[2] photo ids below ARGV[1],
/// newest first, read together; nil when there is no timeline (or it is
/// being rebuilt).
const PAGE: &str = r"
local c = redis.call('HGET', KEYS[2], 'c')
if not c then return false end
if redis.call('HEXISTS', KEYS[2], 'b') == 1 then return false end
return {c, redis.call('ZREVRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '-inf', 'LIMIT', 0, ARGV[2])}
";

/// How long one Redis call (a pipeline counts as one) may take: a batch's
/// pipeline takes milliseconds, and a read waits this long at most before
/// it falls back to pull.
const TIMEOUT: Duration = Duration::from_secs(2);

/// A connection to the Redis that holds the timelines; cheap to clone
/// (clones share the connection). Set it in
/// [`PostgresConfig::redis_timelines`](super::PostgresConfig::redis_timelines).
///
/// Per user, under the key prefix: `{prefix}tl:{<id>}`, a sorted set whose
/// members and scores are photo ids, and `{prefix}tlm:{<id>}`, a hash whose
/// field `c` is the id above which the timeline is exact (and `b`, while
/// a rebuild runs, that rebuild's token). No hash, or a `b`: no timeline
/// for reads (they use pull and rebuild it). The braces are a Redis
/// Cluster hash tag: one user's keys share a slot.
#[derive(Clone)]
pub struct RedisTimelines {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    /// Opened on first use; a failed attempt is retried by the next call.
    connection: OnceCell<ConnectionManager>,
    prefix: String,
    display_url: String,
    insert: Script,
    merge: Script,
    begin_rebuild: Script,
    finish_rebuild: Script,
    page: Script,
}

impl std::fmt::Debug for RedisTimelines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTimelines")
            .field("url", &self.inner.display_url)
            .field("prefix", &self.inner.prefix)
            .finish_non_exhaustive()
    }
}

/// A photo or user id as Redis sees it (the PostgreSQL `int8`).
type Id = i64;

impl RedisTimelines {
    /// Timelines in the Redis at `url` (`redis://host:port`), under keys
    /// starting with `key_prefix` (e.g. `minigram:`). Connects on first
    /// use.
    pub fn new(url: &str, key_prefix: &str) -> Result<Self, StoreError> {
        let client = Client::open(url)
            .map_err(|e| StoreError::backend("parsing the timeline Redis URL", e))?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                connection: OnceCell::new(),
                prefix: key_prefix.to_owned(),
                display_url: crate::redacted_url(url),
                insert: Script::new(INSERT),
                merge: Script::new(MERGE),
                begin_rebuild: Script::new(BEGIN_REBUILD),
                finish_rebuild: Script::new(FINISH_REBUILD),
                page: Script::new(PAGE),
            }),
        })
    }

    /// The URL, without its password.
    pub fn url(&self) -> &str {
        &self.inner.display_url
    }

    fn entries_key(&self, user: Id) -> String {
        format!("{}tl:{{{user}}}", self.inner.prefix)
    }

    fn meta_key(&self, user: Id) -> String {
        format!("{}tlm:{{{user}}}", self.inner.prefix)
    }

    /// `script` on `user`'s timeline: every script takes its two keys.
    fn on_user<'s>(&self, script: &'s Script, user: Id) -> ScriptInvocation<'s> {
        let mut invocation = script.key(self.entries_key(user));
        invocation.key(self.meta_key(user));
        invocation
    }

    async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        let connect = || async {
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(TIMEOUT))
                .set_response_timeout(Some(TIMEOUT))
                .set_number_of_retries(1);
            self.inner
                .client
                .get_connection_manager_with_config(config)
                .await
                .map_err(|e| self.unavailable("connecting", &e))
        };
        self.inner
            .connection
            .get_or_try_init(connect)
            .await
            .cloned()
    }

    fn unavailable(&self, action: &str, e: &redis::RedisError) -> StoreError {
        StoreError::Unavailable {
            reason: format!(
                "timeline Redis at {}: {action}: {e}",
                self.inner.display_url
            ),
        }
    }

    /// Runs `call` on the connection, bounded by [`TIMEOUT`].
    async fn run<T>(
        &self,
        action: &'static str,
        call: impl AsyncFnOnce(&mut ConnectionManager) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        let mut connection = self.connection().await?;
        match tokio::time::timeout(TIMEOUT, call(&mut connection)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(self.unavailable(action, &e)),
            Err(_) => Err(StoreError::Unavailable {
                reason: format!(
                    "timeline Redis at {}: {action}: no answer within {TIMEOUT:?}",
                    self.inner.display_url
                ),
            }),
        }
    }

    /// Inserts `photo` into the timelines of `users` that exist (one
    /// pipeline of one script call per user), each trimmed to `cap`.
    pub(crate) async fn insert(
        &self,
        users: &[Id],
        photo: Id,
        cap: usize,
    ) -> Result<(), StoreError> {
        if users.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        // EVALSHA in a pipeline does not load the script on NOSCRIPT.
        pipe.load_script(&self.inner.insert).ignore();
        for &user in users {
            let mut invocation = self.on_user(&self.inner.insert, user);
            invocation.arg(photo).arg(cap);
            pipe.invoke_script(&invocation).ignore();
        }
        self.run("inserting into timelines", async |c| {
            pipe.query_async::<()>(c).await
        })
        .await
    }

    /// A new follow's merge into `user`'s timeline, if it has one:
    /// `photos` (above its boundary), a trim to `cap`, and the boundary
    /// raised to `raise_to` when given.
    pub(crate) async fn merge(
        &self,
        user: Id,
        photos: &[Id],
        cap: usize,
        raise_to: Option<Id>,
    ) -> Result<(), StoreError> {
        let mut invocation = self.on_user(&self.inner.merge, user);
        invocation.arg(cap).arg(raise_to.unwrap_or(0)).arg(photos);
        self.run("merging into a timeline", async |c| {
            invocation.invoke_async::<i64>(c).await.map(drop)
        })
        .await
    }

    /// Starts rebuilding `user`'s timeline under `token` (see
    /// [`BEGIN_REBUILD`]).
    pub(crate) async fn begin_rebuild(&self, user: Id, token: u64) -> Result<(), StoreError> {
        let mut invocation = self.on_user(&self.inner.begin_rebuild, user);
        invocation.arg(token);
        self.run("starting a timeline rebuild", async |c| {
            invocation.invoke_async::<i64>(c).await.map(drop)
        })
        .await
    }

    /// Ends the rebuild under `token` with `photos`, the newest of a
    /// snapshot exact above `complete_above` (see [`FINISH_REBUILD`]);
    /// `false` when the rebuild was superseded or the timeline dropped.
    pub(crate) async fn finish_rebuild(
        &self,
        user: Id,
        token: u64,
        cap: usize,
        complete_above: Id,
        photos: &[Id],
    ) -> Result<bool, StoreError> {
        let mut invocation = self.on_user(&self.inner.finish_rebuild, user);
        invocation
            .arg(token)
            .arg(cap)
            .arg(complete_above)
            .arg(photos);
        self.run("finishing a timeline rebuild", async |c| {
            invocation
                .invoke_async::<i64>(c)
                .await
                .map(|done| done == 1)
        })
        .await
    }

    /// Drops the timelines of `users` (inactive ones).
    pub(crate) async fn drop_timelines(&self, users: &[Id]) -> Result<(), StoreError> {
        if users.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for &user in users {
            pipe.del(&[self.entries_key(user), self.meta_key(user)])
                .ignore();
        }
        self.run("dropping timelines", async |c| {
            pipe.query_async::<()>(c).await
        })
        .await
    }

    /// `user`'s boundary and at most `count` photo ids below `before`,
    /// newest first; `None` when the user has no timeline.
    pub(crate) async fn page(
        &self,
        user: Id,
        before: Id,
        count: usize,
    ) -> Result<Option<(Id, Vec<Id>)>, StoreError> {
        let mut invocation = self.on_user(&self.inner.page, user);
        invocation.arg(before).arg(count);
        self.run("reading a timeline", async |c| {
            invocation.invoke_async::<Option<(Id, Vec<Id>)>>(c).await
        })
        .await
    }

    /// Every photo id in `user`'s timeline (at most the cap).
    pub(crate) async fn entries(&self, user: Id) -> Result<Vec<Id>, StoreError> {
        let key = self.entries_key(user);
        self.run("reading a timeline", async |c| {
            redis::cmd("ZRANGE")
                .arg(key)
                .arg(0)
                .arg(-1)
                .query_async::<Vec<Id>>(c)
                .await
        })
        .await
    }

    /// Removes `photos` from `user`'s timeline.
    pub(crate) async fn remove(&self, user: Id, photos: &[Id]) -> Result<(), StoreError> {
        if photos.is_empty() {
            return Ok(());
        }
        let key = self.entries_key(user);
        self.run("removing from a timeline", async |c| {
            redis::cmd("ZREM")
                .arg(key)
                .arg(photos)
                .query_async::<()>(c)
                .await
        })
        .await
    }

    /// Removes `photo` from the timelines of `users` (one pipeline).
    pub(crate) async fn remove_from_each(&self, users: &[Id], photo: Id) -> Result<(), StoreError> {
        if users.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for &user in users {
            pipe.zrem(self.entries_key(user), photo).ignore();
        }
        self.run("removing a photo from timelines", async |c| {
            pipe.query_async::<()>(c).await
        })
        .await
    }

    /// A start-up check (the connection opens on first use): Redis
    /// answers (else `StoreError::Unavailable`), and it neither persists
    /// to disk nor evicts keys at will (else `StoreError::Backend` saying
    /// what to change). A Redis restarted from a snapshot or an append-only
    /// file would come back with timelines that look complete but lack
    /// every insert since, whose jobs are gone from the queue; one that
    /// evicts `allkeys-*` can drop a timeline's entries and keep its
    /// boundary. Without either, losing data only costs rebuilds. A Redis
    /// that refuses `CONFIG GET` (some managed ones do) passes with a
    /// warning.
    pub async fn check(&self) -> Result<(), StoreError> {
        self.run("probing", async |c| {
            redis::cmd("PING").query_async::<()>(c).await
        })
        .await?;
        let config = self
            .run("reading its configuration", async |c| {
                redis::cmd("CONFIG")
                    .arg("GET")
                    .arg("save")
                    .arg("appendonly")
                    .arg("maxmemory-policy")
                    .query_async::<std::collections::HashMap<String, String>>(c)
                    .await
            })
            .await;
        let config = match config {
            Ok(config) => config,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the timeline Redis's configuration; make sure it runs without persistence (save \"\", appendonly no) and without allkeys-* eviction");
                return Ok(());
            }
        };
        let setting = |name: &str| config.get(name).map(String::as_str).unwrap_or("");
        let mut problems = Vec::new();
        if !setting("save").trim().is_empty() {
            problems.push(format!(
                "it saves snapshots (save \"{}\"; set save \"\")",
                setting("save")
            ));
        }
        if setting("appendonly") == "yes" {
            problems.push("it keeps an append-only file (set appendonly no)".to_owned());
        }
        if setting("maxmemory-policy").starts_with("allkeys") {
            problems.push(format!(
                "it evicts any key (maxmemory-policy {}; use noeviction)",
                setting("maxmemory-policy")
            ));
        }
        if problems.is_empty() {
            return Ok(());
        }
        Err(StoreError::backend(
            "checking the timeline Redis",
            std::io::Error::other(format!(
                "{} is not fit to hold timelines: {}. Timelines are a cache rebuilt from \
                 PostgreSQL: a restart from disk would bring back timelines missing posts, \
                 and eviction could drop a timeline's entries but keep its boundary",
                self.inner.display_url,
                problems.join("; ")
            )),
        ))
    }
}
