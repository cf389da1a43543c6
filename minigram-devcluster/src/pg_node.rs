//! One PostgreSQL server of a dev cluster: its directory, port and process.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use parking_lot::Mutex;
use std::time::{Duration, Instant};

use crate::DevClusterError;
use crate::os_user::ServerUser;
use crate::pg_binaries::PgBinaries;

/// The file, inside each data directory, that holds the settings the dev
/// cluster controls. It is rewritten on every start.
pub(super) const SETTINGS_FILE: &str = "minigram.conf";

/// Settings shared by every node.
#[derive(Debug, Clone)]
pub(super) struct NodeSettings {
    pub fsync: bool,
    pub shared_buffers: String,
    pub max_connections: u32,
    pub extra: Vec<(String, String)>,
    pub start_timeout: Duration,
}

/// What a node is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Role {
    Primary,
    Replica {
        /// `recovery_min_apply_delay`, when set.
        apply_delay: Option<Duration>,
    },
}

/// One server. Cheap to clone: clones share the running flag.
#[derive(Debug, Clone)]
pub(super) struct PgNode {
    pub name: String,
    pub data_dir: PathBuf,
    pub log_file: PathBuf,
    pub port: u16,
    pub role: Role,
    running: Arc<Mutex<bool>>,
}

impl PgNode {
    pub(super) fn new(name: String, base: &Path, port: u16, role: Role) -> Self {
        Self {
            data_dir: base.join(&name),
            log_file: base.join("logs").join(format!("{name}.log")),
            name,
            port,
            role,
            running: Arc::new(Mutex::new(false)),
        }
    }

