//! A throwaway `redis-server` on a free loopback port.

use parking_lot::Mutex;
use std::net::{Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::process::{ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::DevClusterError;

/// A `redis-server` bound to 127.0.0.1 on a free port, with no persistence
/// (`--save "" --appendonly no`), in a temporary directory. Stopped on drop;
/// [`RedisServer::stop_when_process_exits`] also stops it when this process
/// ends without dropping it (a server kept in a `static`).
/// [`RedisServer::stop`] and [`RedisServer::start`] stop and restart it on
/// the same port, for fault tests (a restarted server is empty).
///
/// ```no_run
/// # async fn example() -> Result<(), minigram_devcluster::DevClusterError> {
/// let redis = minigram_devcluster::RedisServer::start_new().await?;
/// println!("{}", redis.url());
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct RedisServer {
    program: PathBuf,
    port: u16,
    dir: tempfile::TempDir,
    child: Mutex<Option<std::process::Child>>,
    watchdog: Mutex<Option<ChildStdin>>,
}

/// How long a start may take.
const START_TIMEOUT: Duration = Duration::from_secs(10);

impl RedisServer {
    /// Finds `redis-server` on `PATH` and starts it.
    pub async fn start_new() -> Result<Self, DevClusterError> {
        let program = find_program("redis-server").ok_or(DevClusterError::MissingRedis)?;
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .map_err(DevClusterError::io("finding a free port for Redis"))?;
        let dir = tempfile::Builder::new()
            .prefix("minigram-redis-")
            .tempdir()
            .map_err(DevClusterError::io("creating the Redis directory"))?;
        let server = Self {
            program,
            port,
            dir,
            child: Mutex::new(None),
            watchdog: Mutex::new(None),
        };
        server.start().await?;
        Ok(server)
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the server process is running.
    pub fn is_running(&self) -> bool {
        let mut child = self.child.lock();
        match child.as_mut() {
            Some(process) => matches!(process.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Starts the server (again) on its port and waits until it answers
    /// `PING`. Does nothing when it is running.
    pub async fn start(&self) -> Result<(), DevClusterError> {
        if self.is_running() {
            return Ok(());
        }
        let log = self.dir.path().join("redis.log");
        let process = Command::new(&self.program)
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .args(["--daemonize", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(DevClusterError::io("starting redis-server"))?;
        *self.child.lock() = Some(process);
        let started = Instant::now();
        while started.elapsed() < START_TIMEOUT {
            if self.ping().await {
                return Ok(());
            }
            if !self.is_running() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.kill();
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(10).collect();
        Err(DevClusterError::Timeout {
            what: format!("redis-server answering PING on port {}", self.port),
            waited: START_TIMEOUT,
            log: format!(
                "\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            ),
        })
    }

    async fn ping(&self) -> bool {
        let attempt = async {
            let mut stream = tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, self.port))
                .await
                .ok()?;
            stream.write_all(b"PING\r\n").await.ok()?;
            let mut reply = [0u8; 7];
            stream.read_exact(&mut reply).await.ok()?;
            (&reply == b"+PONG\r\n").then_some(())
        };
        matches!(
            tokio::time::timeout(Duration::from_millis(500), attempt).await,
            Ok(Some(()))
        )
    }

    fn kill(&self) {
        if let Some(mut process) = self.child.lock().take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }

    /// Stops the server at once (as a crash would: `SIGKILL`). Its data is
    /// lost; [`RedisServer::start`] brings it back, empty.
    pub async fn stop(&self) {
        // `wait` after a kill returns at once.
        self.kill();
    }

    /// Starts a watchdog that kills the server once this process is gone,
    /// however it ends. For servers kept in a `static`, never dropped.
    pub fn stop_when_process_exits(&self) -> Result<(), DevClusterError> {
        let Some(pid) = self.child.lock().as_ref().map(std::process::Child::id) else {
            return Ok(());
        };
        let mut child = Command::new("sh")
            .arg("-c")
            .arg("trap '' INT TERM HUP; cat >/dev/null; kill -9 \"$1\" 2>/dev/null; rm -rf \"$2\"")
            .arg("minigram-redis-watchdog")
            .arg(pid.to_string())
            .arg(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(DevClusterError::io("starting the Redis exit watchdog"))?;
        *self.watchdog.lock() = child.stdin.take();
        Ok(())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
