use std::path::Path;
use std::sync::Arc;

use secrecy::{ExposeSecret as _, SecretSlice};

use crate::auth::{HasherConfig, PasswordHasher, TokenConfig, TokenIssuer};
use crate::build_error::BuildError;
use crate::domain::PasswordPolicy;
use crate::feed::FeedStrategy;
use crate::media::{LocalMediaStore, MediaStore};
use crate::minigram::Minigram;
use crate::store::Store;

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
        Ok(Minigram::from_parts(
            store,
            media,
            hasher,
            tokens,
            self.feed,
            self.password_policy,
        ))
    }
}
