//! A high-availability PostgreSQL cluster: nodes managed by Patroni, which
//! elects a leader through etcd and fails over on its own.

use parking_lot::Mutex;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::DevClusterError;
use crate::child_process::send_signal;
use crate::dev_cluster::{database_exists, quote_identifier};
use crate::etcd_server::EtcdServer;
use crate::ha_cluster_builder::HaClusterBuilder;
use crate::ha_exit_watchdog::HaExitWatchdog;
use crate::ha_member::{HaMember, HaRole, parse_cluster};
use crate::ha_programs::HaPrograms;
use crate::os_user::ServerUser;
use crate::patroni_node::{self, HaSettings, PatroniNode, STOP_GRACE};
use crate::pg_binaries::PgBinaries;
use crate::pg_node::{connect, log_tail, run};

/// How often the cluster's state is polled while waiting.
const POLL: Duration = Duration::from_millis(100);

/// The most a replica may lag (bytes of WAL) and count as healthy: the
/// `maximum_lag_on_failover` of the configuration, within which Patroni
/// would promote it. (The figure Patroni reports is from each member's
/// last loop, one second apart, so it is rarely exactly 0 under writes.)
const HEALTHY_MAX_LAG: u64 = 1_048_576;

/// How long one REST call or PostgreSQL connection may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);

/// A local high-availability PostgreSQL cluster: one etcd member and N
/// PostgreSQL nodes (3 by default), each run by its own Patroni, all on
/// free ports on 127.0.0.1. See the [crate docs](crate) for an overview.
///
/// - **Layout**: everything is under one directory ([`HaCluster::dir`]):
///   `etcd/`, `nodeN/` (Patroni's configuration `patroni.yml`, its `HOME`,
///   and PostgreSQL's `data/`), `logs/` (`nodeN.log`: Patroni's output
///   with PostgreSQL's server log in it; `etcd.log`), `sock/`
///   (PostgreSQL's unix sockets) and `ports.json`.
/// - **Users**: when this process is root, Patroni runs as `postgres`
///   (PostgreSQL refuses root), started directly with that uid, so
///   signalling the child signals Patroni. etcd runs as the current user.
/// - **Timing**: `ttl` 10 s, `loop_wait` 1 s, `retry_timeout` 4 s,
///   `primary_start_timeout` 0: a crashed leader is failed over at once
///   (when a replica may take over) rather than restarted in place; a
///   leader whose Patroni dies loses its key after at most `ttl`.
/// - **Shutdown**: [`HaCluster::stop`] (or drop) stops every Patroni with
///   `SIGTERM`, each stopping its PostgreSQL, then any PostgreSQL left
///   (`pg_ctl stop -m immediate`), then etcd.
///   [`HaCluster::stop_when_process_exits`] covers a cluster never dropped.
#[derive(Debug)]
pub struct HaCluster {
    user: ServerUser,
    binaries: PgBinaries,
    programs: HaPrograms,
    dir: PathBuf,
    etcd: EtcdServer,
    nodes: Vec<PatroniNode>,
    settings: HaSettings,
    /// `synchronous_mode` as last set (the builder, then
    /// [`HaCluster::set_synchronous`]): what [`HaCluster::wait_healthy`]
    /// expects.
    synchronous: AtomicBool,
    http: reqwest::Client,
    start_timeout: Duration,
    start_time: Duration,
    watchdog: Mutex<Option<HaExitWatchdog>>,
    stopped: AtomicBool,
    /// Dropped last, after everything is stopped.
    temp: Option<TempDir>,
}

