//! # minigram-devcluster
//!
//! Real local services for development, tests and benchmarks, started from
//! the system's own binaries: PostgreSQL primaries with streaming replicas
//! ([`DevCluster`]), a high-availability PostgreSQL cluster run by Patroni
//! ([`HaCluster`]) and `redis-server` ([`RedisServer`]). A developer tool,
//! not part of the published `minigram` library: the server's `--replicas N`,
//! the test suites and `minigram-bench journey` use it. It knows no schema:
//! [`TemplateDatabases`] takes the migration step as a hook.
//!
//! When a binary is missing, the error names the Debian package to install.
//!
//! [`DevCluster`] starts a primary and N streaming replicas from the
//! system's PostgreSQL binaries (found on `PATH`, then under
//! `/usr/lib/postgresql/<version>/bin`, highest version first), each on a
//! free port on 127.0.0.1 only, with unix sockets disabled.
//!
//! - **Directories**: a given directory is kept and reused across restarts
//!   (a node found running from an earlier, crashed run is stopped first);
//!   without one, a temporary directory is used and removed on drop.
//! - **Root**: PostgreSQL refuses to run as root, so when this process is
//!   root the server commands run as the `postgres` user (`runuser`) and
//!   the directories are made theirs.
//! - **Readiness**: [`DevClusterBuilder::start`] returns once every node
//!   accepts connections and every replica is streaming from the primary.
//! - **Shutdown**: [`DevCluster::stop`] (or drop) stops every node with
//!   `pg_ctl stop -m fast`. A cluster kept in a `static` is never dropped;
//!   [`DevCluster::stop_when_process_exits`] covers that case with a small
//!   watchdog process that stops the nodes once this process is gone,
//!   however it ends.
//! - **Fault injection**: [`DevCluster::stop_node`] and
//!   [`DevCluster::start_node`] stop and restart one node on the same port.
//!
//! ```no_run
//! # async fn example() -> Result<(), minigram_devcluster::DevClusterError> {
//! use minigram_devcluster::DevCluster;
//!
//! let cluster = DevCluster::builder().replicas(2).start().await?;
//! println!("primary: {}", cluster.primary_url("postgres"));
//! for url in cluster.replica_urls("postgres") {
//!     println!("replica: {url}");
//! }
//! cluster.stop().await?;
//! # Ok(())
//! # }
//! ```
//!
//! ## High availability: [`HaCluster`]
//!
//! [`HaCluster`] is for failover tests: one etcd member and N PostgreSQL
//! nodes (3 by default), each run by its own Patroni, which elects a
//! leader through etcd, promotes a replica when the leader fails and
//! brings the old leader back as a replica (`pg_rewind`). It needs the
//! Debian packages `patroni` and `etcd-server` (etcd 3.4, v3 API), besides
//! PostgreSQL's server programs; a missing one is named in the error.
//!
//! - **Configuration**: everything on 127.0.0.1, free ports; synchronous
//!   mode by default (a commit waits for the sync standby, the only node
//!   promoted on failure); short timings (`ttl` 10 s, `loop_wait` 1 s) and
//!   `primary_start_timeout` 0, so a crashed leader is failed over at once
//!   rather than restarted in place.
//! - **Root**: Patroni runs as `postgres`, started directly with that uid
//!   (no `runuser` in between), so the child process is Patroni itself.
//! - **Readiness**: [`HaClusterBuilder::start`] returns once there is one
//!   leader accepting writes, every replica streams from it on its
//!   timeline and, when synchronous, a sync standby exists (~10 s).
//! - **Fault injection**: [`HaCluster::kill_postmaster`] (a PostgreSQL
//!   crash: failover in 2–3 s), [`HaCluster::kill_patroni`] (a dead
//!   supervisor: failover once the leader key expires, ~10 s, while its
//!   PostgreSQL runs on) and [`HaCluster::start_patroni`]; then
//!   [`HaCluster::wait_for_leader`] and [`HaCluster::wait_healthy`].
//! - **Clients**: [`HaCluster::multi_host_url`] lists every node with
//!   `target_session_attrs=read-write`, so a client finds the leader.
//! - **Shutdown**: [`HaCluster::stop`] (or drop) stops every Patroni, any
//!   PostgreSQL left, then etcd; [`HaCluster::stop_when_process_exits`]
//!   does it once this process is gone.
//!
//! ```no_run
//! # async fn example() -> Result<(), minigram_devcluster::DevClusterError> {
//! use std::time::Duration;
//! use minigram_devcluster::HaCluster;
//!
//! let cluster = HaCluster::builder().nodes(3).fsync(false).start().await?;
//! println!("connect to {}", cluster.multi_host_url("postgres"));
//! let leader = cluster.wait_for_leader(Duration::from_secs(10), None).await?;
//! cluster.kill_postmaster(leader)?;
//! let new_leader = cluster
//!     .wait_for_leader(Duration::from_secs(40), Some(leader))
//!     .await?;
//! println!("node {leader} failed, node {new_leader} leads");
//! cluster.wait_healthy(Duration::from_secs(60)).await?;
//! cluster.stop().await?;
//! # Ok(())
//! # }
//! ```

mod child_process;
mod dev_cluster;
mod dev_cluster_error;
mod etcd_server;
mod exit_watchdog;
mod ha_cluster;
mod ha_cluster_builder;
mod ha_exit_watchdog;
mod ha_member;
mod ha_programs;
mod os_user;
mod patroni_node;
mod pg_binaries;
mod pg_node;
mod redis_server;
mod template_databases;

pub use dev_cluster::{DevCluster, DevClusterBuilder, NodeId};
pub use dev_cluster_error::DevClusterError;
pub use ha_cluster::HaCluster;
pub use ha_cluster_builder::HaClusterBuilder;
pub use ha_member::{HaMember, HaRole};
pub use pg_binaries::PgBinaries;
pub use redis_server::RedisServer;
pub use template_databases::TemplateDatabases;
