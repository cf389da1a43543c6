//! One PostgreSQL dev cluster (a primary and two streaming replicas) per
//! test binary, shared by its tests; each test gets its own database,
//! cloned from a template migrated once.
//!
//! Only the cluster (processes and URLs) is global: every `#[tokio::test]`
//! has its own runtime, so pools are made per test. A `static` is never
//! dropped, so the cluster's exit watchdog stops the servers and removes the
//! directory when the test binary exits, however it exits.
//!
//! Without PostgreSQL these tests fail (never skip) with what to install.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use minigram::devcluster::DevCluster;
use minigram::store::{PostgresConfig, PostgresStore, Store};
use tokio::sync::OnceCell;

const TEMPLATE: &str = "minigram_template";

pub struct TestCluster {
    pub cluster: DevCluster,
    databases: AtomicUsize,
}

static CLUSTER: OnceCell<TestCluster> = OnceCell::const_new();

/// The shared cluster, started by the first caller.
pub async fn shared() -> &'static TestCluster {
    CLUSTER
        .get_or_init(|| async {
            let cluster = DevCluster::builder()
                .replicas(2)
                .fsync(false)
                .start()
                .await
                .unwrap_or_else(|e| {
                    panic!("these tests need PostgreSQL and it could not be started: {e}")
                });
            cluster.stop_when_process_exits().unwrap();
            cluster.create_database(TEMPLATE, None).await.unwrap();
            let store = PostgresStore::connect(&cluster.primary_url(TEMPLATE), small_pool())
                .await
                .unwrap();
            store.close().await.unwrap();
            drop(store);
            TestCluster {
                cluster,
                databases: AtomicUsize::new(0),
            }
        })
        .await
}

/// A pool configuration small enough for many tests on one server.
pub fn small_pool() -> PostgresConfig {
    PostgresConfig {
        pool_size: 8,
        ..PostgresConfig::default()
    }
}

impl TestCluster {
    /// A new database with the schema, on the primary and (once this
    /// returns) on every running replica.
    pub async fn fresh_database(&self) -> String {
        let name = format!("t{}", self.databases.fetch_add(1, Ordering::Relaxed));
        self.cluster
            .create_database(&name, Some(TEMPLATE))
            .await
            .unwrap();
        self.cluster
            .wait_for_replicas(Duration::from_secs(30))
            .await
            .unwrap();
        name
    }
}
