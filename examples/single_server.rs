//! Stage 1 of the scaling journey in one process: the embedded store (redb
//! with group commit) and local media under `--data-dir`, served over HTTP.
//! No other services.
//!
//! ```text
//! cargo run --example single_server                  # http://127.0.0.1:3000, data in ./minigram-data
//! cargo run --example single_server -- --port 8080 --data-dir /tmp/mg
//! PORT=8080 cargo run --example single_server
//! cargo run --example single_server -- --help        # every flag and its MINIGRAM_* variable
//! cargo run --example single_server -- --password-min-length 6   # the origin's clients' `test123`
//! cargo run --example single_server -- --feed push   # fan-out-on-write home timelines
//! ```
//!
//! Takes the same flags as `minigram-server` except the store's (it
//! composes the server's flag groups and fixes the store to embedded; for
//! PostgreSQL, `cargo run -p minigram-server -- --replicas 2`). Ctrl-C (or
//! SIGTERM) drains in-flight requests and flushes the store before exiting.

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser};
use minigram_server::config::{
    AccountFlags, CacheFlags, DataDirFlags, FeedFlags, HashingFlags, HttpFlags, LoggingFlags,
    RateLimitFlags, StoreFlags, TokenFlags,
};
use minigram_server::{Application, ServerConfig, ServerSettings, init_logging, shutdown_signal};

/// minigram-server's flag groups except the store's: stage 1 is embedded
/// only, so the PostgreSQL flags do not exist here.
///
/// `about` and `long_about` are explicit because a flattened group's doc
/// comment would otherwise become the command's about.
#[derive(Debug, Parser)]
#[command(
    name = "single_server",
    version,
    about = "minigram stage 1 in one process: embedded store + media under --data-dir, served over HTTP.",
    long_about = "minigram stage 1 in one process: the embedded store (redb with group commit) and \
                  local media under --data-dir, served over HTTP. Takes the same flags as \
                  minigram-server; each can also be set with the environment variable shown."
)]
struct SingleServerFlags {
    #[command(flatten)]
    http: HttpFlags,
    #[command(flatten)]
    data_dir: DataDirFlags,
    #[command(flatten)]
    cache: CacheFlags,
    #[command(flatten)]
    rate_limits: RateLimitFlags,
    #[command(flatten)]
    tokens: TokenFlags,
    #[command(flatten)]
    hashing: HashingFlags,
    #[command(flatten)]
    accounts: AccountFlags,
    #[command(flatten)]
    feed: FeedFlags,
    #[command(flatten)]
    logging: LoggingFlags,
}

impl SingleServerFlags {
    /// The server configuration: these groups, on the embedded store.
    fn into_server_config(self) -> ServerConfig {
        ServerConfig {
            http: self.http,
            data_dir: self.data_dir,
            store: StoreFlags::embedded(),
            cache: self.cache,
            rate_limits: self.rate_limits,
            tokens: self.tokens,
            hashing: self.hashing,
            accounts: self.accounts,
            feed: self.feed,
            logging: self.logging,
            command: None,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match SingleServerFlags::parse().into_server_config().resolve() {
        Ok(settings) => settings,
        Err(e) => e.into_clap_error(&mut SingleServerFlags::command()).exit(),
    };
    init_logging(settings.logging.format, &settings.logging.filter);

    let app = match Application::build(&settings).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("single_server: {e}");
            return ExitCode::FAILURE;
        }
    };
    print_quick_start(&app.url(), &settings);

    match app.run_until_stopped(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("single_server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print_quick_start(url: &str, settings: &ServerSettings) {
    // Always the redb file: the store is fixed to embedded.
    let database = settings
        .store
        .database_path()
        .unwrap_or(settings.data_dir.as_path());
    println!();
    println!("minigram stage 1 is running at {url}  (Ctrl-C to stop)");
    println!(
        "  store: embedded (redb) at {}, media in {}",
        database.display(),
        settings.media_dir.display()
    );
    println!("  status: {url}/health  {url}/api/instance  {url}/metrics");
    println!();
    println!("Quick start (register, post a photo, read the feed):");
    println!(
        "  TOKEN=$(curl -s {url}/api/register -H 'content-type: application/json' \
         -d '{{\"username\":\"ada\",\"email\":\"ada@example.com\",\"password\":\"correct horse battery\"}}' \
         | sed -E 's/.*\"token\":\"([^\"]+)\".*/\\1/')"
    );
    println!(
        "  curl -s {url}/api/photos -H \"authorization: Bearer $TOKEN\" -F photo=@photo.jpg -F caption='first post'"
    );
    println!("  curl -s {url}/api/feed -H \"authorization: Bearer $TOKEN\"");
    println!();
}
