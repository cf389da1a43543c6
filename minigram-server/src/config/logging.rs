//! How the server logs, and the name it logs and answers under.

use clap::{Args, ValueEnum};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (coloured on a terminal).
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// The logging flags (`--log-format`, `--log`, `--instance-id`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Logging")]
pub struct LoggingFlags {
    /// Log line format: `text` for people, `json` for machines.
    #[arg(
        id = "log_format",
        long = "log-format",
        value_name = "LOG_FORMAT",
        env = "MINIGRAM_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    pub format: LogFormat,

    /// Log filter in tracing's EnvFilter syntax, e.g. `info` or `minigram=debug,info`.
    #[arg(
        id = "log",
        long = "log",
        value_name = "LOG",
        env = "MINIGRAM_LOG",
        default_value = "info"
    )]
    pub filter: String,

    /// Name of this instance in /api/instance and logs (default: random).
    #[arg(long, env = "MINIGRAM_INSTANCE_ID")]
    pub instance_id: Option<String>,
}

/// The logging settings in effect.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoggingSettings {
    /// The log line format.
    pub format: LogFormat,
    /// The EnvFilter directives.
    pub filter: String,
    /// This instance's name: `--instance-id`, else a random `mg-xxxxxxxx`
    /// picked when the flags are resolved (so each resolution of flags
    /// without `--instance-id` names a new instance).
    pub instance_id: String,
}

impl LoggingFlags {
    /// The logging settings these flags ask for.
    pub fn resolve(&self) -> LoggingSettings {
        LoggingSettings {
            format: self.format,
            filter: self.filter.clone(),
            instance_id: self.instance_id.clone().unwrap_or_else(crate::instance_id),
        }
    }
}
