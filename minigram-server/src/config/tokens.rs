//! Login tokens: the signing secret and how long a token stays valid.

use std::time::Duration;

use clap::Args;
use minigram::auth::TokenConfig;
use secrecy::{ExposeSecret as _, SecretSlice, SecretString};

use super::secrets::parse_secret;

/// The token flags (`--token-secret`, `--token-ttl-secs`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Tokens")]
pub struct TokenFlags {
    /// Token signing secret (at least 32 bytes). When absent, one is generated on first
    /// start and kept in the store, so tokens survive restarts.
    #[arg(
        id = "token_secret",
        long = "token-secret",
        value_name = "TOKEN_SECRET",
        env = "MINIGRAM_TOKEN_SECRET",
        hide_env_values = true,
        value_parser = parse_secret
    )]
    pub secret: Option<SecretString>,

    /// How long a login token stays valid, in seconds.
    #[arg(
        id = "token_ttl_secs",
        long = "token-ttl-secs",
        value_name = "TOKEN_TTL_SECS",
        env = "MINIGRAM_TOKEN_TTL_SECS",
        default_value_t = 24 * 60 * 60
    )]
    pub ttl_secs: u64,
}

/// The token settings in effect.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TokenSettings {
    /// The signing secret; `None`: the library generates one on first
    /// start and keeps it in the store.
    pub secret: Option<SecretString>,
    /// How long a token is valid; at least one second.
    pub ttl: Duration,
}

impl TokenFlags {
    /// The token settings these flags ask for.
    pub fn resolve(&self) -> TokenSettings {
        TokenSettings {
            secret: self.secret.clone(),
            ttl: Duration::from_secs(self.ttl_secs.max(1)),
        }
    }
}

impl TokenSettings {
    /// The library's token configuration. The secret is copied straight
    /// from one secret container into the other, never into a plain buffer
    /// that outlives this call.
    pub fn token_config(&self) -> TokenConfig {
        TokenConfig {
            secret: self
                .secret
                .as_ref()
                .map(|secret| SecretSlice::from(secret.expose_secret().as_bytes().to_vec())),
            ttl: self.ttl,
        }
    }
}
