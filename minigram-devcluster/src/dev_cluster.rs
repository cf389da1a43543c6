use parking_lot::Mutex;
use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::DevClusterError;
use crate::exit_watchdog::ExitWatchdog;
use crate::os_user::ServerUser;
use crate::pg_binaries::PgBinaries;
use crate::pg_node::{NodeSettings, PgNode, Role, connect};

/// Names one node of a [`DevCluster`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeId {
    /// The primary (read-write).
    Primary,
    /// The replica with this index, from 0 (the order of
    /// [`DevCluster::replica_urls`]).
    Replica(usize),
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Primary => f.write_str("primary"),
            Self::Replica(i) => write!(f, "replica{i}"),
        }
    }
}

/// Configures and starts a [`DevCluster`].
#[derive(Debug, Clone)]
pub struct DevClusterBuilder {
    replicas: usize,
    dir: Option<PathBuf>,
    binaries: Option<PgBinaries>,
    settings: NodeSettings,
    apply_delays: HashMap<usize, Duration>,
}

impl Default for DevClusterBuilder {
    fn default() -> Self {
        Self {
            replicas: 0,
            dir: None,
            binaries: None,
            settings: NodeSettings {
                fsync: true,
                shared_buffers: "32MB".into(),
                max_connections: 200,
                extra: Vec::new(),
                start_timeout: Duration::from_secs(60),
            },
            apply_delays: HashMap::new(),
        }
    }
}

impl DevClusterBuilder {
    /// How many streaming replicas to start (default 0).
    pub fn replicas(mut self, count: usize) -> Self {
        self.replicas = count;
        self
    }

    /// Keeps the cluster in `dir` (created when missing, reused across
    /// restarts). Without it a temporary directory is used and removed when
    /// the cluster is dropped. When running as root, every parent of `dir`
    /// must be traversable by the `postgres` user.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Uses these PostgreSQL programs instead of searching for them
    /// ([`PgBinaries::find`]).
    pub fn binaries(mut self, binaries: PgBinaries) -> Self {
        self.binaries = Some(binaries);
        self
    }

    /// `fsync` (and `full_page_writes`) on every node; on by default. Turn
    /// it off only for throwaway test clusters: a crash of the machine can
    /// then corrupt the data, and write figures measured without it say
    /// nothing about a real deployment.
    pub fn fsync(mut self, on: bool) -> Self {
        self.settings.fsync = on;
        self
    }

    /// `shared_buffers` (default `32MB`), e.g. `"128MB"`.
    pub fn shared_buffers(mut self, size: impl Into<String>) -> Self {
        self.settings.shared_buffers = size.into();
        self
    }

    /// `max_connections` on every node (default 200).
    pub fn max_connections(mut self, count: u32) -> Self {
        self.settings.max_connections = count;
        self
    }

    /// Delays applying WAL on replica `index` by `delay`
    /// (`recovery_min_apply_delay`), to simulate replication lag.
    pub fn replica_apply_delay(mut self, index: usize, delay: Duration) -> Self {
        self.apply_delays.insert(index, delay);
        self
    }

    /// Any other server setting, on every node (`name = value` as written
    /// in `postgresql.conf`, so quote strings: `("work_mem", "'8MB'")`).
    pub fn setting(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.extra.push((name.into(), value.into()));
        self
    }

