//! A long-running child process (Patroni, etcd) this crate started and
//! must stop: signalled by pid, waited for from async code and from drop.

use parking_lot::Mutex;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::DevClusterError;

/// How often a stopping process is checked.
const POLL: Duration = Duration::from_millis(20);

/// The child, once spawned. The process is reaped by `try_wait` (a plain
/// `waitpid`), which works in async code and in drop alike — no runtime
/// is needed to stop it.
#[derive(Debug)]
pub(crate) struct ChildProcess {
    /// What it is, for messages (`patroni (node1)`).
    what: String,
    child: Mutex<Option<tokio::process::Child>>,
}

impl ChildProcess {
    pub(crate) fn new(what: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            child: Mutex::new(None),
        }
    }

    /// Spawns `command` (which must not be running already).
    pub(crate) fn spawn(
        &self,
        mut command: tokio::process::Command,
    ) -> Result<(), DevClusterError> {
        let child = command
            .spawn()
            .map_err(DevClusterError::io(format!("starting {}", self.what)))?;
        *self.child.lock() = Some(child);
        Ok(())
    }

    /// The pid, while it runs.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.is_running()
            .then(|| self.child.lock().as_ref().and_then(|c| c.id()))
            .flatten()
    }

    /// Whether it was spawned and has not exited.
    pub(crate) fn is_running(&self) -> bool {
        self.exit_status().is_none() && self.child.lock().is_some()
    }

    /// How it ended, once it has (`None` while it runs or before a spawn).
    pub(crate) fn exit_status(&self) -> Option<std::process::ExitStatus> {
        self.child
            .lock()
            .as_mut()
            .and_then(|child| child.try_wait().ok().flatten())
    }

    /// Sends `SIGTERM` (through `kill`: no unsafe code, no signal crate).
    pub(crate) fn terminate(&self) {
        if let Some(pid) = self.pid() {
            send_signal(pid, "TERM");
        }
    }

    /// `SIGKILL`, then waits (at most a second: the kernel ends a killed
    /// process at once) until it is gone.
    pub(crate) fn kill_now(&self) {
        if let Some(child) = self.child.lock().as_mut() {
            let _ = child.start_kill();
        }
        let deadline = Instant::now() + Duration::from_secs(1);
        while self.is_running() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// `SIGTERM`, then waits up to `grace` for the process to exit, then
    /// `SIGKILL`. Does nothing when it is not running.
    pub(crate) async fn stop(&self, grace: Duration) {
        if self.is_running() {
            self.terminate();
            self.wait_or_kill(Instant::now() + grace).await;
        }
    }

    /// Waits until the process has exited (after [`ChildProcess::terminate`]),
    /// killing it at `deadline`.
    pub(crate) async fn wait_or_kill(&self, deadline: Instant) {
        while self.is_running() && Instant::now() < deadline {
            tokio::time::sleep(POLL).await;
        }
        if self.is_running() {
            tracing::warn!(process = %self.what, "did not stop on SIGTERM in time; killing it");
            self.kill_now();
        }
    }

    /// [`ChildProcess::stop`] for drop, where nothing can be awaited.
    pub(crate) fn stop_blocking(&self, grace: Duration) {
        if self.is_running() {
            self.terminate();
            self.wait_or_kill_blocking(Instant::now() + grace);
        }
    }

    /// [`ChildProcess::wait_or_kill`] for drop.
    pub(crate) fn wait_or_kill_blocking(&self, deadline: Instant) {
        while self.is_running() && Instant::now() < deadline {
            std::thread::sleep(POLL);
        }
        if self.is_running() {
            self.kill_now();
        }
    }
}

/// Sends `SIGNAL` (`TERM`, `KILL`) to `pid` with the `kill` program.
/// Returns whether `kill` succeeded (it fails when the process is gone).
pub(crate) fn send_signal(pid: u32, signal: &str) -> bool {
    std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether `pid` is a live process (not a zombie), from `/proc`.
pub(crate) fn is_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// `path` opened for appending twice, for a child's standard output and
/// standard error (created when missing).
pub(crate) fn append_log(
    path: &std::path::Path,
) -> Result<(std::fs::File, std::fs::File), DevClusterError> {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(DevClusterError::io(format!("opening {}", path.display())))?;
    let err = out.try_clone().map_err(DevClusterError::io(format!(
        "duplicating {}",
        path.display()
    )))?;
    Ok((out, err))
}
