//! A bounded smoke run of the load generator against a real in-process
//! single server (embedded store, cheapest password hashing).
#![allow(clippy::unwrap_used)]

use minigram_bench::cli::{Mix, RateArgs, RateOp, ScenarioArgs, Target};
use minigram_bench::commands::{rate, scenario};
use minigram_server::{Application, ServerConfig};

async fn start_server(dir: &std::path::Path) -> (String, tokio::sync::oneshot::Sender<()>) {
    let settings = ServerConfig::for_tests(dir).resolve().unwrap();
    let app = Application::build(&settings).await.unwrap();
    let url = app.url();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    (url, stop)
}

fn target(url: &str) -> Target {
    Target {
        url: url.to_owned(),
        timeout_s: 30,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_origin_session_at_50_users_succeeds_completely() {
    let dir = tempfile::tempdir().unwrap();
    let (url, stop) = start_server(dir.path()).await;
    let report = scenario::run(&ScenarioArgs {
        target: target(&url),
        users: 50,
        mix: Mix::Session,
        iterations: 1,
        ramp_s: 0.0,
        json: None,
        quiet: true,
    })
    .await
    .unwrap();
    assert_eq!(report.failed_ops, 0, "{}", report.to_text());
    assert_eq!(report.total_ops, 50 * 9);
    assert_eq!(report.ops["feed"].count, 150);
    assert_eq!(report.ops["like"].count, 150);
    assert_eq!(report.ops["follow"].count, 50);
    assert!(report.throughput_ops_per_s > 0.0);
    assert!(
        report.params["server"]["version"].is_string(),
        "{}",
        report.params
    );
    stop.send(()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_write_heavy_mix_succeeds_and_a_dead_server_fails_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let (url, stop) = start_server(dir.path()).await;
    // Write-heavy with 2 users: every operation is valid, so none may fail.
    let report = scenario::run(&ScenarioArgs {
        target: target(&url),
        users: 2,
        mix: Mix::WriteHeavy,
        iterations: 2,
        ramp_s: 0.0,
        json: None,
        quiet: true,
    })
    .await
    .unwrap();
    assert_eq!(report.failed_ops, 0, "{}", report.to_text());
    stop.send(()).unwrap();
    // Against a server that is gone, every operation fails and is counted.
    let err = scenario::run(&ScenarioArgs {
        target: target(&url),
        users: 2,
        mix: Mix::Session,
        iterations: 1,
        ramp_s: 0.0,
        json: None,
        quiet: true,
    })
    .await;
    assert!(
        err.is_err(),
        "preparing against a stopped server must fail loudly"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_rate_sends_on_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let (url, stop) = start_server(dir.path()).await;
    let report = rate::measure(&RateArgs {
        target: target(&url),
        rps: 200.0,
        duration: 2.0,
        op: RateOp::Feed,
        max_in_flight: 1000,
        json: None,
    })
    .await
    .unwrap();
    assert_eq!(report.scheduled, 400);
    assert_eq!(report.succeeded + report.failed + report.dropped, 400);
    assert_eq!(report.failed, 0, "{:?}", report.failures);
    assert!(report.corrected.p99_ms >= report.uncorrected.p50_ms);
    stop.send(()).unwrap();
}
