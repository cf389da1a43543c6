//! Server configuration: the command-line flags in one group per concern
//! (each flag also settable through a `MINIGRAM_*` environment variable;
//! flags win), and the [`ServerSettings`] they resolve to.

mod accounts;
mod cache;
mod config_error;
mod data_dir;
mod feed;
mod hashing;
mod http;
mod logging;
mod parser_defaults;
mod rate_limits;
mod secrets;
mod server_config;
mod server_settings;
mod store;
mod switch;
mod tokens;
mod worker;

pub use accounts::AccountFlags;
pub use cache::{CacheFlags, CacheMode, CacheSettings};
pub use config_error::ConfigError;
pub use data_dir::DataDirFlags;
pub use feed::{FeedFlags, FeedMode, FeedSettings};
pub use hashing::HashingFlags;
pub use http::{DEFAULT_PORT, HttpFlags, HttpSettings};
pub use logging::{LogFormat, LoggingFlags, LoggingSettings};
pub(crate) use minigram::redacted_url;
pub use rate_limits::{RateLimitFlags, RateLimitSettings};
pub use server_config::{ServerCommand, ServerConfig};
pub use server_settings::ServerSettings;
pub use store::{
    PostgresSettings, PostgresSource, ReadConsistencyArg, StoreFlags, StoreKind, StoreSettings,
};
pub use switch::Switch;
pub use tokens::{TokenFlags, TokenSettings};
pub use worker::{WorkerFlags, WorkerSettings};
