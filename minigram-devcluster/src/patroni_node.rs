//! One node of the high-availability cluster: a Patroni process and the
//! PostgreSQL it runs, with their directory, ports and configuration.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;

use crate::DevClusterError;
use crate::child_process::{ChildProcess, append_log, is_alive};
use crate::os_user::ServerUser;
use crate::pg_binaries::PgBinaries;

/// Patroni's cluster name (`scope`): the etcd key prefix.
pub(crate) const SCOPE: &str = "minigram-ha";

/// The name of each node's configuration file, in its directory. The path
/// is on Patroni's command line, which is how the exit watchdog finds the
/// processes (`pkill -f`). JSON, which Patroni's YAML reader accepts.
pub(crate) const CONFIG_FILE: &str = "patroni.yml";

/// How long Patroni may take to stop on `SIGTERM` (it stops PostgreSQL
/// with `-m fast` first, and the leader then removes its key).
pub(crate) const STOP_GRACE: Duration = Duration::from_secs(30);

/// Every node's settings.
#[derive(Debug, Clone)]
pub(crate) struct HaSettings {
    pub synchronous: bool,
    pub fsync: bool,
    pub etcd_port: u16,
    /// PostgreSQL's unix socket directory, or `None` (TCP only) when the
    /// cluster directory is too deep for a socket path (108 bytes at most).
    pub socket_dir: Option<PathBuf>,
}

/// One Patroni node. The directory `CLUSTER/nodeN` is the server user's
/// and is Patroni's `HOME`; PostgreSQL's data directory is `data` in it.
#[derive(Debug)]
pub(crate) struct PatroniNode {
    /// `node1`, `node2`, …: Patroni's member name and PostgreSQL's
    /// `application_name` on the leader (`pg_stat_replication`).
    pub name: String,
    pub dir: PathBuf,
    pub data_dir: PathBuf,
    pub config_file: PathBuf,
    /// Patroni's standard output and error, which PostgreSQL's server log
    /// goes to as well (it inherits them; no logging collector).
    pub log_file: PathBuf,
    pub pg_port: u16,
    pub rest_port: u16,
    process: ChildProcess,
}

impl PatroniNode {
    /// Node `index` (from 0) of the cluster in `cluster_dir`.
    pub(crate) fn new(cluster_dir: &Path, index: usize, pg_port: u16, rest_port: u16) -> Self {
        let name = node_name(index);
        let dir = cluster_dir.join(&name);
        Self {
            data_dir: dir.join("data"),
            config_file: dir.join(CONFIG_FILE),
            log_file: log_file(cluster_dir, index),
            process: ChildProcess::new(format!("patroni ({name})")),
            dir,
            name,
            pg_port,
            rest_port,
        }
    }