impl HaCluster {
    /// A builder with the defaults: 3 nodes, synchronous mode, fsync on,
    /// a temporary directory, a 90 s start timeout.
    pub fn builder() -> HaClusterBuilder {
        HaClusterBuilder::default()
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        user: ServerUser,
        binaries: PgBinaries,
        programs: HaPrograms,
        dir: PathBuf,
        etcd: EtcdServer,
        nodes: Vec<PatroniNode>,
        settings: HaSettings,
        start_timeout: Duration,
        temp: Option<TempDir>,
    ) -> Result<Self, DevClusterError> {
        // Loopback only: a proxy from the environment must not be used.
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| DevClusterError::Http {
                what: "building the HTTP client".into(),
                url: String::new(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            synchronous: AtomicBool::new(settings.synchronous),
            user,
            binaries,
            programs,
            dir,
            etcd,
            nodes,
            settings,
            http,
            start_timeout,
            start_time: Duration::ZERO,
            watchdog: Mutex::new(None),
            stopped: AtomicBool::new(false),
            temp,
        })
    }

    /// Starts etcd, then every Patroni at once (one bootstraps the cluster
    /// with `initdb`, the others clone it), and waits until healthy.
    pub(crate) async fn start_all(
        &self,
        started: Instant,
        reused: bool,
    ) -> Result<(), DevClusterError> {
        let remaining = || self.start_timeout.saturating_sub(started.elapsed());
        self.etcd.start(&self.http, remaining()).await?;
        for node in &self.nodes {
            node.write_config(&self.user, &self.binaries, &self.settings)?;
            node.spawn(&self.user, &self.programs.patroni)?;
        }
        if reused {
            // The dynamic configuration is the earlier run's: make
            // synchronous_mode this builder's.
            self.wait_for_leader(remaining(), None).await?;
            self.set_synchronous_within(self.settings.synchronous, remaining())
                .await?;
        }
        self.wait_healthy(remaining()).await
    }

    pub(crate) fn set_start_time(&mut self, elapsed: Duration) {
        self.start_time = elapsed;
    }

    /// How long [`HaClusterBuilder::start`] took, until the cluster was
    /// healthy.
    pub fn start_time(&self) -> Duration {
        self.start_time
    }

    /// The cluster's directory (see the layout above).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The PostgreSQL programs in use.
    pub fn binaries(&self) -> &PgBinaries {
        &self.binaries
    }

