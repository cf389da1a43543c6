//! The HTTP listener: where the server listens, how long a request may
//! take and how large an upload may be.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use clap::Args;
use minigram::media::DEFAULT_MAX_UPLOAD_BYTES;

/// The port used when neither --port, MINIGRAM_PORT nor PORT is given.
pub const DEFAULT_PORT: u16 = 3000;

/// The HTTP flags (`--bind`, `--port`, `--max-upload-bytes`,
/// `--request-timeout-secs`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "HTTP")]
pub struct HttpFlags {
    /// Address to listen on. Use 0.0.0.0 to accept connections from other machines.
    #[arg(long, env = "MINIGRAM_BIND", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,

    /// TCP port to listen on (0 picks a free port). Falls back to $PORT, then 3000.
    #[arg(long, env = "MINIGRAM_PORT")]
    pub port: Option<u16>,

    /// The port platforms such as Heroku or Cloud Run hand out; used when --port is not given.
    #[arg(long = "platform-port", env = "PORT", hide = true)]
    pub platform_port: Option<u16>,

    /// Largest accepted photo upload, in bytes; bigger uploads get 413.
    #[arg(long, env = "MINIGRAM_MAX_UPLOAD_BYTES", default_value_t = DEFAULT_MAX_UPLOAD_BYTES)]
    pub max_upload_bytes: usize,

    /// Longest a request may take, in seconds, before it is answered with 503.
    #[arg(long, env = "MINIGRAM_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
}

/// The HTTP listener in effect.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpSettings {
    /// The address to bind: `--bind` with `--port`, else `$PORT`, else
    /// [`DEFAULT_PORT`] (port 0 picks a free port).
    pub listen: SocketAddr,
    /// The request deadline; at least one second (`--request-timeout-secs 0`
    /// means 1, since a zero deadline would refuse every request).
    pub request_timeout: Duration,
    /// Largest accepted upload, in bytes.
    pub max_upload_bytes: usize,
}

impl HttpFlags {
    /// The listener these flags describe.
    pub fn resolve(&self) -> HttpSettings {
        let port = self.port.or(self.platform_port).unwrap_or(DEFAULT_PORT);
        HttpSettings {
            listen: SocketAddr::new(self.bind, port),
            request_timeout: Duration::from_secs(self.request_timeout_secs.max(1)),
            max_upload_bytes: self.max_upload_bytes,
        }
    }
}
