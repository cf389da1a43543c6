use std::path::Path;
use std::sync::Arc;

use secrecy::{ExposeSecret as _, SecretSlice};

use crate::auth::{HasherConfig, PasswordHasher, TokenConfig, TokenIssuer};
use crate::build_error::BuildError;
use crate::domain::PasswordPolicy;
use crate::error::StoreError;
use crate::feed::{Fanout, FanoutConfig, FanoutMetrics, FeedStrategy};
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

    /// The policy new passwords must meet (default: at least 8
    /// characters). Login is not affected: see [`Minigram::login`].
    pub fn password_policy(mut self, policy: PasswordPolicy) -> Self {
        self.password_policy = policy;
        self
    }

    /// Starts the hasher and loads (or creates and persists) the token secret.
    pub async fn build(self) -> Result<Minigram, BuildError> {
        let store = self.store.ok_or(BuildError::MissingStore)?;
        let media = self.media.ok_or(BuildError::MissingMedia)?;
        let secret = match self.tokens.secret {
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
            Some(Arc::new(Fanout::start(
                Arc::clone(&store),
                Arc::new(FanoutMetrics::default()),
                self.fanout,
            )))
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
}
