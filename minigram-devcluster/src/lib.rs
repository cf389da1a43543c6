//! # minigram-devcluster
//!
//! Real local services for development, tests and benchmarks, started from
//! the system's own binaries: PostgreSQL primaries with streaming replicas
//! ([`DevCluster`]) and `redis-server` ([`RedisServer`]). A developer tool,
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

mod dev_cluster;
mod dev_cluster_error;
mod exit_watchdog;
mod os_user;
mod pg_binaries;
mod pg_node;
mod redis_server;
mod template_databases;

pub use dev_cluster::{DevCluster, DevClusterBuilder, NodeId};
pub use dev_cluster_error::DevClusterError;
pub use pg_binaries::PgBinaries;
pub use redis_server::RedisServer;
pub use template_databases::TemplateDatabases;
