use clap::Parser as _;
use minigram_bench::cli::{Cli, Command};
use minigram_bench::commands;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Seed(args) => commands::seed::run(args).await,
        Command::Scenario(args) => commands::scenario::run_and_report(args).await,
        Command::Rate(args) => commands::rate::run(args).await,
        Command::BreakingPoint(args) => commands::breaking_point::run(args).await,
        Command::Journey(args) => minigram_bench::journey::run(args).await,
        Command::Ha(args) => commands::ha::run(args).await,
    }
}
