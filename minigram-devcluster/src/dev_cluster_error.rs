use std::path::PathBuf;
use std::time::Duration;

/// Why a dev cluster could not be started, queried or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DevClusterError {
    /// A PostgreSQL program is not installed (or not where it was looked for).
    #[error(
        "the PostgreSQL program `{program}` was not found (looked on PATH and in {searched}); install it with `{install}`"
    )]
    MissingBinary {
        /// The program, e.g. `initdb`.
        program: String,
        /// Where it was looked for.
        searched: String,
        /// The command that installs it, naming the package.
        install: String,
    },
    /// This process is root and the `postgres` user (or `runuser`) to run
    /// the servers as is missing.
    #[error(
        "PostgreSQL refuses to run as root and {what}; install the `postgresql` package (it creates the `postgres` user) or run as an ordinary user"
    )]
    NoServerUser {
        /// What is missing.
        what: String,
    },
    /// A directory could not be prepared.
    #[error("could not prepare the directory {path}: {reason}")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A command failed.
    #[error("`{command}` failed: {output}")]
    Command {
        /// The command line.
        command: String,
        /// Its exit status and the end of its output (or of the server log).
        output: String,
    },
    /// A node did not become ready (or a replica did not start streaming)
    /// in time.
    #[error("{what} did not happen within {waited:?}{log}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long.
        waited: Duration,
        /// The end of the node's log, when there is one.
        log: String,
    },
    /// A query to a node failed.
    #[error("{what}: {source}")]
    Query {
        /// What was asked.
        what: String,
        /// The client's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// `redis-server` is not installed.
    #[error(
        "`redis-server` was not found on PATH; install the Debian package redis-server (`apt-get install -y redis-server`)"
    )]
    MissingRedis,
    /// Patroni is not installed (the high-availability cluster,
    /// [`crate::HaCluster`], runs it).
    #[error(
        "`patroni` was not found on PATH; install the Debian package patroni (`apt-get install -y patroni etcd-server`)"
    )]
    MissingPatroni,
    /// etcd is not installed (the high-availability cluster,
    /// [`crate::HaCluster`], keeps Patroni's state in it).
    #[error(
        "`etcd` was not found on PATH; install the Debian package etcd-server (`apt-get install -y patroni etcd-server`)"
    )]
    MissingEtcd,
    /// A request to a Patroni or etcd REST API failed.
    #[error("{what} ({url}): {reason}")]
    Http {
        /// What was asked.
        what: String,
        /// The URL.
        url: String,
        /// The client's error or the unexpected answer.
        reason: String,
    },
    /// The migration hook given to [`crate::TemplateDatabases::new`] failed
    /// on the template database.
    #[error("migrating the template database failed: {0}")]
    Migration(String),
    /// No node has this id.
    #[error("the cluster has no node {0}")]
    NoSuchNode(String),
    /// An I/O error.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl DevClusterError {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let what = what.into();
        move |source| Self::Io { what, source }
    }
}
