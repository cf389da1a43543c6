use std::path::Path;
use std::sync::Arc;

use secrecy::{ExposeSecret as _, SecretSlice};

use crate::auth::{HasherConfig, PasswordHasher, TokenConfig, TokenIssuer};
use crate::build_error::BuildError;
use crate::domain::PasswordPolicy;
use crate::error::StoreError;
use crate::feed::{Fanout, FanoutConfig, FanoutMetrics, FanoutWorkerPool, FeedStrategy};
use crate::media::{LocalMediaStore, MediaStore};
use crate::minigram::Minigram;
use crate::store::{Store, TimelineSettings};

/// Settings key under which a generated token secret is kept.
const TOKEN_SECRET_SETTING: &str = "minigram.token_secret";
/// Shortest accepted configured secret (HS256 key size).
const MIN_SECRET_BYTES: usize = 32;

/// Builds a [`Minigram`]: pick a store and a media store; hasher, token,
/// feed and password-policy settings have sensible defaults.
#[derive(Debug, Default)]
pub struct MinigramBuilder {
    store: Option<Arc<dyn Store>>,
    media: Option<Arc<dyn MediaStore>>,
    hasher: HasherConfig,
    tokens: TokenConfig,
    feed: FeedStrategy,
    fanout: FanoutConfig,
    password_policy: PasswordPolicy,
}

impl MinigramBuilder {
    /// The store holding accounts, photos, likes and follows.
    pub fn store(mut self, store: impl Store + 'static) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// A store shared with other owners.
    pub fn shared_store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// Where photo bytes go.
    pub fn media(mut self, media: impl MediaStore + 'static) -> Self {
        self.media = Some(Arc::new(media));
        self
    }

    /// Media on the local filesystem under `dir`.
    pub fn media_dir(mut self, dir: impl AsRef<Path>) -> Result<Self, BuildError> {
        self.media = Some(Arc::new(LocalMediaStore::open(dir)?));
        Ok(self)
    }

    /// argon2id parameters.
    pub fn hasher(mut self, config: HasherConfig) -> Self {
        self.hasher = config;
        self
    }

    /// Token secret and lifetime.
    pub fn tokens(mut self, config: TokenConfig) -> Self {
        self.tokens = config;
        self
    }

    /// Home-feed strategy.
    pub fn feed(mut self, strategy: FeedStrategy) -> Self {
        self.feed = strategy;
        self
    }

    /// Most photos a push or hybrid timeline holds (default 800); older
    /// pages come from the pull path.
    pub fn timeline_cap(mut self, cap: usize) -> Self {
        self.fanout.timeline_cap = cap;
        self
    }

    /// In-process fan-out workers for push and hybrid feeds (default 2).
    /// 0 leaves the queue to separate worker processes (or to
    /// [`Minigram::drain_fanout`]).
    pub fn fanout_workers(mut self, workers: usize) -> Self {
        self.fanout.workers = workers;
        self
    }

    /// Followers a worker fans one photo out to per store transaction
    /// (default 500), so one large follower set does not hold the writer.
    pub fn fanout_batch(mut self, batch: usize) -> Self {
        self.fanout.batch = batch;
        self
    }

    /// How long a worker's claim on a fan-out job lasts without a batch
    /// applied (default 30 s): a job whose worker died is taken over once
    /// it runs out. Longer than one batch takes, or live workers lose jobs
    /// to each other (harmless, but wasted work).
    pub fn fanout_lease(mut self, lease: std::time::Duration) -> Self {
        self.fanout.lease = lease;
        self
    }

    /// After how long without a login or a home-feed read a user is
    /// inactive (default 7 days, as Mastodon): fan-out then drops their
    /// timeline instead of writing to it, and it is rebuilt when they come
    /// back (their reads use pull meanwhile). `None`: never.
    pub fn inactive_after(mut self, after: Option<std::time::Duration>) -> Self {
        self.fanout.inactive_after = after;
        self
    }

    /// The policy new passwords must meet (default: at least 8
    /// characters). Login is not affected: see [`Minigram::login`].
    pub fn password_policy(mut self, policy: PasswordPolicy) -> Self {
        self.password_policy = policy;
        self
    }

    /// Starts the hasher and loads (or creates and persists) the token secret.
    pub async fn build(self) -> Result<Minigram, BuildError> {
        let store = self.store.clone().ok_or(BuildError::MissingStore)?;
        let media = self.media.clone().ok_or(BuildError::MissingMedia)?;
        let secret = match self.tokens.secret.clone() {
            Some(secret) if secret.expose_secret().len() < MIN_SECRET_BYTES => {
                return Err(BuildError::WeakSecret(secret.expose_secret().len()));
            }
            Some(secret) => secret,
            None => SecretSlice::from(
                store
                    .setting_or_insert(TOKEN_SECRET_SETTING, TokenIssuer::generate_secret())
                    .await?,
            ),
        };
        let tokens = TokenIssuer::new(&secret, self.tokens.ttl)?;
        let hasher = PasswordHasher::new(self.hasher).await?;
        let fanout = if self.feed.uses_timelines() {
            Some(Arc::new(self.start_fanout(&store)?))
        } else {
            None
        };
        Ok(Minigram::from_parts(
            store,
            media,
            hasher,
            tokens,
            self.feed,
            fanout,
            self.password_policy,
        ))
    }

    /// Builds fan-out workers alone, without the rest of the facade: a
    /// process that only applies the queue (`minigram-server worker`)
    /// beside servers running with `fanout_workers(0)`. Takes the store,
    /// the feed (push or hybrid), `timeline_cap`, `fanout_workers` and
    /// `fanout_batch`; media, hasher and tokens are not needed. The
    /// settings must be those the servers use.
    pub fn build_workers(self) -> Result<FanoutWorkerPool, BuildError> {
        let store = self.store.clone().ok_or(BuildError::MissingStore)?;
        if !self.feed.uses_timelines() {
            return Err(BuildError::FeedSetting(
                "fan-out workers need a push or hybrid feed",
            ));
        }
        if self.fanout.workers == 0 {
            return Err(BuildError::FeedSetting(
                "a worker pool needs at least 1 worker",
            ));
        }
        let fanout = self.start_fanout(&store)?;
        Ok(FanoutWorkerPool::new(store, fanout, self.feed))
    }

    /// Turns timelines on in the store and starts the fan-out machinery.
    fn start_fanout(&self, store: &Arc<dyn Store>) -> Result<Fanout, BuildError> {
        if self.fanout.timeline_cap == 0 {
            return Err(BuildError::FeedSetting(
                "the timeline cap must be at least 1",
            ));
        }
        if self.fanout.batch == 0 {
            return Err(BuildError::FeedSetting(
                "the fan-out batch must be at least 1",
            ));
        }
        let settings = TimelineSettings {
            cap: self.fanout.timeline_cap,
            celebrity_followers: self.feed.celebrity_followers(),
            inactive_after: self.fanout.inactive_after,
        };
        match store.enable_timelines(settings) {
            Ok(()) => {}
            Err(StoreError::Unsupported { .. }) => {
                return Err(BuildError::FeedUnsupported {
                    strategy: self.feed.name(),
                    store: store.kind(),
                });
            }
            Err(e) => return Err(e.into()),
        }
        Ok(Fanout::start(
            Arc::clone(store),
            Arc::new(FanoutMetrics::default()),
            self.fanout,
        ))
    }
}
