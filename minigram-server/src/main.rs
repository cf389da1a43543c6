//! `minigram-server`: parses flags, resolves them into settings, sets up
//! logging, serves until SIGINT or SIGTERM, then drains and closes the
//! store.

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser as _};
use minigram_server::{Application, ServerConfig, init_logging, shutdown_signal};

#[tokio::main]
async fn main() -> ExitCode {
    let config = ServerConfig::parse();
    // Contradictory flags are reported like the parser's own errors
    // (usage line, exit status 2), before anything starts.
    let settings = match config.resolve() {
        Ok(settings) => settings,
        Err(e) => e.into_clap_error(&mut ServerConfig::command()).exit(),
    };
    init_logging(settings.logging.format, &settings.logging.filter);
    let app = match Application::build(&settings).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "cannot start");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(
        data_dir = %settings.data_dir.display(),
        "minigram-server listening on {}",
        app.url()
    );
    match app.run_until_stopped(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "stopped with an error");
            ExitCode::FAILURE
        }
    }
}