    /// How many PostgreSQL nodes the cluster has.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The Patroni member names (`node1`, `node2`, …), in node order:
    /// node `i` is named `node{i + 1}`.
    pub fn node_names(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.name.clone()).collect()
    }

    /// Whether the cluster is in synchronous mode (as last set).
    pub fn is_synchronous(&self) -> bool {
        self.synchronous.load(Ordering::SeqCst)
    }

    /// Each node's Patroni REST API, `http://127.0.0.1:PORT`, in node order.
    pub fn patroni_urls(&self) -> Vec<String> {
        self.nodes.iter().map(PatroniNode::rest_url).collect()
    }

    /// Each node's `database`, `postgresql://postgres@127.0.0.1:PORT/DATABASE`
    /// (no password: the nodes trust 127.0.0.1), in node order. Which one
    /// is writable changes with failovers; see [`HaCluster::multi_host_url`].
    pub fn postgres_urls(&self, database: &str) -> Vec<String> {
        self.nodes.iter().map(|n| n.pg_url(database)).collect()
    }

    /// One URL naming every node, with `target_session_attrs=read-write`:
    /// a client (libpq, tokio-postgres) tries the hosts in order and keeps
    /// the first that accepts writes, the current leader. Right after a
    /// failover it may still find none for a moment; retry.
    pub fn multi_host_url(&self, database: &str) -> String {
        let hosts: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.pg_port))
            .collect();
        format!(
            "postgresql://postgres@{}/{database}?target_session_attrs=read-write",
            hosts.join(",")
        )
    }

    /// etcd's client URL, `http://127.0.0.1:PORT` (v3 API).
    pub fn etcd_url(&self) -> String {
        self.etcd.url()
    }

    /// Node `node`'s log (`DIR/logs/nodeN.log`, N = node + 1): Patroni's
    /// output, with its PostgreSQL's server log (stderr, no logging
    /// collector) in it.
    pub fn log_file(&self, node: usize) -> PathBuf {
        patroni_node::log_file(&self.dir, node)
    }

    /// etcd's log (`DIR/logs/etcd.log`).
    pub fn etcd_log_file(&self) -> &Path {
        &self.etcd.log_file
    }

    fn node(&self, node: usize) -> Result<&PatroniNode, DevClusterError> {
        self.nodes.get(node).ok_or_else(|| {
            DevClusterError::NoSuchNode(format!(
                "{node} (it has {} nodes, numbered from 0)",
                self.nodes.len()
            ))
        })
    }

    fn index_of(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.name == name)
    }

    /// The members, from `GET /cluster` of the first Patroni that answers
    /// (a member whose Patroni is gone is listed until its key expires).
    pub async fn members(&self) -> Result<Vec<HaMember>, DevClusterError> {
        let mut last = "no Patroni is running".to_owned();
        for node in self.nodes.iter().filter(|n| n.is_running()) {
            let url = format!("{}/cluster", node.rest_url());
            match self.get_text(&url).await {
                Ok(body) => match parse_cluster(&body) {
                    Ok(mut members) => {
                        for member in &mut members {
                            if let Some(ours) = self.nodes.iter().find(|n| n.name == member.name) {
                                if member.pg_port == 0 {
                                    member.pg_port = ours.pg_port;
                                }
                                if member.rest_port == 0 {
                                    member.rest_port = ours.rest_port;
                                }
                            }
                        }
                        return Ok(members);
                    }
                    Err(e) => last = format!("{url}: unexpected answer: {e}"),
                },
                Err(e) => last = format!("{url}: {e}"),
            }
        }
        Err(DevClusterError::Http {
            what: "reading the members (GET /cluster) from any Patroni".into(),
            url: self.patroni_urls().join(", "),
            reason: last,
        })
    }

    async fn get_text(&self, url: &str) -> Result<String, String> {
        let response = self.http.get(url).send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.text().await.map_err(|e| e.to_string())?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(format!("{status}: {body}"))
        }
    }

    /// The index of the node holding the leader key now, if any.
    pub async fn leader(&self) -> Result<Option<usize>, DevClusterError> {
        Ok(self
            .members()
            .await?
            .iter()
            .find(|m| m.role == HaRole::Leader)
            .and_then(|m| self.index_of(&m.name)))
    }

    /// Waits until a node other than `not` holds the leader key and its
    /// PostgreSQL accepts writes (`pg_is_in_recovery()` is false); returns
    /// its index. After a failure, pass the old leader as `not`.
    pub async fn wait_for_leader(
        &self,
        timeout: Duration,
        not: Option<usize>,
    ) -> Result<usize, DevClusterError> {
        let deadline = Instant::now() + timeout;
        loop {
            let seen = match self.members().await {
                Ok(members) => {
                    let leader = members
                        .iter()
                        .find(|m| m.role == HaRole::Leader)
                        .and_then(|m| self.index_of(&m.name));
                    let state = match leader {
                        Some(i) if Some(i) != not => match self.accepts_writes(i).await {
                            Ok(true) => return Ok(i),
                            Ok(false) => {
                                format!("{} leads but is still in recovery", self.nodes[i].name)
                            }
                            Err(e) => format!("{} leads but: {e}", self.nodes[i].name),
                        },
                        Some(i) => format!("{} still leads", self.nodes[i].name),
                        None => "no leader".to_owned(),
                    };
                    format!("{state}; {}", summary(&members))
                }
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                let other = not
                    .map(|i| format!(" other than {}", patroni_node::node_name(i)))
                    .unwrap_or_default();
                return Err(DevClusterError::Timeout {
                    what: format!("a leader{other} accepting writes (last seen: {seen})"),
                    waited: timeout,
                    log: self.log_tails(),
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Whether node `i`'s PostgreSQL is a primary.
    async fn accepts_writes(&self, i: usize) -> Result<bool, String> {
        let client = self.connect(i).await?;
        let row = client
            .query_one("SELECT pg_is_in_recovery()", &[])
            .await
            .map_err(|e| e.to_string())?;
        Ok(!row.get::<_, bool>(0))
    }

    async fn connect(&self, i: usize) -> Result<tokio_postgres::Client, String> {
        let url = self.nodes[i].pg_url("postgres");
        match tokio::time::timeout(REQUEST_TIMEOUT, connect(&url)).await {
            Ok(Ok(client)) => Ok(client),
            Ok(Err(e)) => Err(format!("connecting to {url}: {e}")),
            Err(_) => Err(format!("connecting to {url}: timed out")),
        }
    }

    /// Waits until the cluster is healthy: every node a member in state
    /// `running`, exactly one leader accepting writes, a sync standby when
    /// synchronous, and every other node streaming from the leader
    /// (`pg_stat_replication`) on its timeline, less than 1 MiB behind.
    /// Fails at once when a Patroni process (or etcd) is not running — after
    /// [`HaCluster::kill_patroni`], call [`HaCluster::start_patroni`] first.
    pub async fn wait_healthy(&self, timeout: Duration) -> Result<(), DevClusterError> {
        let deadline = Instant::now() + timeout;
        loop {
            self.check_processes()?;
            let reason = match self.health().await {
                Ok(()) => return Ok(()),
                Err(reason) => reason,
            };
            if Instant::now() >= deadline {
                return Err(DevClusterError::Timeout {
                    what: format!("a healthy cluster (last seen: {reason})"),
                    waited: timeout,
                    log: self.log_tails(),
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Why the cluster is not healthy, if it is not.
    async fn health(&self) -> Result<(), String> {
        let members = self.members().await.map_err(|e| e.to_string())?;
        let seen = summary(&members);
        for node in &self.nodes {
            match members.iter().find(|m| m.name == node.name) {
                None => return Err(format!("{} is not a member yet; {seen}", node.name)),
                Some(m) if !m.is_running() => {
                    return Err(format!("{} is {}; {seen}", node.name, m.state));
                }
                Some(_) => {}
            }
        }
        let leaders: Vec<&HaMember> = members
            .iter()
            .filter(|m| m.role == HaRole::Leader)
            .collect();
        let [leader] = leaders[..] else {
            return Err(format!("{} leaders; {seen}", leaders.len()));
        };
        if self.is_synchronous() && !members.iter().any(|m| m.role == HaRole::SyncStandby) {
            return Err(format!("no sync standby yet; {seen}"));
        }
        let index = self
            .index_of(&leader.name)
            .ok_or_else(|| format!("the leader {} is not one of ours", leader.name))?;
        let client = self.connect(index).await?;
        let row = client
            .query_one(
                "SELECT pg_is_in_recovery(), ARRAY(SELECT application_name FROM \
                 pg_stat_replication WHERE state = 'streaming')",
                &[],
            )
            .await
            .map_err(|e| format!("querying the leader {}: {e}", leader.name))?;
        if row.get::<_, bool>(0) {
            return Err(format!(
                "the leader {} is still in recovery; {seen}",
                leader.name
            ));
        }
        let streaming: Vec<String> = row.get(1);
        for replica in members.iter().filter(|m| m.role != HaRole::Leader) {
            if !streaming.contains(&replica.name) {
                return Err(format!(
                    "{} is not streaming from {} yet; {seen}",
                    replica.name, leader.name
                ));
            }
            if leader.timeline.is_some() && replica.timeline != leader.timeline {
                return Err(format!(
                    "{} is not on the leader's timeline; {seen}",
                    replica.name
                ));
            }
            if replica.lag_bytes.is_none_or(|lag| lag > HEALTHY_MAX_LAG) {
                return Err(format!("{} lags; {seen}", replica.name));
            }
        }
        Ok(())
    }

    /// Fails when a Patroni or etcd process has exited.
    fn check_processes(&self) -> Result<(), DevClusterError> {
        if !self.etcd.is_running() {
            return Err(DevClusterError::Command {
                command: "etcd".into(),
                output: format!("is not running{}", log_tail(&self.etcd.log_file)),
            });
        }
        for node in &self.nodes {
            if let Some(status) = node.exit_status() {
                return Err(DevClusterError::Command {
                    command: format!("patroni ({})", node.name),
                    output: format!(
                        "is not running ({status}); HaCluster::start_patroni starts it again{}",
                        node.log_tail()
                    ),
                });
            }
        }
        Ok(())
    }

    /// The end of every node's log.
    fn log_tails(&self) -> String {
        let mut text: String = self.nodes.iter().map(PatroniNode::log_tail).collect();
        if !self.etcd.is_running() {
            text.push_str(&log_tail(&self.etcd.log_file));
        }
        text
    }

    /// `SIGKILL` to node `node`'s postmaster (the pid on the first line of
    /// its `postmaster.pid`), as a crash would; returns the pid. Its
    /// backends exit as they notice. Patroni sees PostgreSQL gone within a
    /// second. On the leader (`primary_start_timeout` 0) it stops what is
    /// left, gives up its key, and a replica — the sync standby in
    /// synchronous mode — is promoted (2–3 s after the kill, measured);
    /// the old leader then starts as a replica of the new one: crash
    /// recovery ends where the new timeline forks, so it follows without a
    /// `pg_rewind` (one runs if its WAL went further). A crashed replica is
    /// simply restarted.
    pub fn kill_postmaster(&self, node: usize) -> Result<u32, DevClusterError> {
        let n = self.node(node)?;
        let command = format!("kill -KILL (the postmaster of {})", n.name);
        let pid = n.postmaster_pid().ok_or_else(|| DevClusterError::Command {
            command: command.clone(),
            output: format!(
                "{} has no live postmaster ({}/postmaster.pid)",
                n.name,
                n.data_dir.display()
            ),
        })?;
        if !send_signal(pid, "KILL") {
            return Err(DevClusterError::Command {
                command,
                output: format!("could not signal pid {pid}"),
            });
        }
        tracing::info!(node = %n.name, pid, "killed the postmaster");
        Ok(pid)
    }

    /// `SIGKILL` to node `node`'s Patroni (waiting until it is gone). Its
    /// PostgreSQL keeps running as it was: nothing stops it (there is no
    /// watchdog device to reset the machine). For the leader: its key
    /// expires after at most `ttl` (10 s; a new leader ~10.5 s after the
    /// kill, measured) and a replica — the sync standby, when synchronous
    /// — is promoted, while the old PostgreSQL still runs as a primary that
    /// no replica follows any more. In synchronous mode its commits then
    /// hang, waiting for a standby that never confirms (though written to
    /// its WAL, hence diverged); otherwise it is a split brain accepting
    /// writes. Either way [`HaCluster::multi_host_url`] may still reach it
    /// (it accepts writes, as far as a client can tell), so address the
    /// leader by [`HaCluster::wait_for_leader`] until
    /// [`HaCluster::start_patroni`] makes that node rejoin: Patroni
    /// demotes it (`immediate-nolock`), rewinds it with `pg_rewind` and
    /// starts it as a replica (~6 s, measured). Does nothing when that
    /// Patroni is not running.
    pub fn kill_patroni(&self, node: usize) -> Result<(), DevClusterError> {
        let n = self.node(node)?;
        n.kill_patroni();
        tracing::info!(node = %n.name, "killed Patroni");
        Ok(())
    }

    /// Starts node `node`'s Patroni again (after [`HaCluster::kill_patroni`])
    /// and waits until its REST API answers; the node then rejoins on its
    /// own (see [`HaCluster::wait_healthy`]). Does nothing when it runs.
    pub async fn start_patroni(&self, node: usize) -> Result<(), DevClusterError> {
        let n = self.node(node)?;
        if n.is_running() {
            return Ok(());
        }
        n.write_config(&self.user, &self.binaries, &self.settings)?;
        n.spawn(&self.user, &self.programs.patroni)?;
        let url = format!("{}/patroni", n.rest_url());
        let deadline = Instant::now() + self.start_timeout;
        loop {
            if self.get_text(&url).await.is_ok() {
                return Ok(());
            }
            if let Some(status) = n.exit_status() {
                return Err(DevClusterError::Command {
                    command: format!("patroni ({})", n.name),
                    output: format!("exited with {status}{}", n.log_tail()),
                });
            }
            if Instant::now() >= deadline {
                return Err(DevClusterError::Timeout {
                    what: format!("{} answering {url}", n.name),
                    waited: self.start_timeout,
                    log: n.log_tail(),
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Turns `synchronous_mode` on or off (`PATCH /config`) and waits
    /// until Patroni shows a sync standby (on) or none (off).
    pub async fn set_synchronous(&self, on: bool) -> Result<(), DevClusterError> {
        self.set_synchronous_within(on, self.start_timeout).await
    }

    async fn set_synchronous_within(
        &self,
        on: bool,
        timeout: Duration,
    ) -> Result<(), DevClusterError> {
        let body = serde_json::json!({ "synchronous_mode": on });
        let mut last = "no Patroni is running".to_owned();
        let mut patched = false;
        for node in self.nodes.iter().filter(|n| n.is_running()) {
            let url = format!("{}/config", node.rest_url());
            match self.http.patch(&url).json(&body).send().await {
                Ok(response) if response.status().is_success() => {
                    patched = true;
                    break;
                }
                Ok(response) => last = format!("{url}: {}", response.status()),
                Err(e) => last = format!("{url}: {e}"),
            }
        }
        if !patched {
            return Err(DevClusterError::Http {
                what: format!("setting synchronous_mode to {on} (PATCH /config)"),
                url: self.patroni_urls().join(", "),
                reason: last,
            });
        }
        self.synchronous.store(on, Ordering::SeqCst);
        let deadline = Instant::now() + timeout;
        loop {
            let seen = match self.members().await {
                Ok(members) => {
                    if members.iter().any(|m| m.role == HaRole::SyncStandby) == on {
                        tracing::info!(synchronous = on, "synchronous_mode set");
                        return Ok(());
                    }
                    summary(&members)
                }
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                let want = if on {
                    "a sync standby"
                } else {
                    "no sync standby"
                };
                return Err(DevClusterError::Timeout {
                    what: format!("{want} after setting synchronous_mode (last seen: {seen})"),
                    waited: timeout,
                    log: self.log_tails(),
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Creates `database` on the current leader (waiting for one); it
    /// reaches the replicas by streaming.
    pub async fn create_database(&self, database: &str) -> Result<(), DevClusterError> {
        let client = self.leader_client().await?;
        client
            .batch_execute(&format!("CREATE DATABASE {}", quote_identifier(database)))
            .await
            .map_err(|source| DevClusterError::Query {
                what: format!("creating the database {database}"),
                source,
            })
    }

    /// Creates `database` on the leader unless it exists (for a cluster
    /// kept in a directory across restarts). Returns whether it was created.
    pub async fn ensure_database(&self, database: &str) -> Result<bool, DevClusterError> {
        let client = self.leader_client().await?;
        if database_exists(&client, database).await? {
            return Ok(false);
        }
        self.create_database(database).await?;
        Ok(true)
    }

    async fn leader_client(&self) -> Result<tokio_postgres::Client, DevClusterError> {
        let leader = self.wait_for_leader(self.start_timeout, None).await?;
        connect(&self.nodes[leader].pg_url("postgres"))
            .await
            .map_err(|source| DevClusterError::Query {
                what: format!("connecting to the leader {}", self.nodes[leader].name),
                source,
            })
    }

    /// Makes sure the cluster is stopped (and a temporary directory
    /// removed) when this process ends, even if this cluster is never
    /// dropped — for a cluster kept in a `static`. Spawns a small watchdog
    /// process that, once this process is gone, stops every process whose
    /// command line names the cluster directory: Patroni first (`SIGTERM`,
    /// up to 10 s), then any PostgreSQL left (`pg_ctl stop -m immediate`),
    /// then etcd, then `SIGKILL` to anything remaining. Idempotent.
    pub fn stop_when_process_exits(&self) -> Result<(), DevClusterError> {
        let mut watchdog = self.watchdog.lock();
        if watchdog.is_none() {
            let remove = self.temp.as_ref().map(TempDir::path);
            *watchdog = Some(HaExitWatchdog::spawn(
                &self.user,
                &self.binaries,
                &self.dir,
                remove,
            )?);
        }
        Ok(())
    }

    /// Stops the cluster (3–5 s): `SIGTERM` to every Patroni at once (each
    /// stops its PostgreSQL, `-m fast`; the leader's then waits for the
    /// others' REST APIs, which stop answering as they shut down, up to its
    /// request timeout) and up to 30 s for them to exit (`SIGKILL` after);
    /// then `pg_ctl stop -m immediate` for any
    /// PostgreSQL still running (one whose Patroni was killed); then etcd.
    /// Idempotent. The directory stays until the cluster is dropped.
    pub async fn stop(&self) -> Result<(), DevClusterError> {
        let started = Instant::now();
        // All at once: measured faster than replicas first (a sync
        // standby waits for the leader to release it, ~2 s) or the leader
        // first (the replicas would hold an election).
        for node in &self.nodes {
            node.process().terminate();
        }
        let deadline = Instant::now() + STOP_GRACE;
        for node in &self.nodes {
            node.process().wait_or_kill(deadline).await;
        }
        let mut result = Ok(());
        for node in &self.nodes {
            if node.postmaster_pid().is_some() {
                tracing::warn!(node = %node.name, "PostgreSQL outlived its Patroni; stopping it");
                let mut pg_ctl = self.user.command(&self.binaries.program("pg_ctl"));
                pg_ctl.arg("stop").arg("-D").arg(&node.data_dir).args([
                    "-m",
                    "immediate",
                    "-w",
                    "-s",
                    "-t",
                    "30",
                ]);
                let stopped = run(
                    pg_ctl,
                    &format!("pg_ctl stop ({})", node.name),
                    Some(&node.log_file),
                )
                .await;
                if result.is_ok() {
                    result = stopped;
                }
            }
        }
        self.etcd.stop().await;
        self.stopped.store(true, Ordering::SeqCst);
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "Patroni HA dev cluster stopped"
        );
        result
    }
}

impl Drop for HaCluster {
    /// [`HaCluster::stop`], blocking the current thread (a second or two).
    fn drop(&mut self) {
        if self.stopped.load(Ordering::SeqCst) {
            return;
        }
        for node in &self.nodes {
            node.process().terminate();
        }
        let deadline = Instant::now() + STOP_GRACE;
        for node in &self.nodes {
            node.process().wait_or_kill_blocking(deadline);
        }
        for node in &self.nodes {
            if node.postmaster_pid().is_some() {
                let result = self
                    .user
                    .std_command(&self.binaries.program("pg_ctl"))
                    .arg("stop")
                    .arg("-D")
                    .arg(&node.data_dir)
                    .args(["-m", "immediate", "-w", "-s", "-t", "30"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
                if let Err(e) = result {
                    tracing::warn!(node = %node.name, error = %e, "could not stop a PostgreSQL node");
                }
            }
        }
        self.etcd.stop_blocking();
    }
}

/// `node1 leader running tl 2, node2 sync_standby running tl 2 lag 0, …`.
fn summary(members: &[HaMember]) -> String {
    let mut text = String::new();
    for (i, m) in members.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        let _ = write!(text, "{} {} {}", m.name, m.role, m.state);
        if let Some(timeline) = m.timeline {
            let _ = write!(text, " tl {timeline}");
        }
        if m.role != HaRole::Leader {
            match m.lag_bytes {
                Some(lag) => {
                    let _ = write!(text, " lag {lag}");
                }
                None => text.push_str(" lag unknown"),
            }
        }
    }
    if members.is_empty() {
        text.push_str("no members");
    }
    text
}
