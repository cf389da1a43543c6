use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::{DevCluster, DevClusterError};
use crate::store::{PostgresConfig, PostgresStore, Store as _};

/// How long a new database may take to reach the replicas.
const REPLICA_WAIT: Duration = Duration::from_secs(30);

/// A dev cluster that hands out fresh databases, each cloned from one
/// template migrated once: what a test suite needs (one cluster per test
/// binary, one empty database per test, no migration cost per test).
#[derive(Debug)]
pub struct TemplateDatabases {
    cluster: DevCluster,
    prefix: String,
    created: AtomicUsize,
}

impl TemplateDatabases {
    /// The template's name.
    pub const TEMPLATE: &'static str = "minigram_template";

    /// Creates the template database on `cluster` and applies minigram's
    /// migrations to it. New databases are named `<prefix><n>`.
    pub async fn new(
        cluster: DevCluster,
        prefix: impl Into<String>,
    ) -> Result<Self, DevClusterError> {
        cluster.create_database(Self::TEMPLATE, None).await?;
        let config = PostgresConfig {
            pool_size: 1,
            ..PostgresConfig::default()
        };
        let migrated = PostgresStore::connect(&cluster.primary_url(Self::TEMPLATE), config)
            .await
            .map_err(|e| DevClusterError::Migration(e.to_string()))?;
        migrated
            .close()
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
