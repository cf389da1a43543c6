use std::fmt::Display;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::{DevCluster, DevClusterError};

/// How long a new database may take to reach the replicas.
const REPLICA_WAIT: Duration = Duration::from_secs(30);

/// A dev cluster that hands out fresh databases, each cloned from one
/// template migrated once: what a test suite needs (one cluster per test
/// binary, one empty database per test, no migration cost per test).
///
/// The schema comes from the caller: [`TemplateDatabases::new`] takes the
/// migration step as a hook, so this crate knows nothing of any schema.
#[derive(Debug)]
pub struct TemplateDatabases {
    cluster: DevCluster,
    prefix: String,
    created: AtomicUsize,
}

impl TemplateDatabases {
    /// The template's name.
    pub const TEMPLATE: &'static str = "minigram_template";

    /// Creates the template database on `cluster` and runs `migrate` with
    /// its primary URL (for example a store's `connect`, which applies the
    /// store's migrations). New databases are named `<prefix><n>`.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), minigram_devcluster::DevClusterError> {
    /// use minigram_devcluster::{DevCluster, TemplateDatabases};
    ///
    /// let cluster = DevCluster::builder().replicas(1).start().await?;
    /// let databases = TemplateDatabases::new(cluster, "test_", |url| async move {
    ///     // Apply the schema at `url` here.
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .await?;
    /// let fresh = databases.fresh_database().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn new<F, Fut, E>(
        cluster: DevCluster,
        prefix: impl Into<String>,
        migrate: F,
    ) -> Result<Self, DevClusterError>
    where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Display,
    {
        cluster.create_database(Self::TEMPLATE, None).await?;
        migrate(cluster.primary_url(Self::TEMPLATE))
            .await
            .map_err(|e| DevClusterError::Migration(e.to_string()))?;
        Ok(Self {
            cluster,
            prefix: prefix.into(),
            created: AtomicUsize::new(0),
        })
    }

    /// The cluster underneath.
    pub fn cluster(&self) -> &DevCluster {
        &self.cluster
    }

    /// A new database with the schema, on the primary and (once this
    /// returns) on every running replica.
    pub async fn fresh_database(&self) -> Result<String, DevClusterError> {
        let name = format!(
            "{}{}",
            self.prefix,
            self.created.fetch_add(1, Ordering::Relaxed)
        );
        self.cluster
            .create_database(&name, Some(Self::TEMPLATE))
            .await?;
        self.cluster.wait_for_replicas(REPLICA_WAIT).await?;
        Ok(name)
    }
}
