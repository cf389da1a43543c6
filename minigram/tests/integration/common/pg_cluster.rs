//! One PostgreSQL dev cluster (a primary and two streaming replicas) per
//! test binary, shared by its tests; each test gets its own database,
//! cloned from a template migrated once (`TemplateDatabases`).
//!
//! Only the cluster (processes and URLs) is global: every `#[tokio::test]`
//! has its own runtime, so pools are made per test. A `static` is never
//! dropped, so the cluster's exit watchdog stops the servers and removes the
//! directory when the test binary exits, however it exits.
//!
//! Without PostgreSQL these tests fail (never skip) with what to install.

use minigram::store::PostgresConfig;
use minigram_devcluster::{DevCluster, TemplateDatabases};
use tokio::sync::OnceCell;

static CLUSTER: OnceCell<TemplateDatabases> = OnceCell::const_new();

/// The shared cluster, started by the first caller.
pub async fn shared() -> &'static TemplateDatabases {
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
            TemplateDatabases::new(cluster, "t", |url| async move {
                minigram::store::PostgresStore::migrate(&url).await
            })
            .await
            .unwrap()
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
