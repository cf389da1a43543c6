//! `breaking-point`: ramp simulated users until the server breaks.

use crate::breaking_point::{LevelResult, Limits, largest_holding, levels};
use crate::cli::{BreakingPointArgs, ScenarioArgs};
use crate::commands::scenario;

/// Runs levels until one breaks, printing the origin-style table.
pub async fn run(args: BreakingPointArgs) -> anyhow::Result<()> {
    let limits = Limits {
        min_success: args.min_success,
        slo_p99_ms: args.slo_p99_ms,
    };
    println!(
        "breaking point: {} mix, success >= {:.1}%, p99 <= {:.0} ms",
        args.mix.name(),
        limits.min_success * 100.0,
        limits.slo_p99_ms
    );
    println!(
        "{:>7} {:>9} {:>13} {:>10}",
        "users", "success", "ops/s", "p99 ms"
    );
    let mut results = Vec::new();
    let mut reports = Vec::new();
    for users in levels(args.max_users) {
        let report = scenario::run(&ScenarioArgs {
            target: args.target.clone(),
            users,
            mix: args.mix,
            iterations: 5,
            ramp_s: 0.0,
            json: None,
            quiet: true,
        })
        .await?;
        let level = LevelResult {
            users,
            success_rate: report.success_rate,
            p99_ms: report.p99_ms,
            throughput: report.throughput_ops_per_s,
        };
        println!(
            "{:>7} {:>8.2}% {:>13.1} {:>10.1}{}",
            users,
            level.success_rate * 100.0,
            level.throughput,
            level.p99_ms,
            if limits.holds(&level) {
                ""
            } else {
                "  <- breaks"
            }
        );
        results.push(level);
        reports.push(report);
        if !limits.holds(&level) {
            break;
        }
    }
    match largest_holding(&results, limits) {
        Some(users) => println!("largest level within limits: {users} users"),
        None => println!("no level stayed within the limits"),
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&reports)?)?;
    }
    Ok(())
}
