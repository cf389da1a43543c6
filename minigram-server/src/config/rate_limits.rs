//! The rate limits of logins, registrations and writes, and who is exempt.

use std::net::IpAddr;

use clap::Args;
use minigram::rate_limit::Quota;

use super::switch::Switch;

/// The rate-limit flags (`--rate-limit`, the quotas, loopback and proxies).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Rate limits")]
pub struct RateLimitFlags {
    /// Rate limiting of login, register and writes (429 with Retry-After).
    #[arg(
        id = "rate_limit",
        long = "rate-limit",
        value_name = "RATE_LIMIT",
        env = "MINIGRAM_RATE_LIMIT",
        value_enum,
        default_value_t = Switch::On
    )]
    pub enabled: Switch,

    /// Also rate-limit clients on loopback (127.0.0.0/8, ::1), which are exempt by default.
    #[arg(
        id = "rate_limit_loopback",
        long = "rate-limit-loopback",
        env = "MINIGRAM_RATE_LIMIT_LOOPBACK"
    )]
    pub include_loopback: bool,

    /// A reverse proxy whose `X-Forwarded-For` names the client (repeatable; in the
    /// variable, comma-separated). Other peers' X-Forwarded-For is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "MINIGRAM_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<IpAddr>,

    /// Logins and registrations per minute per client IP.
    #[arg(long, env = "MINIGRAM_AUTH_IP_PER_MINUTE", default_value_t = 60)]
    pub auth_ip_per_minute: u32,

    /// Logins and registrations a client IP may make at once (burst).
    #[arg(long, env = "MINIGRAM_AUTH_IP_BURST", default_value_t = 30)]
    pub auth_ip_burst: u32,

    /// Logins and registrations per minute per username.
    #[arg(long, env = "MINIGRAM_AUTH_USER_PER_MINUTE", default_value_t = 10)]
    pub auth_user_per_minute: u32,

    /// Logins and registrations for one username at once (burst).
    #[arg(long, env = "MINIGRAM_AUTH_USER_BURST", default_value_t = 10)]
    pub auth_user_burst: u32,

    /// Writes (likes, follows, uploads) per minute per signed-in user.
    #[arg(long, env = "MINIGRAM_WRITE_PER_MINUTE", default_value_t = 600)]
    pub write_per_minute: u32,

    /// Writes a signed-in user may make at once (burst).
    #[arg(long, env = "MINIGRAM_WRITE_BURST", default_value_t = 100)]
    pub write_burst: u32,
}

/// The rate limits in effect (present only with `--rate-limit on`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimitSettings {
    /// Logins and registrations per client IP.
    pub auth_ip: Quota,
    /// Logins and registrations per username.
    pub auth_user: Quota,
    /// Writes per signed-in user.
    pub write: Quota,
    /// Whether loopback clients are limited too.
    pub include_loopback: bool,
    /// Peers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpAddr>,
}

impl RateLimitFlags {
    /// The limits these flags ask for, or `None` with `--rate-limit off`.
    /// A zero rate or burst means 1: a quota must admit something.
    pub fn resolve(&self) -> Option<RateLimitSettings> {
        if self.enabled == Switch::Off {
            return None;
        }
        let quota = |per_minute: u32, burst: u32| {
            Quota::per_minute(per_minute.max(1)).with_burst(burst.max(1))
        };
        Some(RateLimitSettings {
            auth_ip: quota(self.auth_ip_per_minute, self.auth_ip_burst),
            auth_user: quota(self.auth_user_per_minute, self.auth_user_burst),
            write: quota(self.write_per_minute, self.write_burst),
            include_loopback: self.include_loopback,
            trusted_proxies: self.trusted_proxies.clone(),
        })
    }
}
