//! Stage 1 of the scaling journey in one process: the embedded store (redb
//! with group commit) and local media under `--data-dir`, served over HTTP.
//! No other services.
//!
//! ```text
//! cargo run --example single_server                  # http://127.0.0.1:3000, data in ./minigram-data
//! cargo run --example single_server -- --port 8080 --data-dir /tmp/mg
//! PORT=8080 cargo run --example single_server
//! cargo run --example single_server -- --help        # every flag and its MINIGRAM_* variable
//! ```
//!
//! Takes the same flags as `minigram-server`. Ctrl-C (or SIGTERM) drains
//! in-flight requests and flushes the store before exiting.

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _};
use minigram_server::{Application, ServerConfig, StoreKind, init_logging, shutdown_signal};

/// minigram-server's PostgreSQL flags, hidden here: stage 1 is embedded only.
const POSTGRES_FLAGS: [&str; 8] = [
    "store",
    "database_url",
    "replica_urls",
    "replicas",
    "pg_pool_size",
    "read_consistency",
    "sticky_window_secs",
    "max_replica_lag_ms",
];

#[tokio::main]
async fn main() -> ExitCode {
    let mut command = ServerConfig::command();
    for flag in POSTGRES_FLAGS {
        command = command.mut_arg(flag, |arg| arg.hide(true));
    }
    let matches = command
        .name("single_server")
        .about("minigram stage 1 in one process: embedded store + media under --data-dir, served over HTTP.")
        .long_about(
            "minigram stage 1 in one process: the embedded store (redb with group commit) and \
             local media under --data-dir, served over HTTP. Takes the same flags as \
             minigram-server; each can also be set with the environment variable shown.",
        )
        .get_matches();
    let config = match ServerConfig::from_arg_matches(&matches) {
        Ok(config) => config,
        Err(e) => e.exit(),
    };
    if config.store_kind() != StoreKind::Embedded {
        eprintln!(
            "single_server: stage 1 runs on the embedded store only; \
             use `cargo run -p minigram-server -- --replicas 2` for PostgreSQL"
        );
        return ExitCode::FAILURE;
    }
    init_logging(config.log_format, &config.log);

    let app = match Application::build(&config).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("single_server: {e}");
            return ExitCode::FAILURE;
        }
    };
    print_quick_start(&app.url(), &config);

    match app.run_until_stopped(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("single_server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print_quick_start(url: &str, config: &ServerConfig) {
    println!();
    println!("minigram stage 1 is running at {url}  (Ctrl-C to stop)");
    println!(
        "  store: embedded (redb) at {}, media in {}",
        config.database_path().display(),
        config.media_dir().display()
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
