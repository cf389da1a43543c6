//! Stopping a high-availability cluster from outside this process: the
//! exit watchdog (for a cluster never dropped) and the clean-up of what a
//! crashed earlier run left running in a reused directory.
//!
//! Both run one `sh` script that finds the processes by their command
//! line: every Patroni has its configuration `CLUSTER/nodeN/patroni.yml`
//! there, every postmaster its data directory `CLUSTER/nodeN/data`, etcd
//! its `--data-dir CLUSTER/etcd`. So `CLUSTER/` in a command line marks
//! the cluster's processes, even those this process did not start (a
//! postmaster outlives a killed Patroni). The script gets every path
//! through its environment, never its arguments, so it does not match
//! itself; it also spares `$KEEP_PID` (the process that started it, in
//! case the directory is on that one's command line).
//!
//! The watchdog is like the plain dev cluster's ([`crate::DevCluster`]'s):
//! a child whose standard input is a pipe this process holds open, so
//! once this process ends, however it ends, it reads end-of-file and
//! stops the cluster.

use std::path::Path;
use std::process::{ChildStdin, Command, Stdio};

use crate::DevClusterError;
use crate::os_user::ServerUser;
use crate::pg_binaries::PgBinaries;
use crate::pg_node::run;

/// Waits for end-of-file when `$WAIT_FOR_EOF` is 1, then: `SIGTERM` to
/// every Patroni (each stops its PostgreSQL) and up to 10 s for them to
/// go; `pg_ctl stop -m immediate` on every data directory still running
/// (a PostgreSQL whose Patroni was killed); `SIGTERM` to what is left
/// (etcd) and up to 5 s; `SIGKILL` to anything still there; then removes
/// `$REMOVE` when set.
const SCRIPT: &str = r#"
trap '' INT TERM HUP
if [ "$WAIT_FOR_EOF" = 1 ]; then cat >/dev/null; fi
signal_all() {
    for pid in $(pgrep -f "$2"); do
        if [ "$pid" != "$$" ] && [ "$pid" != "$KEEP_PID" ]; then kill "-$1" "$pid" 2>/dev/null; fi
    done
}
wait_gone() {
    i=0
    while [ "$i" -lt "$2" ] && pgrep -f "$1" >/dev/null; do sleep 0.1; i=$((i + 1)); done
}
signal_all TERM "$PATRONI_PATTERN"
wait_gone "$PATRONI_PATTERN" 100
for dir in "$CLUSTER_DIR"/node*/data; do
    if [ -f "$dir/postmaster.pid" ]; then
        $RUN_AS "$PG_CTL" stop -D "$dir" -m immediate -w -t 10 >/dev/null 2>&1
    fi
done
signal_all TERM "$PATTERN"
wait_gone "$PATTERN" 50
signal_all KILL "$PATTERN"
if [ -n "$REMOVE" ]; then rm -rf "$REMOVE"; fi
"#;

/// Holds the write end of the watchdog's standard input.
#[derive(Debug)]
pub(crate) struct HaExitWatchdog {
    _stdin: ChildStdin,
}

impl HaExitWatchdog {
    /// Starts the watchdog for the cluster in `cluster_dir`, removing
    /// `remove` afterwards when given.
    pub(crate) fn spawn(
        user: &ServerUser,
        bins: &PgBinaries,
        cluster_dir: &Path,
        remove: Option<&Path>,
    ) -> Result<Self, DevClusterError> {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(SCRIPT)
            .arg("minigram-ha-watchdog")
            .envs(script_env(user, bins, cluster_dir, remove, true))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = command
            .spawn()
            .map_err(DevClusterError::io("starting the HA cluster exit watchdog"))?;
        let stdin = child.stdin.take().ok_or_else(|| DevClusterError::Command {
            command: "sh (HA cluster exit watchdog)".into(),
            output: "no standard input pipe".into(),
        })?;
        // The child is deliberately not waited for: it outlives this process.
        drop(child);
        Ok(Self { _stdin: stdin })
    }
}

/// Stops whatever of a cluster in `cluster_dir` is still running (an
/// earlier run that crashed before stopping it), and waits for that.
pub(crate) async fn stop_leftovers(
    user: &ServerUser,
    bins: &PgBinaries,
    cluster_dir: &Path,
) -> Result<(), DevClusterError> {
    let mut command = tokio::process::Command::new("sh");
    command
        .arg("-c")
        .arg(SCRIPT)
        .arg("minigram-ha-cleanup")
        .envs(script_env(user, bins, cluster_dir, None, false));
    run(command, "stopping an earlier run's HA cluster", None).await
}

fn script_env(
    user: &ServerUser,
    bins: &PgBinaries,
    cluster_dir: &Path,
    remove: Option<&Path>,
    wait_for_eof: bool,
) -> Vec<(&'static str, String)> {
    let dir = cluster_dir.display().to_string();
    let escaped = regex_escape(&dir);
    vec![
        (
            "WAIT_FOR_EOF",
            if wait_for_eof { "1" } else { "0" }.to_owned(),
        ),
        ("CLUSTER_DIR", dir),
        ("PATTERN", format!("{escaped}/")),
        (
            "PATRONI_PATTERN",
            format!(
                "{escaped}/node[0-9]+/{}",
                regex_escape(crate::patroni_node::CONFIG_FILE)
            ),
        ),
        ("PG_CTL", bins.program("pg_ctl").display().to_string()),
        ("RUN_AS", user.prefix().join(" ")),
        (
            "REMOVE",
            remove.map(|p| p.display().to_string()).unwrap_or_default(),
        ),
        ("KEEP_PID", std::process::id().to_string()),
        (
            "PATH",
            std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into()),
        ),
    ]
}

/// Escapes the characters special in `pgrep`'s extended regular
/// expressions.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.^$*+?()[]{}|".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_escaped() {
        assert_eq!(regex_escape("/tmp/a.b+c"), "/tmp/a\\.b\\+c");
    }

    /// A process with `CLUSTER/node1/patroni.yml` on its command line (a
    /// stand-in for a leftover Patroni) is stopped; one outside is not.
    #[tokio::test]
    async fn leftovers_are_found_by_their_command_line() {
        let cluster = tempfile::tempdir().expect("tempdir");
        let other = tempfile::tempdir().expect("tempdir");
        let fake = |dir: &Path| {
            std::process::Command::new("sh")
                .arg("-c")
                .arg("sleep 30")
                .arg("fake-patroni")
                .arg(dir.join("node1").join(crate::patroni_node::CONFIG_FILE))
                .spawn()
                .expect("spawn")
        };
        let mut inside = fake(cluster.path());
        let mut outside = fake(other.path());
        let user = ServerUser::detect().await.expect("user");
        let bins = PgBinaries::in_dir("/nonexistent");
        stop_leftovers(&user, &bins, cluster.path())
            .await
            .expect("clean-up");
        let status = inside.wait().expect("wait");
        assert!(!status.success(), "{status}");
        assert!(outside.try_wait().expect("try_wait").is_none());
        let _ = outside.kill();
        let _ = outside.wait();
    }
}
