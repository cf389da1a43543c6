//! `journey`: the origin's scaling journey rebuilt on loopback, one stage at
//! a time, the same session ramp on each (then stage 2 once per home-feed
//! strategy, one level each), one report.
//!
//! - [`stage`] — what each stage runs, bring-up and teardown.
//! - [`process`] — child processes stopped on drop (also on error and Ctrl-C).
//! - [`nginx`] — stage 3's load balancer configuration.
//! - [`prometheus`] — stage 3's Prometheus and the figures read back from it.
//! - [`ceiling`] — the password-hash ceiling.
//! - [`origin`] — the origin's (distrusted) claims.
//! - [`results`] — `report.json`.
//! - [`report_markdown`] — `report.md`.
//! - [`charts`] — the SVG charts.

pub mod ceiling;
pub mod charts;
pub mod nginx;
pub mod origin;
pub mod process;
pub mod prometheus;
pub mod report_markdown;
pub mod results;
pub mod stage;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};

use self::ceiling::HasherSample;
use self::results::{FeedRun, Journey, LevelRun, StageRun};
use self::stage::{Deployment, Feed, Stage, bring_up, bring_up_with_feed};
use crate::cli::{JourneyArgs, Mix, ScenarioArgs, Target};
use crate::commands::scenario;

/// `--quick` levels: the whole journey in a few minutes on 2 cores.
pub const QUICK_LEVELS: [usize; 4] = [5, 50, 200, 1000];

/// Runs the journey; Ctrl-C stops it and tears everything down.
pub async fn run(args: JourneyArgs) -> anyhow::Result<()> {
    tokio::select! {
        result = journey(&args) => result,
        _ = tokio::signal::ctrl_c() => {
            anyhow::bail!("interrupted: every stage's processes were stopped")
        }
    }
}

fn levels(quick: bool) -> Vec<usize> {
    if quick {
        QUICK_LEVELS.to_vec()
    } else {
        crate::breaking_point::levels(2000).collect()
    }
}

fn server_binary(args: &JourneyArgs) -> anyhow::Result<PathBuf> {
    let path = match &args.server_bin {
        Some(path) => path.clone(),
        None => std::env::current_exe()?
            .parent()
            .map(|dir| dir.join("minigram-server"))
            .context("locating minigram-server")?,
    };
    anyhow::ensure!(
        path.is_file(),
        "{} not found: build it (cargo build --release -p minigram-server) or pass --server-bin",
        path.display()
    );
    Ok(path)
}

