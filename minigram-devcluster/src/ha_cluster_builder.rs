//! Configures and starts an [`HaCluster`].

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::DevClusterError;
use crate::dev_cluster::{free_port, port_is_free, set_mode};
use crate::etcd_server::EtcdServer;
use crate::ha_cluster::HaCluster;
use crate::ha_exit_watchdog::stop_leftovers;
use crate::ha_programs::HaPrograms;
use crate::os_user::ServerUser;
use crate::patroni_node::{HaSettings, PatroniNode};
use crate::pg_binaries::PgBinaries;

/// The file, in the cluster directory, that records the ports of a run so
/// a reused directory gets the same ones (when they are still free).
const PORTS_FILE: &str = "ports.json";

/// Longest unix socket directory: a socket path (`DIR/.s.PGSQL.PORT`)
/// must fit in 108 bytes.
const MAX_SOCKET_DIR: usize = 90;

/// Configures and starts an [`HaCluster`].
#[derive(Debug, Clone)]
pub struct HaClusterBuilder {
    nodes: usize,
    synchronous: bool,
    fsync: bool,
    dir: Option<PathBuf>,
    binaries: Option<PgBinaries>,
    start_timeout: Duration,
}

impl Default for HaClusterBuilder {
    fn default() -> Self {
        Self {
            nodes: 3,
            synchronous: true,
            fsync: true,
            dir: None,
            binaries: None,
            start_timeout: Duration::from_secs(90),
        }
    }
}

/// The ports of one run (see [`PORTS_FILE`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Ports {
    etcd_client: u16,
    etcd_peer: u16,
    /// `(PostgreSQL, Patroni REST)` per node.
    nodes: Vec<(u16, u16)>,
}

impl Ports {
    /// Fresh free ports, all different.
    fn pick(nodes: usize) -> Result<Self, DevClusterError> {
        let mut taken = Vec::new();
        let mut next = || -> Result<u16, DevClusterError> {
            loop {
                let port = free_port()?;
                if !taken.contains(&port) {
                    taken.push(port);
                    return Ok(port);
                }
            }
        };
        Ok(Self {
            etcd_client: next()?,
            etcd_peer: next()?,
            nodes: (0..nodes)
                .map(|_| Ok((next()?, next()?)))
                .collect::<Result<_, DevClusterError>>()?,
        })
    }