    /// How long each node may take to start (default 60 s).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.settings.start_timeout = timeout;
        self
    }

    /// Starts the primary and the replicas and waits until every node
    /// accepts connections and every replica is streaming.
    pub async fn start(self) -> Result<DevCluster, DevClusterError> {
        let started = Instant::now();
        let binaries = match self.binaries {
            Some(b) => b,
            None => PgBinaries::find()?,
        };
        let user = ServerUser::detect().await?;
        let (dir, temp) = match &self.dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(DevClusterError::io(format!("creating {}", dir.display())))?;
                let dir = dir
                    .canonicalize()
                    .map_err(DevClusterError::io(format!("resolving {}", dir.display())))?;
                (dir, None)
            }
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("minigram-devcluster-")
                    .tempdir()
                    .map_err(DevClusterError::io("creating a temporary directory"))?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        set_mode(&dir, 0o755)?;
        user.make_owned(&dir)?;
        user.check_writable(&dir).await?;
        let logs = dir.join("logs");
        std::fs::create_dir_all(&logs)
            .map_err(DevClusterError::io(format!("creating {}", logs.display())))?;
        user.make_owned(&logs)?;

        tracing::info!(dir = %dir.display(), binaries = %binaries.dir().display(), replicas = self.replicas, "starting a PostgreSQL dev cluster");
        let primary = node(&dir, "primary".into(), Role::Primary, &user, &binaries).await?;
        let mut replicas = Vec::with_capacity(self.replicas);
        for i in 0..self.replicas {
            let role = Role::Replica {
                apply_delay: self.apply_delays.get(&i).copied(),
            };
            replicas
                .push(node(&dir, NodeId::Replica(i).to_string(), role, &user, &binaries).await?);
        }
        let cluster = DevCluster {
            user,
            binaries,
            dir,
            primary,
            replicas,
            settings: self.settings,
            watchdog: Mutex::new(None),
            stopped: AtomicBool::new(false),
            temp,
        };
        // On failure the cluster is dropped, which stops what did start.
        cluster.start_all().await?;
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            primary = %cluster.primary_url("postgres"),
            replicas = ?cluster.replica_urls("postgres"),
            "PostgreSQL dev cluster ready"
        );
        Ok(cluster)
    }
}

/// Prepares one node: stops a leftover server, picks its port.
async fn node(
    dir: &Path,
    name: String,
    role: Role,
    user: &ServerUser,
    binaries: &PgBinaries,
) -> Result<PgNode, DevClusterError> {
    let data_dir = dir.join(&name);
    let previous = PgNode::previous_port(&data_dir);
    let probe = PgNode::new(name.clone(), dir, previous.unwrap_or(0), role.clone());
    probe.stop_leftover(user, binaries).await?;
    let port = match previous.filter(|p| port_is_free(*p)) {
        Some(port) => port,
        None => free_port()?,
    };
    Ok(PgNode::new(name, dir, port, role))
}

/// A local PostgreSQL primary with streaming replicas, started from the
/// system's binaries. See the [module docs](super).
///
/// Dropping it stops every node (blocking the current thread for the few
/// hundred milliseconds `pg_ctl stop -m fast` takes); prefer
/// [`DevCluster::stop`] in async code.
#[derive(Debug)]
pub struct DevCluster {
    user: ServerUser,
    binaries: PgBinaries,
    dir: PathBuf,
    primary: PgNode,
    replicas: Vec<PgNode>,
    settings: NodeSettings,
    watchdog: Mutex<Option<ExitWatchdog>>,
    stopped: AtomicBool,
    /// Dropped last, after the nodes are stopped.
    temp: Option<TempDir>,
}

impl DevCluster {
    /// A builder with the defaults: no replica, a temporary directory,
    /// fsync on.
    pub fn builder() -> DevClusterBuilder {
        DevClusterBuilder::default()
    }

    async fn start_all(&self) -> Result<(), DevClusterError> {
        let (user, bins, settings) = (&self.user, &self.binaries, &self.settings);
        if !self.primary.is_initialised() {
            self.primary.init_primary(user, bins, settings).await?;
        }
        self.primary
            .write_settings(user, settings, self.primary.port)?;
        self.primary.start(user, bins, settings).await?;

        // Replicas are cloned and started concurrently.
        let mut tasks = tokio::task::JoinSet::new();
        for replica in &self.replicas {
            let (replica, user, bins, settings) = (
                replica.clone(),
                user.clone(),
                bins.clone(),
                settings.clone(),
            );
            let primary_port = self.primary.port;
            tasks.spawn(async move {
                if !replica.is_initialised() {
                    replica.clone_primary(&user, &bins, primary_port).await?;
                }
                replica.write_settings(&user, &settings, primary_port)?;
                replica.start(&user, &bins, &settings).await
            });
        }
        while let Some(result) = tasks.join_next().await {
            result.map_err(|e| DevClusterError::Command {
                command: "starting a replica".into(),
                output: e.to_string(),
            })??;
        }
        for i in 0..self.replicas.len() {
            self.wait_streaming(i).await?;
        }
        Ok(())
    }

    /// The cluster's directory (one subdirectory per node, plus `logs/`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The PostgreSQL programs in use.
    pub fn binaries(&self) -> &PgBinaries {
        &self.binaries
    }

    /// How many replicas the cluster has.
    pub fn replica_count(&self) -> usize {
        self.replicas.len()
    }

