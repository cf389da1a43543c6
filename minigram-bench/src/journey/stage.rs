//! The three stages: what each runs and how it is brought up and torn down.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;
use minigram_devcluster::{DevCluster, RedisServer};
use serde::Serialize;

use super::nginx::{NginxConfig, find_nginx};
use super::process::{Process, free_port, wait_healthy};
use super::prometheus::Prometheus;

/// A stage of the journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Stage {
    /// One server, embedded store (redb), in-process L1 cache.
    Single,
    /// One server on a PostgreSQL primary (pooled) with the tiered cache
    /// (in-process L1 + Redis L2).
    Postgres,
    /// nginx (`least_conn`) over 3 servers sharing a PostgreSQL primary, 2
    /// streaming replicas and one Redis.
    Balanced,
}

impl Stage {
    /// All stages, in order.
    pub const ALL: [Stage; 3] = [Stage::Single, Stage::Postgres, Stage::Balanced];

    /// Stage number (1-3).
    pub fn number(self) -> u8 {
        match self {
            Self::Single => 1,
            Self::Postgres => 2,
            Self::Balanced => 3,
        }
    }

    /// What runs, in one line.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Single => "1 minigram-server, embedded store (redb), L1 cache",
            Self::Postgres => {
                "1 minigram-server, PostgreSQL primary (pool 16), tiered cache (L1 + Redis)"
            }
            Self::Balanced => {
                "nginx least_conn over 3 minigram-servers, PostgreSQL primary + 2 replicas, shared Redis"
            }
        }
    }
}

/// The home-feed strategy a stage's servers run (their `--feed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Feed {
    /// Merged at read time (the server's default).
    Pull,
    /// Timelines fed by the fan-out queue at post time.
    Push,
    /// Push, except authors with at least the server's
    /// `--celebrity-followers` (default 10,000) are merged at read time.
    Hybrid,
}

impl Feed {
    /// All strategies, in the order the comparison runs them.
    pub const ALL: [Feed; 3] = [Feed::Pull, Feed::Push, Feed::Hybrid];

    /// The `--feed` value.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pull => "pull",
            Self::Push => "push",
            Self::Hybrid => "hybrid",
        }
    }
}

/// A running stage: the URL to load and everything to stop afterwards.
/// Dropping it stops Prometheus, nginx, the servers, Redis and PostgreSQL,
/// in that order.
#[derive(Debug)]
pub struct Deployment {
    /// Where the load generator sends requests.
    pub url: String,
    /// Each app instance's own URL (for `/api/metrics`).
    pub instance_urls: Vec<String>,
    /// Stage 3's Prometheus, scraping every instance.
    pub prometheus: Option<Prometheus>,
    nginx: Option<Process>,
    servers: Vec<Process>,
    redis: Option<RedisServer>,
    cluster: Option<DevCluster>,
}

impl Deployment {
    /// Stops everything (also done on drop).
    pub async fn stop(mut self) {
        self.prometheus.take();
        self.nginx.take();
        self.servers.clear();
        if let Some(redis) = self.redis.take() {
            redis.stop().await;
        }
        if let Some(cluster) = self.cluster.take() {
            let _ = cluster.stop().await;
        }
    }
}

/// The flags every server gets, whatever the stage.
fn server_command(bin: &Path, port: u16, data_dir: &Path, instance: &str, feed: Feed) -> Command {
    let mut command = Command::new(bin);
    command
        .arg("--port")
        .arg(port.to_string())
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--rate-limit", "off", "--log", "warn"])
        .args(["--feed", feed.name()])
        .args(["--instance-id", instance])
        // All instances sign and check the same tokens.
        .args(["--token-secret", "minigram-journey-shared-token-secret"]);
    command
}

async fn start_server(
    name: &str,
    command: Command,
    port: u16,
    dir: &Path,
) -> anyhow::Result<Process> {
    let log = dir.join(format!("{name}.log"));
    let mut process = Process::spawn(name, command, &log)?;
    wait_healthy(
        &mut process,
        &format!("http://127.0.0.1:{port}/health"),
        Duration::from_secs(60),
    )
    .await
    .with_context(|| format!("{name} did not become healthy (log: {})", log.display()))?;
    Ok(process)
}

/// Brings a stage up under `dir` (which is emptied first), its servers on
/// the default pull feed.
pub async fn bring_up(stage: Stage, server_bin: &Path, dir: &Path) -> anyhow::Result<Deployment> {
    bring_up_with_feed(stage, Feed::Pull, server_bin, dir).await
}