async fn journey(args: &JourneyArgs) -> anyhow::Result<()> {
    // Fail before stage 1 rather than after it.
    nginx::find_nginx()?;
    prometheus::find_prometheus()?;
    let server_bin = server_binary(args)?;
    let out = &args.out;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let levels = levels(args.quick);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    let feed_runs = if args.feed_users > 0 {
        Feed::ALL.len()
    } else {
        0
    };
    let progress = ProgressBar::new((Stage::ALL.len() * levels.len() + feed_runs) as u64);
    progress.set_style(
        ProgressStyle::with_template("{spinner} {elapsed_precise} [{bar:40}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    progress.enable_steady_tick(Duration::from_millis(200));

    let mut journey = Journey {
        quick: args.quick,
        cores,
        levels: levels.clone(),
        rate_limit: "off (every server runs with --rate-limit off)".to_owned(),
        stages: Vec::new(),
        feeds: Vec::new(),
    };
    for stage in Stage::ALL {
        progress.set_message(format!("stage {}: starting", stage.number()));
        let dir = out.join(format!("stage{}", stage.number()));
        let run = run_stage(stage, &server_bin, &dir, &levels, args, &progress).await;
        progress.println(format!(
            "stage {} done{}",
            stage.number(),
            run.error
                .as_ref()
                .map(|e| format!(" (stopped early: {e})"))
                .unwrap_or_default()
        ));
        journey.stages.push(run);
        if stage == Stage::Postgres && args.feed_users > 0 {
            journey.feeds = compare_feeds(&server_bin, out, args, &progress).await;
        }
        // Keep what is done so far, in case a later stage is interrupted.
        write_outputs(&journey, out)?;
    }
    progress.finish_and_clear();
    write_outputs(&journey, out)?;
    println!("{}", report_markdown::level_table(&journey.rows()));
    println!("report written to {}", out.join("report.md").display());
    Ok(())
}

async fn run_stage(
    stage: Stage,
    server_bin: &Path,
    dir: &Path,
    levels: &[usize],
    args: &JourneyArgs,
    progress: &ProgressBar,
) -> StageRun {
    let mut run = StageRun {
        stage,
        number: stage.number(),
        description: stage.describe().to_owned(),
        levels: Vec::new(),
        hasher: HasherSample::default(),
        prometheus: None,
        error: None,
    };
    let deployment = match bring_up(stage, server_bin, dir).await {
        Ok(deployment) => deployment,
        Err(e) => {
            run.error = Some(format!("{e:#}"));
            progress.inc(levels.len() as u64);
            return run;
        }
    };
    for (i, &users) in levels.iter().enumerate() {
        progress.set_message(format!("stage {}: {users} users", stage.number()));
        let result = scenario::run(&session_args(&deployment.url, users, args)).await;
        progress.inc(1);
        match result {
            Ok(report) => run.levels.push(LevelRun { users, report }),
            Err(e) => {
                run.error = Some(format!("{users} users: {e:#}"));
                progress.inc((levels.len() - i - 1) as u64);
                break;
            }
        }
    }
    run.hasher = hasher_sample(&deployment).await;
    if let Some(prometheus) = &deployment.prometheus {
        progress.set_message(format!("stage {}: reading Prometheus", stage.number()));
        // The last figures are scraped within one interval of the load's end.
        tokio::time::sleep(prometheus::SCRAPE_SETTLE).await;
        match prometheus.read_back().await {
            Ok(readback) => run.prometheus = Some(readback),
            Err(e) => {
                let note = format!("reading Prometheus: {e:#}");
                run.error = Some(
                    run.error
                        .take()
                        .map_or(note.clone(), |e| format!("{e}; {note}")),
                );
            }
        }
    }
    progress.set_message(format!("stage {}: stopping", stage.number()));
    deployment.stop().await;
    run
}

/// One level of the origin's session against `url`.
fn session_args(url: &str, users: usize, args: &JourneyArgs) -> ScenarioArgs {
    ScenarioArgs {
        target: Target {
            url: url.to_owned(),
            timeout_s: args.timeout_s,
        },
        users,
        mix: Mix::Session,
        iterations: 1,
        ramp_s: 0.0,
        json: None,
        quiet: true,
    }
}

/// Stage 2 brought up afresh once per feed strategy, one after the other,
/// each loaded with `--feed-users` sessions.
async fn compare_feeds(
    server_bin: &Path,
    out: &Path,
    args: &JourneyArgs,
    progress: &ProgressBar,
) -> Vec<FeedRun> {
    let mut runs = Vec::with_capacity(Feed::ALL.len());
    for feed in Feed::ALL {
        let users = args.feed_users;
        progress.set_message(format!("stage 2, --feed {}: {users} users", feed.name()));
        let dir = out.join(format!("stage2-{}", feed.name()));
        let mut run = FeedRun {
            feed,
            users,
            report: None,
            error: None,
        };
        match bring_up_with_feed(Stage::Postgres, feed, server_bin, &dir).await {
            Ok(deployment) => {
                match scenario::run(&session_args(&deployment.url, users, args)).await {
                    Ok(report) => run.report = Some(report),
                    Err(e) => run.error = Some(format!("{users} users: {e:#}")),
                }
                deployment.stop().await;
            }
            Err(e) => run.error = Some(format!("{e:#}")),
        }
        progress.inc(1);
        runs.push(run);
    }
    runs
}

/// Sums the instances' password hasher counters.
async fn hasher_sample(deployment: &Deployment) -> HasherSample {
    let Ok(client) = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
    else {
        return HasherSample::default();
    };
    let mut sum = HasherSample::default();
    for url in &deployment.instance_urls {
        let Ok(response) = client.get(format!("{url}/api/metrics")).send().await else {
            continue;
        };
        let Ok(body) = response.json::<serde_json::Value>().await else {
            continue;
        };
        let hasher = &body["password_hasher"];
        sum = sum.plus(HasherSample {
            completed: hasher["completed"].as_u64().unwrap_or(0),
            busy_s: hasher["busy_s"].as_f64().unwrap_or(0.0),
        });
    }
    sum
}

fn write_outputs(journey: &Journey, out: &Path) -> anyhow::Result<()> {
    std::fs::write(out.join("report.json"), serde_json::to_vec_pretty(journey)?)?;
    std::fs::write(out.join("report.md"), report_markdown::render(journey))?;
    charts::write_all(journey, out)
}