    /// The connection URL of the primary's `database`
    /// (`postgresql://postgres@127.0.0.1:PORT/DATABASE`, no password).
    pub fn primary_url(&self, database: &str) -> String {
        self.primary.url(database)
    }

    /// The connection URLs of every replica's `database`, in index order.
    pub fn replica_urls(&self, database: &str) -> Vec<String> {
        self.replicas.iter().map(|r| r.url(database)).collect()
    }

    /// The connection URL of one node's `database`.
    pub fn url(&self, node: NodeId, database: &str) -> Result<String, DevClusterError> {
        Ok(self.node(node)?.url(database))
    }

    /// The port one node listens on (127.0.0.1 only).
    pub fn port(&self, node: NodeId) -> Result<u16, DevClusterError> {
        Ok(self.node(node)?.port)
    }

    /// The log file of one node.
    pub fn log_file(&self, node: NodeId) -> Result<&Path, DevClusterError> {
        Ok(&self.node(node)?.log_file)
    }

    /// Whether a node is running (as far as this handle started and stopped it).
    pub fn is_running(&self, node: NodeId) -> bool {
        self.node(node).is_ok_and(PgNode::is_running)
    }

    fn node(&self, node: NodeId) -> Result<&PgNode, DevClusterError> {
        match node {
            NodeId::Primary => Ok(&self.primary),
            NodeId::Replica(i) => self
                .replicas
                .get(i)
                .ok_or_else(|| DevClusterError::NoSuchNode(node.to_string())),
        }
    }

    /// Stops one node (`pg_ctl stop -m fast`), for fault injection. Its
    /// port stays reserved for [`DevCluster::start_node`].
    pub async fn stop_node(&self, node: NodeId) -> Result<(), DevClusterError> {
        self.node(node)?
            .stop(&self.user, &self.binaries, "fast")
            .await
    }

    /// Starts a stopped node again on the same port and waits until it
    /// accepts connections (and, for a replica, streams again).
    pub async fn start_node(&self, node: NodeId) -> Result<(), DevClusterError> {
        let pg = self.node(node)?;
        if pg.is_running() {
            return Ok(());
        }
        pg.start(&self.user, &self.binaries, &self.settings).await?;
        if let NodeId::Replica(i) = node
            && self.primary.is_running()
        {
            self.wait_streaming(i).await?;
        }
        Ok(())
    }