/// Brings a stage up under `dir` (which is emptied first), its servers on
/// `feed`.
pub async fn bring_up_with_feed(
    stage: Stage,
    feed: Feed,
    server_bin: &Path,
    dir: &Path,
) -> anyhow::Result<Deployment> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("emptying {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)?;
    match stage {
        Stage::Single => {
            let port = free_port()?;
            let command = server_command(server_bin, port, &dir.join("app-1"), "app-1", feed);
            let server = start_server("app-1", command, port, dir).await?;
            let url = format!("http://127.0.0.1:{port}");
            Ok(Deployment {
                url: url.clone(),
                instance_urls: vec![url],
                prometheus: None,
                nginx: None,
                servers: vec![server],
                redis: None,
                cluster: None,
            })
        }
        Stage::Postgres | Stage::Balanced => {
            let (instances, replicas) = if stage == Stage::Postgres {
                (1, 0)
            } else {
                (3, 2)
            };
            let cluster = DevCluster::builder()
                .replicas(replicas)
                .data_dir(dir.join("postgres"))
                .start()
                .await
                .context("starting PostgreSQL (needs the postgresql package)")?;
            cluster.stop_when_process_exits()?;
            cluster.ensure_database("minigram").await?;
            let redis = RedisServer::start_new()
                .await
                .context("starting redis-server (needs the redis-server package)")?;
            redis.stop_when_process_exits()?;
            let mut deployment = Deployment {
                url: String::new(),
                instance_urls: Vec::new(),
                prometheus: None,
                nginx: None,
                servers: Vec::new(),
                redis: None,
                cluster: None,
            };
            let primary = cluster.primary_url("minigram");
            let replica_urls = cluster.replica_urls("minigram");
            let redis_url = redis.url();
            deployment.redis = Some(redis);
            deployment.cluster = Some(cluster);
            let mut ports = Vec::new();
            // One at a time: the first applies the migrations.
            for i in 1..=instances {
                let name = format!("app-{i}");
                let port = free_port()?;
                let mut command = server_command(server_bin, port, &dir.join(&name), &name, feed);
                command.arg("--database-url").arg(&primary);
                for replica in &replica_urls {
                    command.arg("--replica-url").arg(replica);
                }
                command.args(["--cache", "tiered", "--redis-url", &redis_url]);
                deployment
                    .servers
                    .push(start_server(&name, command, port, dir).await?);
                deployment
                    .instance_urls
                    .push(format!("http://127.0.0.1:{port}"));
                ports.push(port);
            }
            if stage == Stage::Postgres {
                deployment.url = deployment.instance_urls[0].clone();
            } else {
                let nginx = start_nginx(&dir.join("nginx"), &ports).await?;
                deployment.url = nginx.0;
                deployment.nginx = Some(nginx.1);
                deployment.prometheus =
                    Some(Prometheus::start(&dir.join("prometheus"), &ports).await?);
            }
            Ok(deployment)
        }
    }
}

async fn start_nginx(dir: &Path, ports: &[u16]) -> anyhow::Result<(String, Process)> {
    let program = find_nginx()?;
    std::fs::create_dir_all(dir)?;
    let listen_port = free_port()?;
    let config = NginxConfig {
        dir: dir.to_path_buf(),
        listen_port,
        upstream_ports: ports.to_vec(),
        user: running_as_root().then(|| "root".to_owned()),
    };
    let path: PathBuf = dir.join("nginx.conf");
    std::fs::write(&path, config.render())?;
    let mut command = Command::new(program);
    command
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(&path);
    let mut process = Process::spawn("nginx", command, &dir.join("nginx.out"))?;
    let url = format!("http://127.0.0.1:{listen_port}");
    wait_healthy(
        &mut process,
        &format!("{url}/health"),
        Duration::from_secs(20),
    )
    .await
    .with_context(|| format!("nginx did not start (see {}/error.log)", dir.display()))?;
    Ok((url, process))
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_get_the_feed_strategy_flag() {
        for feed in Feed::ALL {
            let command = server_command(
                Path::new("minigram-server"),
                3000,
                Path::new("data"),
                "app-1",
                feed,
            );
            let args: Vec<_> = command
                .get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            let value = args
                .iter()
                .position(|a| a == "--feed")
                .and_then(|at| args.get(at + 1));
            assert_eq!(value.map(String::as_str), Some(feed.name()));
        }
        assert_eq!(
            serde_json::to_string(&Feed::Hybrid).ok().as_deref(),
            Some("\"hybrid\"")
        );
    }
}
