//! Stage 3's Prometheus: the project's own configuration and alert rules
//! (`deploy/prometheus/`, compiled in), scraping every instance, and the
//! figures the report reads back through its HTTP API.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;

use super::process::{Process, free_port, wait_healthy};

/// `deploy/prometheus/prometheus.yml`: targets from `targets/*.json`,
/// rules from `rules/minigram.rules.yml`, both relative to it.
const CONFIG: &str = include_str!("../../../deploy/prometheus/prometheus.yml");
/// `deploy/prometheus/rules/minigram.rules.yml`.
const RULES: &str = include_str!("../../../deploy/prometheus/rules/minigram.rules.yml");
/// The configuration's scrape interval: how long after the load ends the
/// last figures are certain to have been scraped (plus a margin).
pub const SCRAPE_SETTLE: Duration = Duration::from_secs(7);

/// The prometheus program: on `PATH`, or `/usr/bin/prometheus`.
pub fn find_prometheus() -> anyhow::Result<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("prometheus"))
        .find(|path| path.is_file());
    on_path
        .or_else(|| Some(PathBuf::from("/usr/bin/prometheus")).filter(|p| p.is_file()))
        .context("prometheus not found: install the Debian package `prometheus` (scripts/journey.sh does)")
}

/// A running Prometheus scraping the stage's instances.
#[derive(Debug)]
pub struct Prometheus {
    /// Its HTTP API, `http://127.0.0.1:<port>`.
    pub url: String,
    _process: Process,
}

impl Prometheus {
    /// Starts Prometheus under `dir` with the committed configuration and
    /// rules, the instances at `ports` (127.0.0.1) as its targets.
    pub async fn start(dir: &Path, ports: &[u16]) -> anyhow::Result<Self> {
        let program = find_prometheus()?;
        std::fs::create_dir_all(dir.join("rules"))?;
        std::fs::create_dir_all(dir.join("targets"))?;
        std::fs::write(dir.join("prometheus.yml"), CONFIG)?;
        std::fs::write(dir.join("rules/minigram.rules.yml"), RULES)?;
        let targets: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let targets = serde_json::json!([{ "targets": targets, "labels": { "stage": "3" } }]);
        std::fs::write(
            dir.join("targets/journey.json"),
            serde_json::to_vec_pretty(&targets)?,
        )?;
        let port = free_port()?;
        let mut command = Command::new(program);
        command
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"));
        let mut process = Process::spawn("prometheus", command, &dir.join("prometheus.log"))?;
        let url = format!("http://127.0.0.1:{port}");
        wait_healthy(
            &mut process,
            &format!("{url}/-/ready"),
            Duration::from_secs(30),
        )
        .await
        .with_context(|| {
            format!(
                "prometheus did not start (see {}/prometheus.log)",
                dir.display()
            )
        })?;
        Ok(Self {
            url,
            _process: process,
        })
    }

    /// The instant query `expr`: each series' labels and value.
    pub async fn query(&self, expr: &str) -> anyhow::Result<Vec<(serde_json::Value, f64)>> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?;
        let mut url = reqwest::Url::parse(&format!("{}/api/v1/query", self.url))?;
        url.query_pairs_mut().append_pair("query", expr);
        let body: serde_json::Value = client
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let results = body["data"]["result"]
            .as_array()
            .with_context(|| format!("unexpected answer to {expr}: {body}"))?;
        Ok(results
            .iter()
            .filter_map(|r| {
                let value = r["value"][1].as_str()?.parse().ok()?;
                Some((r["metric"].clone(), value))
            })
            .collect())
    }

    /// The figures the report shows, read after the load has ended and
    /// the last scrape has happened.
    pub async fn read_back(&self) -> anyhow::Result<PrometheusReadback> {
        let total = self
            .query(REQUESTS_TOTAL)
            .await?
            .first()
            .map_or(0.0, |(_, v)| *v);
        let mut per_instance: Vec<(String, f64)> = self
            .query(REQUESTS_PER_INSTANCE)
            .await?
            .into_iter()
            .map(|(labels, v)| (labels["instance"].as_str().unwrap_or("?").to_owned(), v))
            .collect();
        per_instance.sort_by(|a, b| a.0.cmp(&b.0));
        let mut per_route: Vec<(String, f64)> = self
            .query(REQUESTS_PER_ROUTE)
            .await?
            .into_iter()
            .map(|(labels, v)| {
                let method = labels["method"].as_str().unwrap_or("?");
                let route = labels["route"].as_str().unwrap_or("?");
                (format!("{method} {route}"), v)
            })
            .collect();
        per_route.sort_by(|a, b| a.0.cmp(&b.0));
        let up = self.query(UP).await?.first().map_or(0.0, |(_, v)| *v);
        Ok(PrometheusReadback {
            requests_total: total,
            requests_per_instance: per_instance,
            requests_per_route: per_route,
            instances_up: up,
            queries: [
                REQUESTS_TOTAL,
                REQUESTS_PER_INSTANCE,
                REQUESTS_PER_ROUTE,
                UP,
            ]
            .map(str::to_owned)
            .to_vec(),
        })
    }
}

/// Requests every instance answered (all routes, all statuses), as last scraped.
const REQUESTS_TOTAL: &str = "sum(minigram_http_requests_total)";
/// The same per instance: how nginx spread the load.
const REQUESTS_PER_INSTANCE: &str = "sum by (instance) (minigram_http_requests_total)";
/// The same per method and route, all instances together.
const REQUESTS_PER_ROUTE: &str = "sum by (method, route) (minigram_http_requests_total)";
/// Instances answering scrapes.
const UP: &str = r#"sum(up{job="minigram"})"#;

/// What Prometheus saw of stage 3.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PrometheusReadback {
    /// Requests answered by all instances since they started, as scraped.
    pub requests_total: f64,
    /// The same per instance (`127.0.0.1:<port>`).
    pub requests_per_instance: Vec<(String, f64)>,
    /// The same per `"METHOD /route"`.
    pub requests_per_route: Vec<(String, f64)>,
    /// Instances answering scrapes at the end.
    pub instances_up: f64,
    /// The PromQL the figures come from.
    pub queries: Vec<String>,
}
