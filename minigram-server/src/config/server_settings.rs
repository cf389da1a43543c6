//! The validated configuration the server runs with.

use std::path::PathBuf;

use minigram::PasswordPolicy;
use minigram::auth::HasherConfig;

use super::cache::CacheSettings;
use super::feed::FeedSettings;
use super::http::HttpSettings;
use super::logging::LoggingSettings;
use super::rate_limits::RateLimitSettings;
use super::store::StoreSettings;
use super::tokens::TokenSettings;

/// Everything the server needs to start, resolved once from the flags
/// ([`ServerConfig::resolve`]): defaults that depend on other flags are
/// filled in, contradictions refused, values clamped to what is usable.
///
/// It can only be made by resolving flags, so holding one means the flags
/// made sense. Secrets (the token secret, database and Redis URLs) are
/// [`secrecy::SecretString`]s: `Debug` shows `[REDACTED]` for them.
///
/// [`ServerConfig::resolve`]: super::ServerConfig::resolve
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerSettings {
    /// Where to listen and the request limits.
    pub http: HttpSettings,
    /// `--data-dir`: created at start; holds the media, and the embedded
    /// database or the dev cluster.
    pub data_dir: PathBuf,
    /// The media directory, under `data_dir`.
    pub media_dir: PathBuf,
    /// The store and how to open it.
    pub store: StoreSettings,
    /// The cache tiers and the Redis in use.
    pub cache: CacheSettings,
    /// The rate limits; `None` with `--rate-limit off`.
    pub rate_limits: Option<RateLimitSettings>,
    /// Login tokens.
    pub tokens: TokenSettings,
    /// Password hashing.
    pub hasher: HasherConfig,
    /// What new passwords must be (`--password-min-length`).
    pub password_policy: PasswordPolicy,
    /// The home-feed strategy and its fan-out (`--feed` and friends).
    pub feed: FeedSettings,
    /// Log format, filter, and this instance's name.
    pub logging: LoggingSettings,
}