    fn all(&self) -> impl Iterator<Item = u16> + '_ {
        [self.etcd_client, self.etcd_peer]
            .into_iter()
            .chain(self.nodes.iter().flat_map(|&(pg, rest)| [pg, rest]))
    }

    fn load(dir: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(dir.join(PORTS_FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }

    fn save(&self, dir: &Path) -> Result<(), DevClusterError> {
        let path = dir.join(PORTS_FILE);
        let text = serde_json::to_string(self).map_err(|e| DevClusterError::Command {
            command: "serialising the cluster's ports".into(),
            output: e.to_string(),
        })?;
        std::fs::write(&path, text)
            .map_err(DevClusterError::io(format!("writing {}", path.display())))
    }
}

impl HaClusterBuilder {
    /// How many PostgreSQL nodes (default 3).
    ///
    /// # Panics
    ///
    /// When `count` is below 2: failover needs somewhere to go.
    pub fn nodes(mut self, count: usize) -> Self {
        assert!(
            count >= 2,
            "an HA cluster needs at least 2 nodes, not {count}"
        );
        self.nodes = count;
        self
    }

    /// Patroni's `synchronous_mode` (default on): the leader waits on
    /// commit for one replica, the sync standby, and only that one may be
    /// promoted, so no committed write is lost in a failover. Not strict:
    /// with no replica left the leader goes on alone.
    pub fn synchronous(mut self, on: bool) -> Self {
        self.synchronous = on;
        self
    }

    /// `fsync` on every node, and syncing by `initdb` and `pg_basebackup`;
    /// on by default. Turn it off only for throwaway test clusters (see
    /// [`crate::DevClusterBuilder::fsync`]). Unlike there,
    /// `full_page_writes` stays on either way: `pg_rewind`, which brings a
    /// former leader back as a replica, refuses to run without it. etcd
    /// always syncs (etcd 3.4 cannot be told not to).
    pub fn fsync(mut self, on: bool) -> Self {
        self.fsync = on;
        self
    }

    /// Keeps the cluster in `dir` (created when missing). A directory
    /// holding a cluster of the same size from an earlier run is reused:
    /// whatever of that run is still running is stopped first, etcd keeps
    /// Patroni's state, the data directories are kept, the earlier ports
    /// are taken again when free, and `synchronous_mode` is set to this
    /// builder's once a leader is up. Without it a temporary directory
    /// (`minigram-ha-*`) is used and removed when the cluster is dropped.
    /// When running as root, every parent of `dir` must be traversable by
    /// the `postgres` user.
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

    /// How long the whole start may take (default 90 s); also the limit of
    /// [`HaCluster::start_patroni`] and [`HaCluster::set_synchronous`].
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Starts etcd and every Patroni, and returns once the cluster is
    /// healthy ([`HaCluster::wait_healthy`]): one leader accepting writes,
    /// every replica streaming from it on its timeline and, in synchronous
    /// mode, a sync standby.
    pub async fn start(self) -> Result<HaCluster, DevClusterError> {
        let started = Instant::now();
        let programs = HaPrograms::find()?;
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
                    .prefix("minigram-ha-")
                    .tempdir()
                    .map_err(DevClusterError::io("creating a temporary directory"))?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        set_mode(&dir, 0o755)?;
        user.make_owned(&dir)?;
        user.check_writable(&dir).await?;

        let previous = Ports::load(&dir);
        if let Some(previous) = &previous {
            if previous.nodes.len() != self.nodes {
                return Err(DevClusterError::Directory {
                    path: dir,
                    reason: format!(
                        "it holds an HA cluster of {} nodes, not {}; use another directory",
                        previous.nodes.len(),
                        self.nodes
                    ),
                });
            }
            stop_leftovers(&user, &binaries, &dir).await?;
        }
        let ports = match previous.filter(|p| p.all().all(port_is_free)) {
            Some(ports) => ports,
            None => Ports::pick(self.nodes)?,
        };
        ports.save(&dir)?;
        let reused = dir.join("etcd").exists();

        for sub in ["logs", "sock"] {
            let path = dir.join(sub);
            std::fs::create_dir_all(&path)
                .map_err(DevClusterError::io(format!("creating {}", path.display())))?;
            user.make_owned(&path)?;
        }
        let socket_dir = dir.join("sock");
        let socket_dir = (socket_dir.as_os_str().len() <= MAX_SOCKET_DIR).then_some(socket_dir);

        let settings = HaSettings {
            synchronous: self.synchronous,
            fsync: self.fsync,
            etcd_port: ports.etcd_client,
            socket_dir,
        };
        let etcd = EtcdServer::new(&programs.etcd, &dir, ports.etcd_client, ports.etcd_peer);
        let nodes: Vec<PatroniNode> = ports
            .nodes
            .iter()
            .enumerate()
            .map(|(i, &(pg, rest))| PatroniNode::new(&dir, i, pg, rest))
            .collect();
        tracing::info!(dir = %dir.display(), nodes = self.nodes, synchronous = self.synchronous, reused, "starting a Patroni HA dev cluster");
        // From here on a failure drops the cluster, which stops what did start.
        let mut cluster = HaCluster::new(
            user,
            binaries,
            programs,
            dir,
            etcd,
            nodes,
            settings,
            self.start_timeout,
            temp,
        )?;
        cluster.start_all(started, reused).await?;
        cluster.set_start_time(started.elapsed());
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            patroni = ?cluster.patroni_urls(),
            "Patroni HA dev cluster ready"
        );
        Ok(cluster)
    }
}