    pub(super) fn url(&self, database: &str) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/{database}", self.port)
    }

    pub(super) fn is_running(&self) -> bool {
        *self.running.lock()
    }

    fn set_running(&self, running: bool) {
        *self.running.lock() = running;
    }

    /// Whether the data directory holds an initialised cluster.
    pub(super) fn is_initialised(&self) -> bool {
        self.data_dir.join("PG_VERSION").exists()
    }

    /// The port this node used last time, from its settings file.
    pub(super) fn previous_port(data_dir: &Path) -> Option<u16> {
        let text = std::fs::read_to_string(data_dir.join(SETTINGS_FILE)).ok()?;
        text.lines()
            .find_map(|line| line.strip_prefix("port = "))
            .and_then(|port| port.trim().parse().ok())
    }

    /// Writes the settings file (and, for a replica, makes it the only
    /// source of `primary_conninfo`).
    pub(super) fn write_settings(
        &self,
        user: &ServerUser,
        settings: &NodeSettings,
        primary_port: u16,
    ) -> Result<(), DevClusterError> {
        let on_off = |b: bool| if b { "on" } else { "off" };
        let mut text = String::from(
            "# Written by minigram's devcluster on every start: edits here are overwritten.\n",
        );
        let mut set = |name: &str, value: &str| {
            let _ = writeln!(text, "{name} = {value}");
        };
        set("listen_addresses", "'127.0.0.1'");
        set("port", &self.port.to_string());
        set("unix_socket_directories", "''");
        set("max_connections", &settings.max_connections.to_string());
        set("shared_buffers", &format!("'{}'", settings.shared_buffers));
        set("fsync", on_off(settings.fsync));
        set("full_page_writes", on_off(settings.fsync));
        set("synchronous_commit", "on");
        set("wal_level", "replica");
        set("max_wal_senders", "16");
        set("max_replication_slots", "16");
        set("wal_keep_size", "'256MB'");
        set("hot_standby", "on");
        set("hot_standby_feedback", "on");
        set("wal_receiver_status_interval", "'1s'");
        set("jit", "off");
        set("log_line_prefix", "'%m [%p] %q%a '");
        if let Role::Replica { apply_delay } = &self.role {
            set(
                "primary_conninfo",
                &format!(
                    "'host=127.0.0.1 port={primary_port} user=postgres application_name={}'",
                    self.name
                ),
            );
            if let Some(delay) = apply_delay {
                set(
                    "recovery_min_apply_delay",
                    &format!("'{}ms'", delay.as_millis()),
                );
            }
        }
        for (name, value) in &settings.extra {
            set(name, value);
        }
        let path = self.data_dir.join(SETTINGS_FILE);
        std::fs::write(&path, text)
            .map_err(DevClusterError::io(format!("writing {}", path.display())))?;
        user.make_owned(&path)?;
        if matches!(self.role, Role::Replica { .. }) {
            // pg_basebackup -R wrote primary_conninfo (with the primary's
            // port at the time) into postgresql.auto.conf, which is read
            // after our file; clear it so our settings decide.
            let auto = self.data_dir.join("postgresql.auto.conf");
            std::fs::write(
                &auto,
                "# Do not edit this file manually!\n# It will be overwritten by the ALTER SYSTEM command.\n",
            )
            .map_err(DevClusterError::io(format!("writing {}", auto.display())))?;
            user.make_owned(&auto)?;
        }
        Ok(())
    }

    /// Runs `initdb` and makes the configuration include the settings file.
    pub(super) async fn init_primary(
        &self,
        user: &ServerUser,
        bins: &PgBinaries,
        settings: &NodeSettings,
    ) -> Result<(), DevClusterError> {
        let mut initdb = user.command(&bins.program("initdb"));
        initdb.arg("-D").arg(&self.data_dir).args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
        ]);
        if !settings.fsync {
            initdb.arg("--no-sync");
        }
        run(initdb, "initdb", None).await?;
        let conf = self.data_dir.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf)
            .map_err(DevClusterError::io(format!("reading {}", conf.display())))?;
        text.push_str(&format!("\ninclude_if_exists '{SETTINGS_FILE}'\n"));
        std::fs::write(&conf, text)
            .map_err(DevClusterError::io(format!("writing {}", conf.display())))?;
        Ok(())
    }

    /// Copies the running primary with `pg_basebackup -R` into this
    /// replica's data directory.
    pub(super) async fn clone_primary(
        &self,
        user: &ServerUser,
        bins: &PgBinaries,
        primary_port: u16,
    ) -> Result<(), DevClusterError> {
        let mut backup = user.command(&bins.program("pg_basebackup"));
        backup
            .arg("-D")
            .arg(&self.data_dir)
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &primary_port.to_string(),
                "-U",
                "postgres",
            ])
            .args(["-R", "-X", "stream", "-c", "fast", "--no-sync"]);
        run(backup, "pg_basebackup", None).await
    }

    /// Stops a server left running by an earlier run that did not stop it.
    pub(super) async fn stop_leftover(
        &self,
        user: &ServerUser,
        bins: &PgBinaries,
    ) -> Result<(), DevClusterError> {
        if !self.data_dir.join("postmaster.pid").exists() {
            return Ok(());
        }
        let mut status = user.command(&bins.program("pg_ctl"));
        status.arg("status").arg("-D").arg(&self.data_dir);
        status.stdout(Stdio::null()).stderr(Stdio::null());
        let running = status
            .status()
            .await
            .map_err(DevClusterError::io("running pg_ctl status"))?
            .success();
        if running {
            tracing::warn!(node = %self.name, "stopping a server left running by an earlier run");
            self.set_running(true);
            self.stop(user, bins, "immediate").await?;
        }
        Ok(())
    }

    /// Starts the server and waits until it accepts connections.
    pub(super) async fn start(
        &self,
        user: &ServerUser,
        bins: &PgBinaries,
        settings: &NodeSettings,
    ) -> Result<(), DevClusterError> {
        let started = Instant::now();
        let mut pg_ctl = user.command(&bins.program("pg_ctl"));
        pg_ctl
            .arg("start")
            .arg("-D")
            .arg(&self.data_dir)
            .arg("-l")
            .arg(&self.log_file)
            .args([
                "-w",
                "-s",
                "-t",
                &settings.start_timeout.as_secs().max(1).to_string(),
            ]);
        run(
            pg_ctl,
            &format!("pg_ctl start ({})", self.name),
            Some(&self.log_file),
        )
        .await?;
        self.set_running(true);
        self.wait_accepting(settings.start_timeout).await?;
        tracing::info!(node = %self.name, port = self.port, elapsed_ms = started.elapsed().as_millis() as u64, "PostgreSQL node started");
        Ok(())
    }

    /// Stops the server (`pg_ctl stop -m MODE`) and waits for it to exit.
    pub(super) async fn stop(
        &self,
        user: &ServerUser,
        bins: &PgBinaries,
        mode: &str,
    ) -> Result<(), DevClusterError> {
        if !self.is_running() {
            return Ok(());
        }
        let mut pg_ctl = user.command(&bins.program("pg_ctl"));
        pg_ctl
            .arg("stop")
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-m", mode, "-w", "-s", "-t", "60"]);
        run(
            pg_ctl,
            &format!("pg_ctl stop ({})", self.name),
            Some(&self.log_file),
        )
        .await?;
        self.set_running(false);
        tracing::info!(node = %self.name, "PostgreSQL node stopped");
        Ok(())
    }

    /// [`PgNode::stop`] for drop, where nothing can be awaited.
    pub(super) fn stop_blocking(&self, user: &ServerUser, bins: &PgBinaries) {
        if !self.is_running() {
            return;
        }
        let result = user
            .std_command(&bins.program("pg_ctl"))
            .arg("stop")
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-m", "fast", "-w", "-s", "-t", "60"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Err(e) = result {
            tracing::warn!(node = %self.name, error = %e, "could not stop a PostgreSQL node");
        }
        self.set_running(false);
    }

    /// Polls `SELECT 1` until it succeeds.
    async fn wait_accepting(&self, timeout: Duration) -> Result<(), DevClusterError> {
        let deadline = Instant::now() + timeout;
        loop {
            match connect(&self.url("postgres")).await {
                Ok(client) => {
                    if client.simple_query("SELECT 1").await.is_ok() {
                        return Ok(());
                    }
                }
                Err(e) if Instant::now() >= deadline => {
                    return Err(DevClusterError::Timeout {
                        what: format!("{} accepting connections ({e})", self.name),
                        waited: timeout,
                        log: log_tail(&self.log_file),
                    });
                }
                Err(_) => {}
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Connects with a one-off client whose connection runs on a spawned task.
pub(super) async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// Runs a command to completion; a failure carries its output and, when
/// given, the end of the server log.
pub(super) async fn run(
    mut command: tokio::process::Command,
    what: &str,
    log: Option<&Path>,
) -> Result<(), DevClusterError> {
    command.stdin(Stdio::null());
    let output = command
        .output()
        .await
        .map_err(DevClusterError::io(format!("running {what}")))?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = format!("{}", output.status);
    for stream in [&output.stdout, &output.stderr] {
        let s = String::from_utf8_lossy(stream);
        if !s.trim().is_empty() {
            text.push('\n');
            text.push_str(s.trim());
        }
    }
    if let Some(log) = log {
        text.push_str(&log_tail(log));
    }
    Err(DevClusterError::Command {
        command: what.to_owned(),
        output: text,
    })
}

/// The last lines of a server log, formatted to follow an error message.
pub(super) fn log_tail(log: &Path) -> String {
    match std::fs::read_to_string(log) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(15)..].join("\n");
            format!("\nlast lines of {}:\n{tail}", log.display())
        }
        Err(_) => String::new(),
    }
}
