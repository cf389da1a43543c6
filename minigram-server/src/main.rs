//! `minigram-server`: parses flags, resolves them into settings, sets up
//! logging, serves until SIGINT or SIGTERM, then drains and closes the
//! store. `minigram-server worker` applies a PostgreSQL deployment's
//! fan-out queue instead, until SIGINT or SIGTERM.

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser as _};
use minigram_server::{
    Application, ServerCommand, ServerConfig, WorkerFlags, init_logging, run_worker,
    shutdown_signal,
};

#[tokio::main]
async fn main() -> ExitCode {
    let config = ServerConfig::parse();
    if let Some(ServerCommand::Worker(flags)) = &config.command {
        return worker(flags).await;
    }
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

/// `minigram-server worker`.
async fn worker(flags: &WorkerFlags) -> ExitCode {
    let settings = match flags.resolve() {
        Ok(settings) => settings,
        Err(e) => {
            let mut command = ServerConfig::command();
            let worker = command.find_subcommand_mut("worker").cloned();
            let mut worker = worker.unwrap_or(command).bin_name("minigram-server worker");
            e.into_clap_error(&mut worker).exit()
        }
    };
    init_logging(settings.logging.format, &settings.logging.filter);
    match run_worker(&settings, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "the fan-out worker failed");
            ExitCode::FAILURE
        }
    }
}