    /// Waits until replica `index` streams from the primary.
    async fn wait_streaming(&self, index: usize) -> Result<(), DevClusterError> {
        let replica = &self.replicas[index];
        let timeout = self.settings.start_timeout;
        let deadline = Instant::now() + timeout;
        let client = connect(&self.primary.url("postgres"))
            .await
            .map_err(|source| DevClusterError::Query {
                what: "connecting to the primary".into(),
                source,
            })?;
        let query =
            "SELECT 1 FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'";
        loop {
            let rows = client
                .query(query, &[&replica.name])
                .await
                .map_err(|source| DevClusterError::Query {
                    what: "reading pg_stat_replication".into(),
                    source,
                })?;
            if !rows.is_empty() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(DevClusterError::Timeout {
                    what: format!("{} streaming from the primary", replica.name),
                    waited: timeout,
                    log: crate::pg_node::log_tail(&replica.log_file),
                });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Creates `database` on the primary, copied from `template` when given
    /// (`CREATE DATABASE name TEMPLATE template`); it reaches the replicas
    /// by streaming (see [`DevCluster::wait_for_replicas`]).
    pub async fn create_database(
        &self,
        database: &str,
        template: Option<&str>,
    ) -> Result<(), DevClusterError> {
        let client = connect(&self.primary.url("postgres"))
            .await
            .map_err(|source| DevClusterError::Query {
                what: "connecting to the primary".into(),
                source,
            })?;
        let mut sql = format!("CREATE DATABASE {}", quote_identifier(database));
        if let Some(template) = template {
            sql.push_str(&format!(" TEMPLATE {}", quote_identifier(template)));
        }
        client
            .batch_execute(&sql)
            .await
            .map_err(|source| DevClusterError::Query {
                what: format!("creating the database {database}"),
                source,
            })
    }

    /// Creates `database` on the primary unless it exists (for a cluster
    /// kept in a directory across restarts). Returns whether it was created.
    pub async fn ensure_database(&self, database: &str) -> Result<bool, DevClusterError> {
        let client = connect(&self.primary.url("postgres"))
            .await
            .map_err(|source| DevClusterError::Query {
                what: "connecting to the primary".into(),
                source,
            })?;
        if database_exists(&client, database).await? {
            return Ok(false);
        }
        self.create_database(database, None).await?;
        Ok(true)
    }

    /// Waits until every running replica has replayed everything the
    /// primary had written when this was called (`pg_current_wal_lsn()`).
    pub async fn wait_for_replicas(&self, timeout: Duration) -> Result<(), DevClusterError> {
        let query_error = |what: &str| {
            let what = what.to_owned();
            move |source| DevClusterError::Query { what, source }
        };
        let primary = connect(&self.primary.url("postgres"))
            .await
            .map_err(query_error("connecting to the primary"))?;
        let target: tokio_postgres::types::PgLsn = primary
            .query_one("SELECT pg_current_wal_lsn()", &[])
            .await
            .map_err(query_error("reading the primary's WAL position"))?
            .get(0);
        let deadline = Instant::now() + timeout;
        for replica in self.replicas.iter().filter(|r| r.is_running()) {
            let client = connect(&replica.url("postgres"))
                .await
                .map_err(query_error("connecting to a replica"))?;
            loop {
                let replayed: Option<tokio_postgres::types::PgLsn> = client
                    .query_one("SELECT pg_last_wal_replay_lsn()", &[])
                    .await
                    .map_err(query_error("reading a replica's replay position"))?
                    .get(0);
                if replayed.is_some_and(|r| r >= target) {
                    break;
                }
                if Instant::now() >= deadline {
                    return Err(DevClusterError::Timeout {
                        what: format!("{} replaying up to {target}", replica.name),
                        waited: timeout,
                        log: crate::pg_node::log_tail(&replica.log_file),
                    });
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        Ok(())
    }

    /// Makes sure the nodes are stopped (and a temporary directory removed)
    /// when this process ends, even if this cluster is never dropped — for
    /// a cluster kept in a `static`. Spawns a small watchdog process (see
    /// the [module docs](super)). Idempotent.
    pub fn stop_when_process_exits(&self) -> Result<(), DevClusterError> {
        let mut watchdog = self.watchdog.lock();
        if watchdog.is_none() {
            let mut dirs: Vec<PathBuf> = self.replicas.iter().map(|r| r.data_dir.clone()).collect();
            dirs.push(self.primary.data_dir.clone());
            let remove = self.temp.as_ref().map(|t| t.path());
            *watchdog = Some(ExitWatchdog::spawn(
                &self.user,
                &self.binaries,
                &dirs,
                remove,
            )?);
        }
        Ok(())
    }

    /// Stops every node, replicas first. Idempotent. The directory stays
    /// until the cluster is dropped.
    pub async fn stop(&self) -> Result<(), DevClusterError> {
        for replica in &self.replicas {
            replica.stop(&self.user, &self.binaries, "fast").await?;
        }
        self.primary
            .stop(&self.user, &self.binaries, "fast")
            .await?;
        self.stopped.store(true, Ordering::SeqCst);
        Ok(())
    }
}

impl Drop for DevCluster {
    fn drop(&mut self) {
        if self.stopped.load(Ordering::SeqCst) {
            return;
        }
        for replica in &self.replicas {
            replica.stop_blocking(&self.user, &self.binaries);
        }
        self.primary.stop_blocking(&self.user, &self.binaries);
    }
}

/// A port on 127.0.0.1 that nothing listens on right now.
pub(crate) fn free_port() -> Result<u16, DevClusterError> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(DevClusterError::io("finding a free port"))
}

pub(crate) fn port_is_free(port: u16) -> bool {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
}

pub(crate) fn set_mode(path: &Path, mode: u32) -> Result<(), DevClusterError> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(
        DevClusterError::io(format!("setting the mode of {}", path.display())),
    )
}

/// Whether the server `client` is connected to has `database`.
pub(crate) async fn database_exists(
    client: &tokio_postgres::Client,
    database: &str,
) -> Result<bool, DevClusterError> {
    Ok(client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&database])
        .await
        .map_err(|source| DevClusterError::Query {
            what: "listing databases".into(),
            source,
        })?
        .is_some())
}

/// Quotes a PostgreSQL identifier.
pub(crate) fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
