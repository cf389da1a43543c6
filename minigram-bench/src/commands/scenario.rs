//! `scenario`: closed-loop simulated users, all starting together.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::Barrier;

use crate::cli::{Mix, ScenarioArgs};
use crate::client::{Answer, ApiClient, CallError, Failure, tiny_png};
use crate::recorder::Recorder;
use crate::report::Report;

/// The password every simulated user registers with.
const PASSWORD: &str = "benchmark-password";

/// Runs the scenario, prints the table and writes the JSON report.
pub async fn run_and_report(args: ScenarioArgs) -> anyhow::Result<()> {
    let report = run(&args).await?;
    println!("{}", report.to_text());
    if let Some(path) = &args.json {
        report.write_json(path)?;
        println!("report written to {}", path.display());
    }
    Ok(())
}

/// Runs the scenario and returns its report.
pub async fn run(args: &ScenarioArgs) -> anyhow::Result<Report> {
    let client = ApiClient::new(&args.target.url, Duration::from_secs(args.target.timeout_s))?;
    let run_id = run_id();
    prepare(&client, &run_id)
        .await
        .with_context(|| format!("preparing {} (users 1-10, photos 1-3)", client.base()))?;

    let barrier = Arc::new(Barrier::new(args.users + 1));
    let progress = progress_bar(args);
    let mut tasks = Vec::with_capacity(args.users);
    for index in 0..args.users {
        let client = client.clone();
        let barrier = Arc::clone(&barrier);
        let progress = progress.clone();
        let run_id = run_id.clone();
        let (mix, iterations) = (args.mix, args.iterations);
        let delay = ramp_delay(index, args.users, args.ramp_s);
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            tokio::time::sleep(delay).await;
            let mut recorder = Recorder::new();
            simulate_user(&client, &run_id, index, mix, iterations, &mut recorder).await;
            progress.inc(1);
            recorder
        }));
    }
    barrier.wait().await;
    let started = Instant::now();
    let mut recorder = Recorder::new();
    for task in tasks {
        recorder.merge(&task.await?);
    }
    let duration = started.elapsed();
    progress.finish_and_clear();

    let params = serde_json::json!({
        "url": args.target.url,
        "users": args.users,
        "mix": args.mix.name(),
        "iterations": args.iterations,
        "ramp_s": args.ramp_s,
        "timeout_s": args.target.timeout_s,
        "load_generator_cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "server": client.instance().await,
    });
    Ok(Report::new(&recorder, duration, params))
}

fn progress_bar(args: &ScenarioArgs) -> ProgressBar {
    if args.quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(args.users as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {elapsed_precise} [{bar:40}] {pos}/{len} users done",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn ramp_delay(index: usize, users: usize, ramp_s: f64) -> Duration {
    if ramp_s <= 0.0 || users == 0 {
        Duration::ZERO
    } else {
        Duration::from_secs_f64(ramp_s * index as f64 / users as f64)
    }
}

/// A short id that keeps this run's usernames apart from earlier runs'.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("b{:x}", (nanos as u64 ^ rand::random::<u64>()) & 0xff_ffff)
}

/// The origin's flow addresses users 1-10 and photos 1-3 by id: make sure
/// they exist (ids are assigned in increasing order from 1).
async fn prepare(client: &ApiClient, run_id: &str) -> anyhow::Result<()> {
    let mut session = None;
    for k in 0..10 {
        let name = format!("{run_id}setup{k}");
        let created = client
            .register(&name, &format!("{name}@bench.example"), PASSWORD)
            .await
            .map_err(|e| anyhow::anyhow!("registering a setup user failed: {}", e.failure))?
            .value;
        let enough = created.user_id >= 10;
        session = Some(created);
        if enough {
            break;
        }
    }
    let Some(session) = session else {
        anyhow::bail!("no setup user could be registered");
    };
    for n in 0..3u32 {
        if client
            .photo_exists(&session.token, 3)
            .await
            .map_err(|e| anyhow::anyhow!("checking photo 3 failed: {}", e.failure))?
        {
            break;
        }
        client
            .upload(&session.token, &tiny_png(100 + n, 100), "setup photo")
            .await
            .map_err(|e| anyhow::anyhow!("posting a setup photo failed: {}", e.failure))?;
    }
    Ok(())
}

/// Times one operation and records it.
async fn timed<T>(
    recorder: &mut Recorder,
    op: &str,
    call: impl std::future::Future<Output = Result<Answer<T>, CallError>>,
) -> Option<T> {
    let started = Instant::now();
    let result = call.await;
    recorder.record(op, started.elapsed(), &result);
    result.ok().map(|a| a.value)
}

fn skipped(recorder: &mut Recorder, op: &str, times: usize) {
    let result: Result<Answer<()>, CallError> = Err(CallError {
        failure: Failure::Skipped,
        retries: 0,
    });
    for _ in 0..times {
        recorder.record(op, Duration::ZERO, &result);
    }
}

/// One simulated user's session.
async fn simulate_user(
    client: &ApiClient,
    run_id: &str,
    index: usize,
    mix: Mix,
    iterations: usize,
    recorder: &mut Recorder,
) {
    let name = format!("{run_id}u{index}");
    let email = format!("{name}@bench.example");
    timed(
        recorder,
        "register",
        client.register(&name, &email, PASSWORD),
    )
    .await;
    let Some(session) = timed(recorder, "login", client.login(&name, PASSWORD)).await else {
        match mix {
            Mix::Session => {
                skipped(recorder, "feed", 3);
                skipped(recorder, "like", 3);
                skipped(recorder, "follow", 1);
            }
            Mix::ReadHeavy => {
                skipped(recorder, "feed", 9 * iterations);
                skipped(recorder, "like", iterations);
            }
            Mix::WriteHeavy => {
                for op in ["like", "unlike", "follow", "unfollow", "upload"] {
                    skipped(recorder, op, iterations);
                }
            }
        }
        return;
    };
    let token = session.token.as_str();
    let followee = (index % 10) as u64 + 1;
    match mix {
        Mix::Session => {
            for _ in 0..3 {
                timed(recorder, "feed", client.feed(token, 20)).await;
            }
            for photo in 1..=3 {
                timed(recorder, "like", client.like(token, photo, true)).await;
            }
            timed(recorder, "follow", client.follow(token, followee, true)).await;
        }
        Mix::ReadHeavy => {
            for iteration in 0..iterations {
                for _ in 0..9 {
                    timed(recorder, "feed", client.feed(token, 20)).await;
                }
                let photo = (iteration % 3) as u64 + 1;
                timed(recorder, "like", client.like(token, photo, true)).await;
            }
        }
        Mix::WriteHeavy => {
            for iteration in 0..iterations {
                let photo = (iteration % 3) as u64 + 1;
                timed(recorder, "like", client.like(token, photo, true)).await;
                timed(recorder, "unlike", client.like(token, photo, false)).await;
                timed(recorder, "follow", client.follow(token, followee, true)).await;
                timed(recorder, "unfollow", client.follow(token, followee, false)).await;
                let image = tiny_png(index as u32 + 1, iteration as u32 + 1);
                timed(recorder, "upload", client.upload(token, &image, "bench")).await;
            }
        }
    }
}