    /// `http://127.0.0.1:REST_PORT`.
    pub(crate) fn rest_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.rest_port)
    }

    /// `postgresql://postgres@127.0.0.1:PORT/DATABASE` (no password: the
    /// nodes trust 127.0.0.1).
    pub(crate) fn pg_url(&self, database: &str) -> String {
        format!(
            "postgresql://postgres@127.0.0.1:{}/{database}",
            self.pg_port
        )
    }

    /// Creates the node's directory (the server user's) and writes the
    /// Patroni configuration, rewritten on every start so the ports and
    /// settings are this run's.
    pub(crate) fn write_config(
        &self,
        user: &ServerUser,
        binaries: &PgBinaries,
        settings: &HaSettings,
    ) -> Result<(), DevClusterError> {
        std::fs::create_dir_all(&self.dir).map_err(DevClusterError::io(format!(
            "creating {}",
            self.dir.display()
        )))?;
        crate::dev_cluster::set_mode(&self.dir, 0o755)?;
        user.make_owned(&self.dir)?;
        let text = serde_json::to_string_pretty(&self.config(binaries, settings)).map_err(|e| {
            DevClusterError::Command {
                command: "serialising the Patroni configuration".into(),
                output: e.to_string(),
            }
        })?;
        std::fs::write(&self.config_file, text).map_err(DevClusterError::io(format!(
            "writing {}",
            self.config_file.display()
        )))?;
        user.make_owned(&self.config_file)
    }

    /// The Patroni configuration. What must be equal on every node (and
    /// only applies when the cluster is bootstrapped) is under
    /// `bootstrap.dcs`; what each node decides for itself, fsync included,
    /// is in the local `postgresql` section and applies on every start.
    fn config(&self, binaries: &PgBinaries, settings: &HaSettings) -> serde_json::Value {
        let on_off = |b: bool| if b { "on" } else { "off" };
        let listen = format!("127.0.0.1:{}", self.pg_port);
        let rest = format!("127.0.0.1:{}", self.rest_port);
        let mut initdb = vec![json!({"encoding": "UTF8"}), json!({"locale": "C"})];
        initdb.push(json!("data-checksums"));
        let mut basebackup = vec![json!({"checkpoint": "fast"})];
        if !settings.fsync {
            initdb.push(json!("no-sync"));
            basebackup.push(json!("no-sync"));
        }
        let socket_dirs = settings
            .socket_dir
            .as_ref()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        json!({
            "scope": SCOPE,
            "name": self.name,
            "restapi": {"listen": rest, "connect_address": rest},
            "etcd3": {"hosts": format!("127.0.0.1:{}", settings.etcd_port)},
            // No /dev/watchdog here; Patroni must not wait for one.
            "watchdog": {"mode": "off"},
            "bootstrap": {
                "dcs": {
                    // A dead leader's key expires after `ttl`; every member
                    // runs its loop each `loop_wait`. Short, for fast tests
                    // (loop_wait + 2 × retry_timeout must not exceed ttl).
                    "ttl": 10,
                    "loop_wait": 1,
                    "retry_timeout": 4,
                    "maximum_lag_on_failover": 1_048_576,
                    // A crashed primary is failed over at once (when a
                    // replica can take over) instead of being restarted in
                    // place: patroni/ha.py `recover()`.
                    "primary_start_timeout": 0,
                    "synchronous_mode": settings.synchronous,
                    "synchronous_mode_strict": false,
                    "postgresql": {
                        "use_pg_rewind": true,
                        "use_slots": true,
                        "parameters": {
                            "wal_level": "replica",
                            "hot_standby": "on",
                            "max_connections": 200,
                            "max_wal_senders": 10,
                            "max_replication_slots": 10,
                            "wal_log_hints": "on",
                            "wal_keep_size": "256MB",
                        },
                    },
                },
                "initdb": initdb,
            },
            "postgresql": {
                "listen": listen,
                "connect_address": listen,
                "data_dir": self.data_dir.display().to_string(),
                "bin_dir": binaries.dir().display().to_string(),
                "pgpass": self.dir.join("pgpass").display().to_string(),
                "authentication": {
                    "replication": {"username": "replicator", "password": "replicator"},
                    "superuser": {"username": "postgres", "password": "postgres"},
                    "rewind": {"username": "postgres", "password": "postgres"},
                },
                // Written on every start (bootstrap's pg_hba only at initdb).
                "pg_hba": [
                    "local all all trust",
                    "local replication all trust",
                    "host replication replicator 127.0.0.1/32 trust",
                    "host all all 127.0.0.1/32 trust",
                ],
                "basebackup": basebackup,
                // A former primary that cannot be rewound is cloned anew.
                "remove_data_directory_on_rewind_failure": true,
                "remove_data_directory_on_diverged_timelines": true,
                "parameters": {
                    "unix_socket_directories": socket_dirs,
                    "fsync": on_off(settings.fsync),
                    // Always on, unlike the plain dev cluster's: pg_rewind
                    // refuses a source server without it ("full_page_writes
                    // must be enabled in the source server"), and a former
                    // leader would then be cloned anew instead of rewound.
                    "full_page_writes": "on",
                    "hot_standby_feedback": "on",
                    "wal_receiver_status_interval": "1s",
                    "jit": "off",
                    // Server log lines in Patroni's log: to stderr, no collector.
                    "logging_collector": "off",
                    "log_destination": "stderr",
                },
            },
        })
    }

    /// Starts Patroni as the server user, directly (its pid is the child's
    /// pid), with its output appended to the node's log.
    pub(crate) fn spawn(&self, user: &ServerUser, patroni: &Path) -> Result<(), DevClusterError> {
        let (log, log_err) = append_log(&self.log_file)?;
        let mut command = user.direct_command(patroni, &self.dir);
        command
            .arg(&self.config_file)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        self.process.spawn(command)?;
        tracing::info!(node = %self.name, pid = ?self.process.pid(), rest = %self.rest_url(), "Patroni started");
        Ok(())
    }

    /// Whether Patroni runs.
    pub(crate) fn is_running(&self) -> bool {
        self.process.is_running()
    }

    /// How Patroni ended, once it has.
    pub(crate) fn exit_status(&self) -> Option<std::process::ExitStatus> {
        self.process.exit_status()
    }

    /// `SIGKILL` to Patroni (its PostgreSQL keeps running).
    pub(crate) fn kill_patroni(&self) {
        self.process.kill_now();
    }

    /// The handle on the Patroni process, to stop it: `SIGTERM` makes
    /// Patroni stop its PostgreSQL (`-m fast`) and, as the leader, give up
    /// its key; allow it [`STOP_GRACE`].
    pub(crate) fn process(&self) -> &ChildProcess {
        &self.process
    }

    /// The pid of a live postmaster: the first line of `postmaster.pid`.
    pub(crate) fn postmaster_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        let pid = text.lines().next()?.trim().parse().ok()?;
        is_alive(pid).then_some(pid)
    }

    /// The end of the node's log, without Patroni's once-a-second
    /// heartbeat lines (`no action. I am (node1), …`), which would
    /// otherwise fill it.
    pub(crate) fn log_tail(&self) -> String {
        log_tail_without_heartbeats(&self.log_file)
    }
}

/// `CLUSTER/logs/nodeN.log` for node `index` (from 0).
pub(crate) fn log_file(cluster_dir: &Path, index: usize) -> PathBuf {
    cluster_dir
        .join("logs")
        .join(format!("{}.log", node_name(index)))
}

/// `node1` for index 0.
pub(crate) fn node_name(index: usize) -> String {
    format!("node{}", index + 1)
}

/// The last lines of a Patroni log, formatted to follow an error message.
fn log_tail_without_heartbeats(log: &Path) -> String {
    match std::fs::read_to_string(log) {
        Ok(text) => {
            let lines: Vec<&str> = text
                .lines()
                .filter(|line| !line.contains("INFO: no action. "))
                .collect();
            let tail = lines[lines.len().saturating_sub(20)..].join("\n");
            format!("\nlast lines of {}:\n{tail}", log.display())
        }
        Err(_) => String::new(),
    }
}
