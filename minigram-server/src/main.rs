//! `minigram-server`: parses flags, sets up logging, serves until SIGINT or
//! SIGTERM, then drains and closes the store.

use std::process::ExitCode;

use clap::Parser as _;
use minigram_server::{Application, ServerConfig, init_logging, shutdown_signal};

#[tokio::main]
async fn main() -> ExitCode {
    let config = ServerConfig::parse();
    init_logging(config.log_format, &config.log);
    let app = match Application::build(&config).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "cannot start");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(
        data_dir = %config.data_dir.display(),
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
