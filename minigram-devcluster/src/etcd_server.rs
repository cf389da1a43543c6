//! The one-member etcd that holds Patroni's state (leader key, members,
//! dynamic configuration) for the high-availability cluster.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::DevClusterError;
use crate::child_process::{ChildProcess, append_log};
use crate::pg_node::log_tail;

/// The etcd member (and cluster) name.
const NAME: &str = "minigram-ha";

/// How long etcd may take to stop on `SIGTERM`.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// One etcd 3.4 member on 127.0.0.1, run as the current user (it needs
/// no particular account). Patroni talks to it through the v3 API (the
/// only one etcd 3.4 serves by default), hence the `etcd3:` section of the
/// Patroni configuration.
#[derive(Debug)]
pub(crate) struct EtcdServer {
    program: PathBuf,
    /// `CLUSTER/etcd`: in the cluster directory, so the exit watchdog's
    /// `pkill -f CLUSTER/` finds the process by its `--data-dir`.
    data_dir: PathBuf,
    pub log_file: PathBuf,
    pub client_port: u16,
    peer_port: u16,
    process: ChildProcess,
}

impl EtcdServer {
    pub(crate) fn new(
        program: &Path,
        cluster_dir: &Path,
        client_port: u16,
        peer_port: u16,
    ) -> Self {
        Self {
            program: program.to_path_buf(),
            data_dir: cluster_dir.join("etcd"),
            log_file: cluster_dir.join("logs").join("etcd.log"),
            client_port,
            peer_port,
            process: ChildProcess::new("etcd"),
        }
    }

    /// `http://127.0.0.1:CLIENT_PORT`.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.client_port)
    }

    /// Starts etcd (an existing data directory is reused: it keeps the
    /// Patroni cluster's state) and waits until `/health` says so.
    pub(crate) async fn start(
        &self,
        http: &reqwest::Client,
        timeout: Duration,
    ) -> Result<(), DevClusterError> {
        let started = Instant::now();
        let peer = format!("http://127.0.0.1:{}", self.peer_port);
        let (log, log_err) = append_log(&self.log_file)?;
        let mut command = tokio::process::Command::new(&self.program);
        command
            .args(["--name", NAME])
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(["--listen-client-urls", &self.url()])
            .args(["--advertise-client-urls", &self.url()])
            .args(["--listen-peer-urls", &peer])
            .args(["--initial-advertise-peer-urls", &peer])
            .args(["--initial-cluster", &format!("{NAME}={peer}")])
            .args(["--initial-cluster-token", NAME])
            .args(["--initial-cluster-state", "new"])
            .args(["--logger", "zap", "--log-outputs", "stderr"])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .kill_on_drop(true);
        // Settings in the environment (ETCD_*) would override the flags.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("ETCD_") {
                command.env_remove(name);
            }
        }
        self.process.spawn(command)?;

        let health = format!("{}/health", self.url());
        let deadline = started + timeout;
        loop {
            if let Ok(response) = http.get(&health).send().await
                && response.status().is_success()
                && response.text().await.is_ok_and(|t| t.contains("true"))
            {
                tracing::info!(url = %self.url(), elapsed_ms = started.elapsed().as_millis() as u64, "etcd started");
                return Ok(());
            }
            if let Some(status) = self.process.exit_status() {
                return Err(DevClusterError::Command {
                    command: format!("etcd ({})", self.program.display()),
                    output: format!("exited with {status}{}", log_tail(&self.log_file)),
                });
            }
            if Instant::now() >= deadline {
                return Err(DevClusterError::Timeout {
                    what: format!("etcd answering {health}"),
                    waited: timeout,
                    log: log_tail(&self.log_file),
                });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Whether the process runs.
    pub(crate) fn is_running(&self) -> bool {
        self.process.is_running()
    }

    /// Stops etcd (`SIGTERM`, then `SIGKILL` after 10 s).
    pub(crate) async fn stop(&self) {
        self.process.stop(STOP_GRACE).await;
    }

    /// [`EtcdServer::stop`] for drop.
    pub(crate) fn stop_blocking(&self) {
        self.process.stop_blocking(STOP_GRACE);
    }
}
